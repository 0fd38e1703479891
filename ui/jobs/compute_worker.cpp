#include "ui/jobs/compute_worker.h"

#include "ui/dialogs/setting_labels.h"

namespace shellscope::ui {

void registerComputeTypes() {
  qRegisterMetaType<shellscope::ComputeSettings>();
  qRegisterMetaType<shellscope::ExperimentSettings>();
  qRegisterMetaType<shellscope::Run>();
  qRegisterMetaType<std::vector<shellscope::Run>>();
  qRegisterMetaType<shellscope::LabRunSettings>();
  qRegisterMetaType<shellscope::LabRun>();
}

ComputeWorker::ComputeWorker(QObject* parent) : QObject(parent) {}

void ComputeWorker::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_) current_->cancel();
}

void ComputeWorker::cancelJob(int jobId) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ && currentJobId_ == jobId) {
    current_->cancel();
  } else {
    cancelledBeforeStart_.insert(jobId);
  }
}

std::shared_ptr<ProgressToken> ComputeWorker::startJob(int jobId) {
  // The token throttles: at most ten reports a second reach the signal.
  auto token = std::make_shared<ProgressToken>([this](const ProgressEvent& event) {
    Q_EMIT progress(event.fraction, QString::fromStdString(event.stage), event.etaSeconds);
  });
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = token;
  currentJobId_ = jobId;
  if (jobId != 0 && cancelledBeforeStart_.erase(jobId) > 0) token->cancel();
  return token;
}

void ComputeWorker::endJob() {
  std::lock_guard<std::mutex> lock(mutex_);
  current_.reset();
  currentJobId_ = 0;
}

void ComputeWorker::compute(const ComputeSettings& settings, int jobId) {
  runJob(jobId, [this, &settings](const ProgressToken& token) {
    std::vector<Run> runs = computeRuns(settings, token, [this](const Run& run) { Q_EMIT runFinished(run); });
    Q_EMIT finished(runs);
  });
}

void ComputeWorker::runExperiment(const ExperimentSettings& settings, int jobId) {
  runJob(jobId, [this, &settings](const ProgressToken& token) {
    const ExperimentReport report = shellscope::runExperiment(settings, token);
    Q_EMIT experimentFinished(QString::fromStdString(report.sessionPath));
  });
}

void ComputeWorker::runLab(const LabRunSettings& settings, const QString& sessionPath, int jobId) {
  runJob(jobId, [this, &settings, &sessionPath](const ProgressToken& token) {
    LabRun run = shellscope::runLab(settings, token);
    token.throwIfCancelled();  // a cancel after the last step leaves the file as it was
    if (!sessionPath.isEmpty()) run.id = appendLabRun(sessionPath.toStdString(), run);
    Q_EMIT labRunFinished(run);
  });
}

void ComputeWorker::runJob(int jobId, const std::function<void(const ProgressToken&)>& work) {
  const auto token = startJob(jobId);
  try {
    token->throwIfCancelled();  // cancelled on its way here
    work(*token);
  } catch (const CancelledError&) {
    Q_EMIT cancelled();
  } catch (const SettingError& error) {
    Q_EMIT failed(describeSettingError(error));
  } catch (const std::exception& error) {
    Q_EMIT failed(QString::fromStdString(error.what()));
  }
  endJob();
}

}  // namespace shellscope::ui
