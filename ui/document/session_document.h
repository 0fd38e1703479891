#pragma once
// The open session as the GUI sees it: the runs, their analysis, which runs are checked for
// display and their colours, the file it belongs to and whether it has unsaved changes. Opening,
// saving and analysing run on background threads (QtConcurrent); results arrive as signals on the
// GUI thread, and a failed open leaves the current session untouched.
//
// open() parses nothing in this process before a child has read the file (session_check.h): a file
// the checker refuses, crashes on or times out on is openFailed() with its reason, and only a file
// it passed, unchanged since, is read here. The GUI's own saves are remembered as good, so reopening
// them starts no child; without a checker the file is read unchecked and checkSkipped() says so. A
// newer open() or clear() abandons a check still running.

#include <QColor>
#include <QFutureWatcher>
#include <QObject>
#include <QSet>
#include <QString>
#include <map>
#include <memory>
#include <optional>

#include "shellscope/analysis/session_analysis.h"
#include "shellscope/session/session.h"
#include "ui/document/cursor_model.h"
#include "ui/document/session_check.h"

namespace shellscope::ui {

class SessionDocument : public QObject {
  Q_OBJECT
 public:
  explicit SessionDocument(QObject* parent = nullptr);
  ~SessionDocument() override;

  const Session& session() const { return session_; }
  const analysis::SessionAnalysis& analysis() const { return analysis_; }
  const analysis::RunAnalysis* analysisOf(const std::string& runId) const { return analysis_.findRun(runId); }
  const Run* run(const std::string& runId) const { return session_.findRun(runId); }

  QString path() const { return path_; }
  bool isEmpty() const { return session_.runs.empty(); }
  bool isModified() const { return modified_; }
  bool isBusy() const { return busy_ > 0; }

  /// Model names by parameter count, and a model's runs by step (indexed when the runs change).
  const std::vector<std::string>& models() const { return models_; }
  std::vector<const Run*> runsOf(const std::string& model) const;

  bool isChecked(const std::string& runId) const { return checked_.contains(QString::fromStdString(runId)); }
  void setChecked(const std::string& runId, bool checked);
  void setChecked(const std::vector<std::string>& runIds, bool checked);
  std::vector<const Run*> checkedRuns() const;
  /// Checks exactly the runs of `runIds` that the session has (a view state's selection).
  void setCheckedRuns(const QStringList& runIds);
  /// A run's colour: its model's perceptual colour map, by the run's position in step order
  /// (looked up, not recomputed: views ask for it for every point they draw).
  QColor colorOf(const Run& run) const;
  /// A model's colour (for overlays of models).
  QColor colorOfModel(const std::string& model) const;

  /// The linked λ and step cursors of the views (cleared with a new or opened session).
  CursorModel* cursors() const { return cursors_; }

  /// The named view states saved with the session (view_state.h holds their meaning).
  const std::vector<NamedViewState>& viewStates() const { return session_.viewStates; }
  const NamedViewState* findViewState(const std::string& name) const;
  /// Adds or replaces the state `name`; the session is then modified.
  void setViewState(const std::string& name, std::string json);
  bool removeViewState(const std::string& name);

  /// Shows `session` read from `path` without a check or a background read, as open() does once
  /// the file is read (headless replay of a view state, tests); the analysis still runs in the background.
  void adopt(Session session, analysis::SessionAnalysis stored, const QString& path);

  /// Starts over with an empty, untitled session.
  void clear();
  /// Checks `path` in a child process, then reads it in the background; opened() or openFailed()
  /// follows (checkSkipped() first when there is no checker and the file is read unchecked).
  void open(const QString& path);
  /// The child-process check of open() (tests: another checker, cache or timeout).
  SessionCheck* sessionCheck() const { return check_; }
  /// Writes the session and its analysis to `path` in the background; saved() or saveFailed().
  void save(const QString& path);
  /// Adds a computed run (it becomes checked and is analysed in the background).
  void addRun(Run run);
  /// Analysis settings (smoothing, bootstrap, fitted range); changing them re-analyses every run.
  void setAnalysisOptions(const analysis::AnalysisOptions& options);
  /// The checkpoints the trends of `models` are fitted over (nullopt: detected again). Only the
  /// trends are redone; the window is saved with the session.
  void setTrendWindow(const std::vector<std::string>& models, std::optional<analysis::StepRange> range);

 Q_SIGNALS:
  void sessionReset();          ///< everything changed (new, opened)
  void runsAdded(const QStringList& runIds);
  void analysisChanged();
  void checkedChanged();
  void viewStatesChanged();
  void modifiedChanged(bool modified);
  void pathChanged(const QString& path);
  void busyChanged(bool busy, const QString& message);
  void opened(const QString& path);
  void openFailed(const QString& path, const QString& message);
  /// `path` is read without a child-process check first, and why (no checker beside the executable).
  void checkSkipped(const QString& path, const QString& reason);
  void saved(const QString& path);
  void saveFailed(const QString& path, const QString& message);

 private:
  struct Loaded;
  struct Written;
  /// Reads `path` in the background, once the check has allowed it.
  void read(const QString& path, const SessionVerdict& verdict);
  void setModified(bool modified);
  void beginBusy(const QString& message);
  void endBusy();
  /// Analyses the runs without a current analysis in the background, then trends and alignments.
  void refreshAnalysis();
  void checkDefaultRuns();
  /// Rebuilds the model order, the runs of each model in step order and the colours.
  void indexRuns();

  Session session_;
  analysis::SessionAnalysis analysis_;
  analysis::AnalysisOptions options_;
 public:
  const analysis::AnalysisOptions& analysisOptions() const { return options_; }

 private:
  QSet<QString> checked_;
  std::vector<std::string> models_;                            ///< by parameter count
  std::map<std::string, std::vector<const Run*>> runsByModel_;  ///< by step
  std::map<const Run*, QColor> colors_;
  QString path_;
  bool modified_ = false;
  int busy_ = 0;
  int analysisGeneration_ = 0;  ///< results of an older analysis request are dropped
  SessionCheck* check_;
  CursorModel* cursors_;
  bool checking_ = false;  ///< an open() waits for its check (it holds one busy count)
  QString pendingPath_;    ///< what that open() was given
};

}  // namespace shellscope::ui
