#include "ui/document/verdict_cache.h"

#include <sys/stat.h>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>
#include <QStringList>
#include <algorithm>
#include <vector>

namespace shellscope::ui {

namespace {
constexpr int kFormatVersion = 1;
constexpr qint64 kNsPerSecond = 1000000000;
constexpr qint64 kMaxFileBytes = 4 << 20;  // 512 entries are ~150 KiB: anything larger is not ours

QString canonical(const QString& path) { return QFileInfo(path).canonicalFilePath(); }
}  // namespace

QString FileIdentity::toString() const {
  return QStringLiteral("%1:%2:%3:%4:%5:%6")
      .arg(size)
      .arg(modifiedNs)
      .arg(changedNs)
      .arg(inode)
      .arg(device)
      .arg(regular ? 1 : 0);
}

FileIdentity FileIdentity::fromString(const QString& text) {
  const QStringList parts = text.split(':');
  FileIdentity id;
  if (parts.size() != 6) return id;
  bool ok[6] = {};
  id.size = parts[0].toLongLong(&ok[0]);
  id.modifiedNs = parts[1].toLongLong(&ok[1]);
  id.changedNs = parts[2].toLongLong(&ok[2]);
  id.inode = parts[3].toULongLong(&ok[3]);
  id.device = parts[4].toULongLong(&ok[4]);
  id.regular = parts[5].toInt(&ok[5]) == 1;
  if (!std::all_of(std::begin(ok), std::end(ok), [](bool b) { return b; })) return FileIdentity{};
  return id;
}

FileIdentity fileIdentity(const QString& path) {
  FileIdentity id;
  struct stat st {};
  if (::stat(QFile::encodeName(path).constData(), &st) != 0) return id;
  id.size = static_cast<qint64>(st.st_size);
  id.modifiedNs = static_cast<qint64>(st.st_mtim.tv_sec) * kNsPerSecond + st.st_mtim.tv_nsec;
  id.changedNs = static_cast<qint64>(st.st_ctim.tv_sec) * kNsPerSecond + st.st_ctim.tv_nsec;
  id.inode = static_cast<quint64>(st.st_ino);
  id.device = static_cast<quint64>(st.st_dev);
  id.regular = S_ISREG(st.st_mode);
  return id;
}

VerdictCache::VerdictCache(QString file) : file_(std::move(file)) {}

VerdictCache& VerdictCache::shared() {
  static VerdictCache cache(defaultFile());
  return cache;
}

QString VerdictCache::defaultFile() {
  const QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
  return dir.isEmpty() ? QString() : QDir(dir).filePath(QStringLiteral("session-verdicts.json"));
}

void VerdictCache::load() const {
  if (loaded_) return;
  loaded_ = true;
  entries_ = readFile();
}

QHash<QString, VerdictCache::Entry> VerdictCache::readFile() const {
  QHash<QString, Entry> entries;
  if (file_.isEmpty()) return entries;
  QFile in(file_);
  if (!in.open(QIODevice::ReadOnly) || in.size() > kMaxFileBytes) return entries;
  const QJsonObject root = QJsonDocument::fromJson(in.readAll()).object();
  if (root.value("format").toInt() != kFormatVersion) return entries;
  const QJsonObject files = root.value("files").toObject();
  for (auto it = files.begin(); it != files.end(); ++it) {
    const QJsonObject e = it.value().toObject();
    Entry entry;
    entry.identity = e.value("identity").toString();
    if (!FileIdentity::fromString(entry.identity).exists()) continue;
    const QString verdict = e.value("verdict").toString();
    if (verdict != "good" && verdict != "bad") continue;
    entry.verdict.good = verdict == "good";
    entry.verdict.message = e.value("message").toString();
    entry.storedMs = static_cast<qint64>(e.value("stored").toDouble());
    entries.insert(it.key(), entry);
  }
  return entries;
}

void VerdictCache::writeFile(const QHash<QString, Entry>& entries) const {
  if (file_.isEmpty()) return;
  QJsonObject files;
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    QJsonObject e;
    e.insert("identity", it->identity);
    e.insert("verdict", it->verdict.good ? "good" : "bad");
    if (!it->verdict.message.isEmpty()) e.insert("message", it->verdict.message);
    e.insert("stored", static_cast<double>(it->storedMs));
    files.insert(it.key(), e);
  }
  QJsonObject root;
  root.insert("format", kFormatVersion);
  root.insert("files", files);
  QDir().mkpath(QFileInfo(file_).absolutePath());
  QSaveFile out(file_);  // written beside, renamed over: a reader sees the old cache or the new one
  if (!out.open(QIODevice::WriteOnly) || out.write(QJsonDocument(root).toJson(QJsonDocument::Compact)) < 0) return;
  out.commit();  // a cache that cannot be written is only a cache: the next open checks again
}

std::optional<CachedVerdict> VerdictCache::find(const QString& path, const FileIdentity& identity) const {
  if (!identity.exists() || !identity.regular) return std::nullopt;
  load();
  const auto it = entries_.constFind(canonical(path));
  if (it == entries_.constEnd() || it->identity != identity.toString()) return std::nullopt;
  return it->verdict;
}

void VerdictCache::store(const QString& path, const FileIdentity& identity, const CachedVerdict& verdict) {
  const QString key = canonical(path);
  if (key.isEmpty() || !identity.exists() || !identity.regular) return;
  load();
  Entry entry{identity.toString(), verdict, QDateTime::currentMSecsSinceEpoch()};
  // Another process may have stored verdicts since this one read the file: merge, then prune.
  QHash<QString, Entry> merged = readFile();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const auto there = merged.find(it.key());
    if (there == merged.end() || there->storedMs < it->storedMs) merged.insert(it.key(), it.value());
  }
  merged.insert(key, entry);
  if (merged.size() > kMaxEntries) {
    std::vector<std::pair<qint64, QString>> byAge;
    for (auto it = merged.begin(); it != merged.end(); ++it) byAge.emplace_back(it->storedMs, it.key());
    std::sort(byAge.begin(), byAge.end());
    for (std::size_t i = 0; i + kMaxEntries < byAge.size(); ++i) merged.remove(byAge[i].second);
  }
  entries_ = merged;
  writeFile(entries_);
}

}  // namespace shellscope::ui
