#pragma once
// One queue of compute, experiment and lab jobs run one at a time, in order, on one worker thread
// (a ComputeWorker moved to a QThread). Everything here lives on the GUI thread: the worker's
// signals arrive through queued connections, and nothing blocks or spins an event loop.
//
// After cancel(id) returns, the job emits nothing but jobChanged(id) and ends Cancelled: a run
// or experiment result still in flight from the worker is dropped, so a cancelled job changes
// nothing downstream after the click.

#include <QList>
#include <QObject>
#include <QString>
#include <QThread>
#include <deque>
#include <map>
#include <variant>

#include "shellscope/engine/compute.h"
#include "shellscope/experiment/experiment.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/spectral/run.h"

namespace shellscope::ui {

class ComputeWorker;

/// One job as the queue reports it.
struct Job {
  enum class Kind { Compute, Experiment, Lab };
  enum class State { Queued, Running, Finished, Failed, Cancelled };

  int id = 0;
  QString title;
  Kind kind = Kind::Compute;
  State state = State::Queued;
  double fraction = 0.0;     ///< 0..1 over the whole job
  QString stage;             ///< the worker's last stage text
  double etaSeconds = -1.0;  ///< < 0 while unknown
  QString message;           ///< the error of a failed job (names the file and the reason)
  int runsDone = 0;          ///< runs forwarded through runFinished
  QString sessionPath;       ///< a finished experiment's session file

  /// Queued or running.
  bool isActive() const { return state == State::Queued || state == State::Running; }
};

class JobQueue : public QObject {
  Q_OBJECT
 public:
  /// Starts the worker thread.
  explicit JobQueue(QObject* parent = nullptr);
  /// Cancels everything and waits for the worker thread to stop (the running job stops at its
  /// next operator product).
  ~JobQueue() override;

  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  /// Adds a job at the end of the queue; it starts at once when nothing else runs. Returns its id.
  int enqueueCompute(const shellscope::ComputeSettings& settings, const QString& title);
  int enqueueExperiment(const shellscope::ExperimentSettings& settings, const QString& title);
  /// A lab run, added to the session file `sessionPath` when it is not empty (labRunFinished
  /// carries the run with the id the file gave it; without a file the id stays empty).
  int enqueueLab(const shellscope::LabRunSettings& settings, const QString& sessionPath, const QString& title);

  /// A queued job is marked Cancelled without running; the running one is asked to stop and ends
  /// Cancelled when the worker confirms. Finished, failed or unknown jobs are left alone.
  void cancel(int jobId);
  /// Cancels every queued and running job.
  void cancelAll();
  /// Forgets finished, failed and cancelled jobs (jobRemoved for each).
  void clearFinished();

  /// nullptr for unknown ids; valid until the job is removed by clearFinished().
  const Job* job(int jobId) const;
  /// Every job still listed, in the order they were added.
  QList<int> jobIds() const;
  /// Whether a job is running (or queued).
  bool isBusy() const { return running_ != 0 || !pending_.empty(); }
  /// The running job's id, 0 when none.
  int runningJob() const { return running_; }

 Q_SIGNALS:
  void jobAdded(int jobId);
  /// State, progress or stage changed (the worker throttles progress to about ten a second).
  void jobChanged(int jobId);
  void jobRemoved(int jobId);
  /// A checkpoint's run, as soon as the worker finishes it.
  void runFinished(const shellscope::Run& run);
  void experimentFinished(const QString& sessionPath);
  void labRunFinished(const shellscope::LabRun& run);
  void jobFailed(int jobId, const QString& message);
  /// The last job ended and nothing is queued.
  void idle();

 private:
  struct LabWork {
    shellscope::LabRunSettings settings;
    QString sessionPath;
  };
  struct Entry {
    Job job;
    std::variant<shellscope::ComputeSettings, shellscope::ExperimentSettings, LabWork> work;
    bool cancelRequested = false;
  };

  int enqueue(Entry entry);
  /// Starts the next queued job when nothing runs.
  void startNext();
  Entry* runningEntry();
  /// Marks the running job ended in `state` (jobFailed too for Failed) and starts the next one
  /// or emits idle().
  void endRunning(Job::State state);
  /// Ends the running job as cancelled if a cancel was asked for; says whether it did.
  bool endIfCancelRequested(Entry& entry);
  /// Progress complete, no ETA, stage "done".
  void markDone(Entry& entry);

  void onProgress(double fraction, const QString& stage, double etaSeconds);
  void onRunFinished(const shellscope::Run& run);
  void onFinished();
  void onExperimentFinished(const QString& sessionPath);
  void onLabRunFinished(const shellscope::LabRun& run);
  void onFailed(const QString& message);
  void onCancelled();

  QThread thread_;
  ComputeWorker* worker_ = nullptr;  ///< lives on thread_, deleted when it finishes
  std::map<int, Entry> entries_;     ///< by id, ids increase in enqueue order
  std::deque<int> pending_;          ///< queued ids, next first
  int running_ = 0;
  int nextId_ = 1;
  /// Set when the running job is to stop; read on the worker thread at each progress report, so
  /// that a cancel arriving before the worker has picked the job up is not lost.
};

}  // namespace shellscope::ui
