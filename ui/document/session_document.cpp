#include "ui/document/session_document.h"

#include <QtConcurrent/QtConcurrent>
#include <algorithm>
#include <map>

#include "shellscope/analysis/analysis_file.h"
#include "shellscope/session/session_file.h"
#include "ui/background_pool.h"
#include "ui/charts/colormap.h"

namespace shellscope::ui {

/// What a background open produces: the session and its stored analysis, or why it failed.
struct SessionDocument::Loaded {
  Session session;
  analysis::SessionAnalysis analysis;
  QString error;
};

/// What a background save produces: why it failed, or the file as it was written.
struct SessionDocument::Written {
  QString error;
  FileIdentity identity;
};

namespace {
constexpr int kDefaultCheckedRuns = 16;
}

SessionDocument::SessionDocument(QObject* parent)
    : QObject(parent), check_(new SessionCheck(this)), cursors_(new CursorModel(this)) {
  connect(check_, &SessionCheck::finished, this, [this](const QString&, const SessionVerdict& verdict) {
    if (!checking_) return;
    checking_ = false;
    if (!verdict.mayOpen()) {
      endBusy();
      Q_EMIT openFailed(pendingPath_, verdict.message);  // the current session stays as it was
      return;
    }
    if (verdict.kind == SessionVerdict::Kind::Unchecked) {
      qWarning("%s", qPrintable(verdict.message));
      Q_EMIT checkSkipped(pendingPath_, verdict.message);
    }
    read(pendingPath_, verdict);  // takes its own busy count before the check's is released
    endBusy();
  });
}

SessionDocument::~SessionDocument() = default;

void SessionDocument::indexRuns() {
  std::map<std::string, std::int64_t> size;
  runsByModel_.clear();
  for (const Run& run : session_.runs) {
    size[run.meta.modelName] = run.meta.nParams;
    runsByModel_[run.meta.modelName].push_back(&run);
  }
  models_.clear();
  for (const auto& [name, params] : size) models_.push_back(name);
  std::stable_sort(models_.begin(), models_.end(), [&](const auto& a, const auto& b) { return size[a] < size[b]; });
  colors_.clear();
  for (std::size_t map = 0; map < models_.size(); ++map) {
    std::vector<const Run*>& runs = runsByModel_[models_[map]];
    std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
    for (std::size_t rank = 0; rank < runs.size(); ++rank) {
      const double t = runs.size() > 1 ? static_cast<double>(rank) / static_cast<double>(runs.size() - 1) : 0.0;
      colors_[runs[rank]] = sequentialColor(static_cast<int>(map), 0.9 * t);  // the brightest yellow is hard to see on white
    }
  }
}

std::vector<const Run*> SessionDocument::runsOf(const std::string& model) const {
  const auto found = runsByModel_.find(model);
  return found == runsByModel_.end() ? std::vector<const Run*>{} : found->second;
}

void SessionDocument::setChecked(const std::string& runId, bool checked) { setChecked(std::vector<std::string>{runId}, checked); }

void SessionDocument::setChecked(const std::vector<std::string>& runIds, bool checked) {
  bool changed = false;
  for (const std::string& id : runIds) {
    const QString key = QString::fromStdString(id);
    if (checked && !checked_.contains(key)) {
      checked_.insert(key);
      changed = true;
    } else if (!checked && checked_.remove(key)) {
      changed = true;
    }
  }
  if (changed) Q_EMIT checkedChanged();
}

std::vector<const Run*> SessionDocument::checkedRuns() const {
  std::vector<const Run*> runs;
  for (const std::string& model : models()) {
    for (const Run* run : runsOf(model)) {
      if (isChecked(run->id)) runs.push_back(run);
    }
  }
  return runs;
}

QColor SessionDocument::colorOf(const Run& run) const {
  const auto found = colors_.find(&run);
  return found == colors_.end() ? QColor(Qt::gray) : found->second;
}

QColor SessionDocument::colorOfModel(const std::string& model) const {
  return categoricalColor(static_cast<int>(std::find(models_.begin(), models_.end(), model) - models_.begin()));
}

void SessionDocument::setModified(bool modified) {
  if (modified_ == modified) return;
  modified_ = modified;
  Q_EMIT modifiedChanged(modified);
}

void SessionDocument::beginBusy(const QString& message) {
  if (busy_++ == 0) Q_EMIT busyChanged(true, message);
}

void SessionDocument::endBusy() {
  if (--busy_ == 0) Q_EMIT busyChanged(false, QString());
}

void SessionDocument::clear() {
  session_ = Session{};
  cursors_->clearPinned();
  Q_EMIT viewStatesChanged();
  indexRuns();
  analysis_ = analysis::SessionAnalysis{};
  analysis_.options = options_;
  checked_.clear();
  path_.clear();
  ++analysisGeneration_;
  if (checking_) {  // a file being checked for opening is not opened after all
    check_->cancel();
    checking_ = false;
    endBusy();
  }
  setModified(false);
  Q_EMIT pathChanged(path_);
  Q_EMIT sessionReset();
}

void SessionDocument::checkDefaultRuns() {
  checked_.clear();
  if (models_.empty()) return;
  const std::vector<const Run*> runs = runsOf(models_.front());
  const std::size_t count = runs.size();
  const std::size_t shown = std::min<std::size_t>(count, kDefaultCheckedRuns);
  for (std::size_t i = 0; i < shown; ++i) {
    const std::size_t index = shown > 1 ? i * (count - 1) / (shown - 1) : 0;
    checked_.insert(QString::fromStdString(runs[index]->id));
  }
}

void SessionDocument::open(const QString& path) {
  const bool abandoning = checking_;
  beginBusy(tr("Checking %1…").arg(path));
  if (abandoning) {
    check_->cancel();  // the file opened before is not waited for
    endBusy();
  }
  checking_ = true;
  pendingPath_ = path;
  check_->check(path);
}

void SessionDocument::adopt(Session session, analysis::SessionAnalysis stored, const QString& path) {
  session_ = std::move(session);
  indexRuns();
  analysis_ = std::move(stored);
  // The stored settings (and trend windows) hold even when every run's analysis is to be redone.
  const bool storedAnalysis = !analysis_.runs.empty() || !analysis_.trends.empty();
  // Keep the stored analysis of unchanged runs only; the rest is recomputed.
  analysis_.runs.erase(std::remove_if(analysis_.runs.begin(), analysis_.runs.end(),
                                      [](const analysis::RunAnalysis& a) { return a.stale; }),
                       analysis_.runs.end());
  if (storedAnalysis) options_ = analysis_.options;
  path_ = path;
  ++analysisGeneration_;
  cursors_->clearPinned();
  checkDefaultRuns();
  setModified(false);
  Q_EMIT pathChanged(path_);
  Q_EMIT sessionReset();
  Q_EMIT viewStatesChanged();
  refreshAnalysis();
}

void SessionDocument::setViewState(const std::string& name, std::string json) {
  for (NamedViewState& state : session_.viewStates) {
    if (state.name == name) {
      if (state.json == json) return;
      state.json = std::move(json);
      setModified(true);
      Q_EMIT viewStatesChanged();
      return;
    }
  }
  session_.viewStates.push_back({name, std::move(json)});
  setModified(true);
  Q_EMIT viewStatesChanged();
}

bool SessionDocument::removeViewState(const std::string& name) {
  auto& states = session_.viewStates;
  const auto found = std::find_if(states.begin(), states.end(), [&](const NamedViewState& s) { return s.name == name; });
  if (found == states.end()) return false;
  states.erase(found);
  setModified(true);
  Q_EMIT viewStatesChanged();
  return true;
}

const NamedViewState* SessionDocument::findViewState(const std::string& name) const {
  for (const NamedViewState& state : session_.viewStates) {
    if (state.name == name) return &state;
  }
  return nullptr;
}

void SessionDocument::setCheckedRuns(const QStringList& runIds) {
  QSet<QString> checked;
  for (const QString& id : runIds) {
    if (session_.findRun(id.toStdString())) checked.insert(id);
  }
  if (checked == checked_) return;
  checked_ = checked;
  Q_EMIT checkedChanged();
}

void SessionDocument::read(const QString& path, const SessionVerdict& verdict) {
  beginBusy(tr("Opening %1…").arg(path));
  auto* watcher = new QFutureWatcher<std::shared_ptr<Loaded>>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
    const std::shared_ptr<Loaded> loaded = watcher->result();
    watcher->deleteLater();
    endBusy();
    if (!loaded->error.isEmpty()) {
      Q_EMIT openFailed(path, loaded->error);  // the current session stays as it was
      return;
    }
    adopt(std::move(loaded->session), std::move(loaded->analysis), path);
    Q_EMIT opened(path);
  });
  const bool checked = verdict.kind == SessionVerdict::Kind::Good;
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [path, checked, identity = verdict.identity] {
    auto loaded = std::make_shared<Loaded>();
    if (checked && fileIdentity(path) != identity) {
      // Replaced or written to since the child read it: what is there now has not been checked.
      loaded->error = tr("%1 changed while it was being checked; open it again").arg(path);
      return loaded;
    }
    try {
      loaded->session = readSession(path.toStdString());
      loaded->analysis = analysis::readAnalysis(path.toStdString(), loaded->session);
    } catch (const std::exception& e) {
      loaded->error = QString::fromStdString(e.what());
    }
    return loaded;
  }));
}

void SessionDocument::save(const QString& path) {
  beginBusy(tr("Saving %1…").arg(path));
  auto* watcher = new QFutureWatcher<Written>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
    const Written written = watcher->result();
    watcher->deleteLater();
    endBusy();
    if (!written.error.isEmpty()) {
      Q_EMIT saveFailed(path, written.error);
      return;
    }
    // This process wrote it: reopening it needs no child-process check.
    if (VerdictCache* cache = check_->cache()) cache->trust(path, written.identity);
    path_ = path;
    setModified(false);
    Q_EMIT pathChanged(path_);
    Q_EMIT saved(path);
  });
  // The background thread gets its own copies: the GUI may go on changing the document.
  // The current settings (a trend window set a moment ago) even while their analysis is running.
  analysis::SessionAnalysis toSave = analysis_;
  toSave.options = options_;
  // Groups the document does not hold (/lab, other tools' groups) are carried over from the file
  // it was opened from.
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [path, source = path_, session = session_,
                                                          analysis = std::move(toSave)] {
    Written written;
    try {
      analysis::writeSessionWithAnalysis(path.toStdString(), session, analysis, source.toStdString());
      written.identity = fileIdentity(path);  // at once: the smallest window for another writer
    } catch (const std::exception& e) {
      written.error = QString::fromStdString(e.what());
    }
    return written;
  }));
}

void SessionDocument::addRun(Run run) {
  const std::string id = session_.addRun(std::move(run));
  indexRuns();
  checked_.insert(QString::fromStdString(id));
  setModified(true);
  Q_EMIT runsAdded({QString::fromStdString(id)});
  Q_EMIT checkedChanged();
  refreshAnalysis();
}

void SessionDocument::setAnalysisOptions(const analysis::AnalysisOptions& options) {
  const auto windows = options_.trendWindows;  // chosen in the Trends view, not in the settings dialog
  options_ = options;
  options_.trendWindows = windows;
  analysis_.runs.clear();  // every run is analysed again with the new options
  refreshAnalysis();
}

void SessionDocument::setTrendWindow(const std::vector<std::string>& models, std::optional<analysis::StepRange> range) {
  bool changed = false;
  for (const std::string& model : models) {
    const auto found = options_.trendWindows.find(model);
    if (range) {
      changed |= found == options_.trendWindows.end() || found->second.first != range->first ||
                 found->second.last != range->last;
      options_.trendWindows[model] = *range;
    } else if (found != options_.trendWindows.end()) {
      options_.trendWindows.erase(found);
      changed = true;
    }
  }
  if (!changed) return;
  setModified(true);
  refreshAnalysis();  // the run analyses are current: only trends and alignments are redone
}

void SessionDocument::refreshAnalysis() {
  const int generation = ++analysisGeneration_;
  beginBusy(tr("Analysing %1 run(s)…").arg(session_.runs.size()));
  auto* watcher = new QFutureWatcher<analysis::SessionAnalysis>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
    analysis::SessionAnalysis result = watcher->result();
    watcher->deleteLater();
    endBusy();
    if (generation != analysisGeneration_) return;  // a newer request supersedes this one
    analysis_ = std::move(result);
    Q_EMIT analysisChanged();
  });
  watcher->setFuture(QtConcurrent::run(backgroundPool(), [session = session_, previous = analysis_, options = options_] {
    // Reuse current run analyses; analyse the others; trends and alignments need them all.
    analysis::SessionAnalysis result;
    result.options = options;
    for (const Run& run : session.runs) {
      const analysis::RunAnalysis* known = previous.findRun(run.id);
      if (known && !known->stale && known->fingerprint == analysis::runFingerprint(run)) {
        result.runs.push_back(*known);
      } else {
        analysis::RunAnalysis a = analysis::analyzeRun(run, options);
        a.fingerprint = analysis::runFingerprint(run);
        result.runs.push_back(std::move(a));
      }
    }
    return analysis::summarizeSession(session, std::move(result.runs), options);
  }));
}

}  // namespace shellscope::ui
