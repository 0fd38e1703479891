#pragma once
// Runs shell-energy computations, the built-in experiment and exact lab runs off the GUI thread. Move a
// ComputeWorker to a QThread and start jobs with QMetaObject::invokeMethod(worker, "compute",
// Qt::QueuedConnection, ...); results come back as queued signals handled on the receiver's
// thread. cancel() may be called from any thread.

#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "shellscope/engine/compute.h"
#include "shellscope/experiment/experiment.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/spectral/run.h"

namespace shellscope::ui {

class ComputeWorker : public QObject {
  Q_OBJECT
 public:
  explicit ComputeWorker(QObject* parent = nullptr);

  /// Thread-safe: the running job stops at its next operator product and emits cancelled().
  void cancel();
  /// Thread-safe: stops the job started with `jobId`, whether it is running or still on its way
  /// to this thread (then it emits cancelled() as soon as it starts, without doing any work).
  void cancelJob(int jobId);

 public Q_SLOTS:
  /// Computes one run per checkpoint in `settings`; emits progress, runFinished per checkpoint,
  /// then finished, failed or cancelled. `jobId` (non-zero) names the job for cancelJob().
  void compute(const shellscope::ComputeSettings& settings, int jobId = 0);
  /// Runs (or resumes) the built-in experiment; emits progress, then experimentFinished with the
  /// session path, failed or cancelled.
  void runExperiment(const shellscope::ExperimentSettings& settings, int jobId = 0);
  /// Trains and measures a lab run (docs/lab.md); when `sessionPath` is not empty, adds it to that
  /// session file (appendLabRun, an atomic edit keeping everything else) and gives it the id the
  /// file assigned. Emits progress, then labRunFinished, failed or cancelled.
  void runLab(const shellscope::LabRunSettings& settings, const QString& sessionPath, int jobId = 0);

 Q_SIGNALS:
  /// At most about ten times a second, and once at the end.
  void progress(double fraction, const QString& stage, double etaSeconds);
  void runFinished(const shellscope::Run& run);
  void finished(const std::vector<shellscope::Run>& runs);
  void experimentFinished(const QString& sessionPath);
  void labRunFinished(const shellscope::LabRun& run);
  void failed(const QString& message);
  void cancelled();

 private:
  /// A fresh token for a job, reporting through progress() (the token throttles to ten a second).
  std::shared_ptr<ProgressToken> startJob(int jobId);
  void endJob();
  /// Runs `work` with the job's token, turning a cancel into cancelled() and errors into failed().
  void runJob(int jobId, const std::function<void(const ProgressToken&)>& work);

  std::mutex mutex_;
  std::shared_ptr<ProgressToken> current_;  ///< the running job's token, guarded by mutex_
  int currentJobId_ = 0;                    ///< guarded by mutex_
  std::set<int> cancelledBeforeStart_;      ///< job ids cancelled before they started; mutex_
};

/// Registers the types the worker's queued signals carry; call once before connecting.
void registerComputeTypes();

}  // namespace shellscope::ui

Q_DECLARE_METATYPE(shellscope::ComputeSettings)
Q_DECLARE_METATYPE(shellscope::ExperimentSettings)
Q_DECLARE_METATYPE(shellscope::Run)
Q_DECLARE_METATYPE(std::vector<shellscope::Run>)
Q_DECLARE_METATYPE(shellscope::LabRunSettings)
Q_DECLARE_METATYPE(shellscope::LabRun)
