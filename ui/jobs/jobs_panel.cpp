#include "ui/jobs/jobs_panel.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ui/jobs/job_queue.h"

namespace shellscope::ui {

namespace {
constexpr int kProgressSteps = 1000;
}

QString formatTimeLeft(double seconds) {
  if (!(seconds >= 0.0) || !std::isfinite(seconds)) return {};
  const long long total = std::llround(seconds);
  const long long hours = total / 3600, minutes = (total % 3600) / 60, secs = total % 60;
  if (hours > 0) return QObject::tr("%1 h %2 min left").arg(hours).arg(minutes);
  if (minutes > 0) return QObject::tr("%1 min %2 s left").arg(minutes).arg(secs);
  return QObject::tr("%1 s left").arg(secs);
}

JobsPanel::JobsPanel(JobQueue* queue, QWidget* parent) : QWidget(parent), queue_(queue) {
  auto* rowsHost = new QWidget;
  rowsLayout_ = new QVBoxLayout(rowsHost);
  rowsLayout_->setContentsMargins(4, 4, 4, 4);
  emptyLabel_ = new QLabel(tr("No jobs. Computations and experiments you start appear here."));
  emptyLabel_->setWordWrap(true);
  emptyLabel_->setEnabled(false);
  rowsLayout_->addWidget(emptyLabel_);
  rowsLayout_->addStretch(1);

  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setWidget(rowsHost);

  clearButton_ = new QPushButton(tr("Clear finished"));
  clearButton_->setToolTip(tr("Remove finished, failed and cancelled jobs from the list"));
  connect(clearButton_, &QPushButton::clicked, queue_, &JobQueue::clearFinished);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch(1);
  buttons->addWidget(clearButton_);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(scroll, 1);
  layout->addLayout(buttons);

  connect(queue_, &JobQueue::jobAdded, this, &JobsPanel::addRow);
  connect(queue_, &JobQueue::jobChanged, this, &JobsPanel::updateRow);
  connect(queue_, &JobQueue::jobRemoved, this, &JobsPanel::removeRow);
  for (const int id : queue_->jobIds()) addRow(id);
  updateClearButton();
}

const JobsPanel::Row* JobsPanel::row(int jobId) const {
  const auto it = rows_.constFind(jobId);
  return it == rows_.constEnd() ? nullptr : &it.value();
}

void JobsPanel::addRow(int jobId) {
  if (rows_.contains(jobId) || !queue_->job(jobId)) return;
  Row row;
  auto* frame = new QFrame;
  frame->setFrameShape(QFrame::StyledPanel);
  row.frame = frame;
  row.title = new QLabel;
  QFont bold = row.title->font();
  bold.setBold(true);
  row.title->setFont(bold);
  row.progress = new QProgressBar;
  row.progress->setRange(0, kProgressSteps);
  row.progress->setFormat(QStringLiteral("%p%"));
  row.progress->setTextVisible(true);
  row.status = new QLabel;
  row.status->setWordWrap(true);
  row.cancel = new QPushButton(tr("Cancel"));
  connect(row.cancel, &QPushButton::clicked, this, [this, jobId] { queue_->cancel(jobId); });

  auto* top = new QHBoxLayout;
  top->addWidget(row.title, 1);
  top->addWidget(row.cancel);
  auto* layout = new QVBoxLayout(frame);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->addLayout(top);
  layout->addWidget(row.progress);
  layout->addWidget(row.status);

  rowsLayout_->insertWidget(rowsLayout_->count() - 1, frame);  // above the stretch
  rows_.insert(jobId, row);
  emptyLabel_->setVisible(false);
  updateRow(jobId);
}

void JobsPanel::updateRow(int jobId) {
  const auto it = rows_.find(jobId);
  const Job* job = queue_->job(jobId);
  if (it == rows_.end() || !job) return;
  const Row& row = it.value();
  row.title->setText(job->title);
  row.cancel->setVisible(job->isActive());

  const int value = static_cast<int>(std::lround(std::clamp(job->fraction, 0.0, 1.0) * kProgressSteps));
  if (row.progress->value() != value) row.progress->setValue(value);

  QString text, tooltip;
  bool error = false;
  switch (job->state) {
    case Job::State::Queued:
      text = tr("queued");
      break;
    case Job::State::Running: {
      text = job->stage;
      const QString left = formatTimeLeft(job->etaSeconds);
      if (!left.isEmpty()) text += (text.isEmpty() ? QString() : QStringLiteral(" — ")) + left;
      break;
    }
    case Job::State::Finished:
      if (job->kind == Job::Kind::Experiment) {
        text = tr("done: session %1").arg(job->sessionPath);
      } else {
        text = job->runsDone == 1 ? tr("done: 1 run") : tr("done: %1 runs").arg(job->runsDone);
      }
      tooltip = job->sessionPath;
      break;
    case Job::State::Failed:
      text = job->message.isEmpty() ? tr("failed") : job->message;
      tooltip = job->message;
      error = true;
      break;
    case Job::State::Cancelled:
      if (job->runsDone == 0) text = tr("cancelled");
      else text = job->runsDone == 1 ? tr("cancelled (1 run kept)") : tr("cancelled (%1 runs kept)").arg(job->runsDone);
      break;
  }
  row.status->setText(text);
  row.status->setToolTip(tooltip);
  const QString style = error ? QStringLiteral("color: #c62828;") : QString();
  if (row.status->styleSheet() != style) row.status->setStyleSheet(style);
  row.status->setTextInteractionFlags(error ? Qt::TextSelectableByMouse : Qt::NoTextInteraction);
  row.progress->setEnabled(job->isActive() || job->state == Job::State::Finished);
  updateClearButton();
}

void JobsPanel::removeRow(int jobId) {
  const auto it = rows_.find(jobId);
  if (it == rows_.end()) return;
  it.value().frame->deleteLater();
  rows_.erase(it);
  emptyLabel_->setVisible(rows_.isEmpty());
  updateClearButton();
}

void JobsPanel::updateClearButton() {
  bool any = false;
  for (auto it = rows_.cbegin(); it != rows_.cend() && !any; ++it) {
    const Job* job = queue_->job(it.key());
    any = job && !job->isActive();
  }
  clearButton_->setEnabled(any);
}

}  // namespace shellscope::ui
