#pragma once
// What the child-process check (session_check.h) concluded about a session file, remembered by the
// file's identity: its canonical path with its size, modification and status-change times (in
// nanoseconds), inode and device. A verdict is given back only while every one of them is as it
// was when the file was checked, so a write to the file, a replacement by rename, a copy over it or
// a `touch` makes it unknown again. The GUI's own saves are recorded as good (trust()).
//
// Kept in memory for the process and in a small JSON file (by default under
// QStandardPaths::CacheLocation) that several processes may share: each store re-reads the file,
// merges its entry and replaces the file atomically; a missing or unreadable file is an empty
// cache, never an error. The file holds at most kMaxEntries, the most recently stored. GUI thread
// only, except fileIdentity(), which any thread may call.

#include <QHash>
#include <QString>
#include <QtGlobal>
#include <optional>

namespace shellscope::ui {

/// Who a file is: what stat() says of it now. Not `exists()` when it cannot be stat'ed.
struct FileIdentity {
  qint64 size = -1;
  qint64 modifiedNs = 0;  ///< st_mtim
  qint64 changedNs = 0;   ///< st_ctim: also moves on rename, chmod and a `touch -r`
  quint64 inode = 0;
  quint64 device = 0;
  bool regular = false;  ///< a regular file (only these are cached)

  bool exists() const { return size >= 0; }
  QString toString() const;
  static FileIdentity fromString(const QString& text);
  friend bool operator==(const FileIdentity& a, const FileIdentity& b) {
    return a.size == b.size && a.modifiedNs == b.modifiedNs && a.changedNs == b.changedNs && a.inode == b.inode &&
           a.device == b.device && a.regular == b.regular;
  }
  friend bool operator!=(const FileIdentity& a, const FileIdentity& b) { return !(a == b); }
};

/// The file at `path` as it is now (follows symbolic links). Thread-safe.
FileIdentity fileIdentity(const QString& path);

/// A verdict worth remembering: the file is good, or why it is not.
struct CachedVerdict {
  bool good = false;
  QString message;  ///< why not (empty when good)
};

class VerdictCache {
 public:
  static constexpr int kMaxEntries = 512;

  /// A cache kept in `file` (created when first stored into); empty: memory only.
  explicit VerdictCache(QString file);
  /// The cache of this process: one object, kept in defaultFile().
  static VerdictCache& shared();
  /// CacheLocation/session-verdicts.json.
  static QString defaultFile();

  QString file() const { return file_; }
  /// The verdict on `path` when the file is still the one it was given for.
  std::optional<CachedVerdict> find(const QString& path, const FileIdentity& identity) const;
  /// Remembers `verdict` for `path` as it was when checked (`identity`); ignored for anything but
  /// a regular file that exists.
  void store(const QString& path, const FileIdentity& identity, const CachedVerdict& verdict);
  /// `path` was written by this process: good, as it is now (`identity`).
  void trust(const QString& path, const FileIdentity& identity) { store(path, identity, CachedVerdict{true, {}}); }

 private:
  struct Entry {
    QString identity;  ///< FileIdentity::toString()
    CachedVerdict verdict;
    qint64 storedMs = 0;
  };
  void load() const;
  QHash<QString, Entry> readFile() const;
  void writeFile(const QHash<QString, Entry>& entries) const;

  QString file_;
  mutable bool loaded_ = false;
  mutable QHash<QString, Entry> entries_;  ///< by canonical path
};

}  // namespace shellscope::ui
