#include "ui/compute_worker.h"

namespace shellscope::ui {

void registerComputeTypes() {
  qRegisterMetaType<shellscope::ComputeSettings>();
  qRegisterMetaType<shellscope::ExperimentSettings>();
  qRegisterMetaType<shellscope::Run>();
  qRegisterMetaType<std::vector<shellscope::Run>>();
}

ComputeWorker::ComputeWorker(QObject* parent) : QObject(parent) {}

void ComputeWorker::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_) current_->cancel();
}

std::shared_ptr<ProgressToken> ComputeWorker::startJob() {
  lastEmit_ = -1.0;
  auto token = std::make_shared<ProgressToken>([this](const ProgressEvent& event) {
    // Throttled: the engine reports after every operator product.
    if (event.elapsedSeconds - lastEmit_ < 0.1 && event.fraction < 1.0) return;
    lastEmit_ = event.elapsedSeconds;
    Q_EMIT progress(event.fraction, QString::fromStdString(event.stage), event.etaSeconds);
  });
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = token;
  return token;
}

void ComputeWorker::endJob() {
  std::lock_guard<std::mutex> lock(mutex_);
  current_.reset();
}

void ComputeWorker::compute(const ComputeSettings& settings) {
  const auto token = startJob();
  try {
    std::vector<Run> runs = computeRuns(settings, *token, [this](const Run& run) { Q_EMIT runFinished(run); });
    Q_EMIT finished(runs);
  } catch (const CancelledError&) {
    Q_EMIT cancelled();
  } catch (const std::exception& error) {
    Q_EMIT failed(QString::fromStdString(error.what()));
  }
  endJob();
}

void ComputeWorker::runExperiment(const ExperimentSettings& settings) {
  const auto token = startJob();
  try {
    const ExperimentReport report = shellscope::runExperiment(settings, *token);
    Q_EMIT experimentFinished(QString::fromStdString(report.sessionPath));
  } catch (const CancelledError&) {
    Q_EMIT cancelled();
  } catch (const std::exception& error) {
    Q_EMIT failed(QString::fromStdString(error.what()));
  }
  endJob();
}

}  // namespace shellscope::ui
