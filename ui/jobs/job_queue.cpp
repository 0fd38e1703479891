#include "ui/jobs/job_queue.h"

#include <algorithm>

#include "ui/jobs/compute_worker.h"

namespace shellscope::ui {

JobQueue::JobQueue(QObject* parent) : QObject(parent) {
  registerComputeTypes();
  thread_.setObjectName(QStringLiteral("shellscope-jobs"));
  worker_ = new ComputeWorker;
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(worker_, &ComputeWorker::progress, this, &JobQueue::onProgress, Qt::QueuedConnection);
  connect(worker_, &ComputeWorker::runFinished, this, &JobQueue::onRunFinished, Qt::QueuedConnection);
  connect(worker_, &ComputeWorker::finished, this, &JobQueue::onFinished, Qt::QueuedConnection);
  connect(worker_, &ComputeWorker::experimentFinished, this, &JobQueue::onExperimentFinished, Qt::QueuedConnection);
  connect(worker_, &ComputeWorker::labRunFinished, this, &JobQueue::onLabRunFinished, Qt::QueuedConnection);
  connect(worker_, &ComputeWorker::failed, this, &JobQueue::onFailed, Qt::QueuedConnection);
  connect(worker_, &ComputeWorker::cancelled, this, &JobQueue::onCancelled, Qt::QueuedConnection);
  thread_.start();
}

JobQueue::~JobQueue() {
  // Nothing more is reported from here on: results still in flight are dropped with this object.
  disconnect(worker_, nullptr, this, nullptr);
  pending_.clear();
  worker_->cancel();
  thread_.quit();
  thread_.wait();
}

int JobQueue::enqueueCompute(const ComputeSettings& settings, const QString& title) {
  Entry entry;
  entry.job.kind = Job::Kind::Compute;
  entry.job.title = title;
  entry.work = settings;
  return enqueue(std::move(entry));
}

int JobQueue::enqueueExperiment(const ExperimentSettings& settings, const QString& title) {
  Entry entry;
  entry.job.kind = Job::Kind::Experiment;
  entry.job.title = title;
  entry.work = settings;
  return enqueue(std::move(entry));
}

int JobQueue::enqueueLab(const LabRunSettings& settings, const QString& sessionPath, const QString& title) {
  Entry entry;
  entry.job.kind = Job::Kind::Lab;
  entry.job.title = title;
  entry.work = LabWork{settings, sessionPath};
  return enqueue(std::move(entry));
}

int JobQueue::enqueue(Entry entry) {
  const int id = nextId_++;
  entry.job.id = id;
  entries_.emplace(id, std::move(entry));
  pending_.push_back(id);
  Q_EMIT jobAdded(id);
  startNext();
  return id;
}

void JobQueue::startNext() {
  if (running_ != 0 || pending_.empty()) return;
  const int id = pending_.front();
  pending_.pop_front();
  Entry& entry = entries_.at(id);
  running_ = id;
  entry.job.state = Job::State::Running;
  entry.job.stage = tr("starting");
  ComputeWorker* worker = worker_;
  if (const auto* settings = std::get_if<ComputeSettings>(&entry.work)) {
    QMetaObject::invokeMethod(worker, [worker, settings = *settings, id] { worker->compute(settings, id); }, Qt::QueuedConnection);
  } else if (const auto* lab = std::get_if<LabWork>(&entry.work)) {
    QMetaObject::invokeMethod(worker, [worker, lab = *lab, id] { worker->runLab(lab.settings, lab.sessionPath, id); },
                              Qt::QueuedConnection);
  } else {
    const auto& experiment = std::get<ExperimentSettings>(entry.work);
    QMetaObject::invokeMethod(worker, [worker, experiment, id] { worker->runExperiment(experiment, id); }, Qt::QueuedConnection);
  }
  Q_EMIT jobChanged(id);
}

JobQueue::Entry* JobQueue::runningEntry() {
  const auto it = entries_.find(running_);
  return it == entries_.end() ? nullptr : &it->second;
}

void JobQueue::cancel(int jobId) {
  const auto it = entries_.find(jobId);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  if (entry.job.state == Job::State::Queued) {
    pending_.erase(std::remove(pending_.begin(), pending_.end(), jobId), pending_.end());
    entry.job.state = Job::State::Cancelled;
    entry.job.stage = tr("cancelled before it started");
    entry.job.etaSeconds = -1.0;
    Q_EMIT jobChanged(jobId);
  } else if (entry.job.state == Job::State::Running && !entry.cancelRequested) {
    entry.cancelRequested = true;
    entry.job.stage = tr("cancelling…");
    entry.job.etaSeconds = -1.0;
    worker_->cancelJob(jobId);  // also reaches a job still on its way to the worker thread
    Q_EMIT jobChanged(jobId);
  }
}

void JobQueue::cancelAll() {
  // Queued ones first, so that the running job's end does not start the next one.
  const std::deque<int> queued = pending_;
  for (const int id : queued) cancel(id);
  if (running_ != 0) cancel(running_);
}

void JobQueue::clearFinished() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.job.isActive()) {
      ++it;
      continue;
    }
    const int id = it->first;
    it = entries_.erase(it);
    Q_EMIT jobRemoved(id);
  }
}

const Job* JobQueue::job(int jobId) const {
  const auto it = entries_.find(jobId);
  return it == entries_.end() ? nullptr : &it->second.job;
}

QList<int> JobQueue::jobIds() const {
  QList<int> ids;
  ids.reserve(static_cast<qsizetype>(entries_.size()));
  for (const auto& [id, entry] : entries_) ids.append(id);
  return ids;
}

void JobQueue::onProgress(double fraction, const QString& stage, double etaSeconds) {
  Entry* entry = runningEntry();
  if (!entry) return;
  if (entry->cancelRequested) return;
  entry->job.fraction = std::max(entry->job.fraction, fraction);
  entry->job.stage = stage;
  entry->job.etaSeconds = etaSeconds;
  Q_EMIT jobChanged(entry->job.id);
}

void JobQueue::onRunFinished(const Run& run) {
  Entry* entry = runningEntry();
  if (!entry || entry->cancelRequested) return;
  ++entry->job.runsDone;
  const int id = entry->job.id;
  Q_EMIT runFinished(run);
  Q_EMIT jobChanged(id);
}

bool JobQueue::endIfCancelRequested(Entry& entry) {
  if (!entry.cancelRequested) return false;
  endRunning(Job::State::Cancelled);  // whatever the worker reported last
  return true;
}

void JobQueue::markDone(Entry& entry) {
  entry.job.fraction = 1.0;
  entry.job.etaSeconds = -1.0;
  entry.job.stage = tr("done");
}

void JobQueue::onFinished() {
  Entry* entry = runningEntry();
  if (!entry || endIfCancelRequested(*entry)) return;
  markDone(*entry);
  endRunning(Job::State::Finished);
}

void JobQueue::onExperimentFinished(const QString& sessionPath) {
  Entry* entry = runningEntry();
  if (!entry || endIfCancelRequested(*entry)) return;
  markDone(*entry);
  entry->job.sessionPath = sessionPath;
  Q_EMIT experimentFinished(sessionPath);
  endRunning(Job::State::Finished);
}

void JobQueue::onLabRunFinished(const LabRun& run) {
  Entry* entry = runningEntry();
  if (!entry || endIfCancelRequested(*entry)) return;
  markDone(*entry);
  if (const auto* lab = std::get_if<LabWork>(&entry->work)) entry->job.sessionPath = lab->sessionPath;
  Q_EMIT labRunFinished(run);
  endRunning(Job::State::Finished);
}

void JobQueue::onFailed(const QString& message) {
  Entry* entry = runningEntry();
  if (!entry || endIfCancelRequested(*entry)) return;
  entry->job.message = message;
  entry->job.stage = tr("failed");
  endRunning(Job::State::Failed);
}

void JobQueue::onCancelled() {
  if (runningEntry()) endRunning(Job::State::Cancelled);
}

void JobQueue::endRunning(Job::State state) {
  Entry* entry = runningEntry();
  const int id = running_;
  running_ = 0;
  if (entry) {
    entry->job.state = state;
    entry->job.etaSeconds = -1.0;
    if (state == Job::State::Cancelled) entry->job.stage = tr("cancelled");
    const QString message = entry->job.message;  // a receiver may clearFinished() the entry
    Q_EMIT jobChanged(id);
    if (state == Job::State::Failed) Q_EMIT jobFailed(id, message);
  }
  startNext();
  if (!isBusy()) Q_EMIT idle();
}

}  // namespace shellscope::ui
