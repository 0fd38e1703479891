#include "ui/compute_worker.h"

namespace shellscope::ui {

void registerComputeTypes() {
  qRegisterMetaType<shellscope::ComputeSettings>();
  qRegisterMetaType<std::vector<shellscope::Run>>();
}

ComputeWorker::ComputeWorker(QObject* parent) : QObject(parent) {}

void ComputeWorker::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_) current_->cancel();
}

void ComputeWorker::compute(const ComputeSettings& settings) {
  double lastEmit = -1.0;
  auto token = std::make_shared<ProgressToken>([this, &lastEmit](const ProgressEvent& event) {
    // Throttled: the engine reports after every operator product.
    if (event.elapsedSeconds - lastEmit < 0.1 && event.fraction < 1.0) return;
    lastEmit = event.elapsedSeconds;
    Q_EMIT progress(event.fraction, QString::fromStdString(event.stage), event.etaSeconds);
  });
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = token;
  }
  try {
    std::vector<Run> runs = computeRuns(settings, *token);
    Q_EMIT finished(runs);
  } catch (const CancelledError&) {
    Q_EMIT cancelled();
  } catch (const std::exception& error) {
    Q_EMIT failed(QString::fromStdString(error.what()));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  current_.reset();
}

}  // namespace shellscope::ui
