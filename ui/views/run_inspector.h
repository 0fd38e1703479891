#pragma once
// The inspector: the selected run's settings, provenance, spectrum summary, frontier and fit
// parameters with their uncertainties. Its inputs (checkpoint and data) are looked up again in
// the background, from the session file's folder (session/provenance.h), showing whether each is
// found and unchanged, with a button that computes the run again with the same settings.

#include <QTreeWidget>
#include <map>
#include <string>

#include "shellscope/engine/compute.h"
#include "shellscope/session/provenance.h"

namespace shellscope::ui {

class SessionDocument;

class RunInspector : public QTreeWidget {
  Q_OBJECT
 public:
  explicit RunInspector(SessionDocument* document, QWidget* parent = nullptr);

 public Q_SLOTS:
  /// Shows `runId` (empty: nothing selected).
  void showRun(const QString& runId);

 Q_SIGNALS:
  /// "Recompute this run" was pressed: the settings of the shown run, with its inputs where they
  /// were found from here.
  void recomputeRequested(const shellscope::ComputeSettings& settings);

 public:
  /// The inputs of the shown run once checked (nullptr while the check runs).
  const RunInputs* inputsOfShownRun() const;
  /// Presses "Recompute this run" (for tests and the keyboard).
  void requestRecompute();

 private:
  void refresh();
  /// Starts checking the inputs of the shown run in the background (once per run and session file).
  void checkInputs(const Run& run);
  void addInputRows(const Run& run);

  SessionDocument* document_;
  std::string runId_;
  std::map<std::string, RunInputs> inputs_;  ///< by run id, for the current session file
  QString inputsSession_;                    ///< the session file inputs_ belongs to
  int checkGeneration_ = 0;
};

}  // namespace shellscope::ui
