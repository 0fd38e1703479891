#include "ui/figures/animation_export_job.h"

#include <QDir>
#include <stdexcept>

namespace shellscope::ui {

AnimationExportJob::AnimationExportJob(AnimationExportRequest request, QObject* parent)
    : QObject(parent), request_(std::move(request)) {
  std::vector<const Run*> runs;
  std::vector<const analysis::RunAnalysis*> analyses;
  for (std::size_t i = 0; i < request_.runs.size(); ++i) {
    runs.push_back(&request_.runs[i]);
    const bool analysed = i < request_.analyses.size() && !request_.analyses[i].runId.empty();
    analyses.push_back(analysed ? &request_.analyses[i] : nullptr);
  }
  animation_ = std::make_unique<ProfileAnimation>(runs, analyses, request_.smoothingWidth);
  timer_.setInterval(0);
  connect(&timer_, &QTimer::timeout, this, &AnimationExportJob::writeNextFrame);
}

AnimationExportJob::~AnimationExportJob() {
  if (ffmpeg_ && ffmpeg_->state() != QProcess::NotRunning) {
    ffmpeg_->kill();
    ffmpeg_->waitForFinished(2000);
  }
}

int AnimationExportJob::frameCount() const { return writer_ ? writer_->frameCount() : 0; }

void AnimationExportJob::start() {
  try {
    writer_ = std::make_unique<AnimationFrameWriter>(*animation_, request_.modelName, request_.folder,
                                                     request_.framesPerCheckpoint, request_.style, request_.size, request_.dpi);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
    return;
  }
  writer_->setLayers(request_.layers);
  next_ = 0;
  timer_.start();
}

void AnimationExportJob::cancel() {
  cancelled_ = true;
  timer_.stop();
  if (ffmpeg_ && ffmpeg_->state() != QProcess::NotRunning) ffmpeg_->kill();
  Q_EMIT cancelled();
}

void AnimationExportJob::writeNextFrame() {
  if (cancelled_) return;
  const int total = writer_->frameCount();
  if (next_ >= total) {
    timer_.stop();
    if (request_.video) {
      encodeVideo();
    } else {
      Q_EMIT finished(tr("%1 frames written to %2").arg(total).arg(request_.folder));
    }
    return;
  }
  try {
    writer_->writeFrame(next_++);
  } catch (const std::exception& e) {
    timer_.stop();
    Q_EMIT failed(QString::fromStdString(e.what()));
    return;
  }
  Q_EMIT progress(next_, total, tr("Frame %1 of %2").arg(next_).arg(total));
}

void AnimationExportJob::encodeVideo() {
  const QString program = findFfmpeg();
  const QString video = QDir(request_.folder).filePath("animation.mp4");
  if (program.isEmpty()) {
    Q_EMIT failed(tr("ffmpeg is not installed: the frames are in %1, but no video was made").arg(request_.folder));
    return;
  }
  Q_EMIT progress(frameCount(), frameCount(), tr("Encoding the video…"));
  ffmpeg_ = new QProcess(this);
  ffmpeg_->setProcessChannelMode(QProcess::MergedChannels);
  connect(ffmpeg_, &QProcess::finished, this, [this, video](int code, QProcess::ExitStatus status) {
    if (cancelled_) return;
    if (status == QProcess::NormalExit && code == 0) {
      Q_EMIT finished(tr("%1 frames and %2 written").arg(frameCount()).arg(video));
    } else {
      Q_EMIT failed(tr("ffmpeg could not encode %1: %2").arg(video, QString::fromLocal8Bit(ffmpeg_->readAll()).trimmed()));
    }
  });
  connect(ffmpeg_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error == QProcess::FailedToStart) Q_EMIT failed(tr("ffmpeg could not be started"));
  });
  ffmpeg_->start(program, videoArguments(request_.folder, request_.framesPerSecond, video));
}

}  // namespace shellscope::ui
