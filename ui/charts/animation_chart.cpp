#include "ui/charts/animation_chart.h"

#include <QDir>
#include <QStandardPaths>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <cmath>
#include <stdexcept>

#include "ui/charts/colormap.h"
#include "ui/figures/figure_export.h"

namespace shellscope::ui {

namespace {

const QString kLambdaTitle = QString::fromUtf8("eigenvalue λ (shell centre)");
const QString kEnergyTitle = QString::fromUtf8("shell energy E<sub>α</sub>");

QList<QPointF> toList(const std::vector<QPointF>& points) { return QList<QPointF>(points.begin(), points.end()); }

void hideFromLegend(QChart* chart, QAbstractSeries* series) {
  for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(false);
}

QColor colorAt(const ProfileAnimation& animation, double position) {
  const double end = animation.endPosition();
  return sequentialColor(0.9 * (end > 0 ? position / end : 0.0));
}

}  // namespace

AnimationChart::AnimationChart(const ProfileAnimation& animation, const QString& modelName, const ChartStyle& style)
    : animation_(animation), modelName_(modelName), style_(style) {
  chart_ = newStyledChart(modelName, style);
  for (int i = 0; i < animation.checkpointCount(); ++i) {
    auto* ghost = new QLineSeries;
    QColor c = colorAt(animation, i);
    c.setAlpha(55);
    QPen pen(c);
    pen.setWidthF(std::max(1.0, style.lineWidth * 0.5));
    ghost->setPen(pen);
    ghost->replace(toList(animation.checkpointProfile(i)));
    ghost->setVisible(false);
    chart_->addSeries(ghost);
    hideFromLegend(chart_, ghost);
    ghosts_.push_back(ghost);
  }
  smoothed_ = new QLineSeries;
  smoothed_->setName(QStringLiteral("smoothed profile"));
  raw_ = new QLineSeries;
  raw_->setName(QString::fromUtf8("E<sub>α</sub> (interpolated)"));
  raw_->setPointsVisible(true);
  trail_ = new QLineSeries;
  trail_->setName(QStringLiteral("frontier trail"));
  QPen trailPen(style.dark ? QColor(200, 200, 200) : QColor(90, 90, 90));
  trailPen.setWidthF(std::max(1.0, style.lineWidth * 0.6));
  trailPen.setStyle(Qt::DashLine);
  trail_->setPen(trailPen);
  trailPoints_ = new QScatterSeries;
  trailPoints_->setMarkerSize(6);
  trailPoints_->setColor(trailPen.color());
  trailPoints_->setBorderColor(trailPen.color());
  frontier_ = new QScatterSeries;
  frontier_->setName(QString::fromUtf8("frontier λ*"));
  frontier_->setMarkerSize(13);
  frontier_->setColor(categoricalColor(1));
  frontier_->setBorderColor(style.dark ? Qt::white : Qt::black);
  for (QAbstractSeries* s : std::initializer_list<QAbstractSeries*>{smoothed_, raw_, trail_, trailPoints_, frontier_}) {
    chart_->addSeries(s);
  }
  hideFromLegend(chart_, trailPoints_);
  attachLogAxes(chart_, kLambdaTitle, kEnergyTitle, animation.lambdaLow(), animation.lambdaHigh(), animation.energyLow(),
                animation.energyHigh(), style);
  // attachLogAxes rounds to decades; the ranges of the animation are decades already.
  show(0);
}

void AnimationChart::setLayers(const AnimationLayers& layers) {
  layers_ = layers;
  show(position_);
}

void AnimationChart::show(double position) {
  const AnimationFrame frame = animation_.frameAt(position);
  position_ = frame.position;
  const QColor color = colorAt(animation_, frame.position);
  QPen rawPen(color);
  rawPen.setWidthF(std::max(1.0, style_.lineWidth * 0.6));
  raw_->setPen(rawPen);
  raw_->setColor(color);
  raw_->replace(toList(frame.raw));
  raw_->setVisible(layers_.raw);
  QPen smoothPen(color.darker(115));
  smoothPen.setWidthF(style_.lineWidth * 1.5);
  smoothed_->setPen(smoothPen);
  smoothed_->replace(toList(frame.smoothed));
  smoothed_->setVisible(layers_.smoothed);
  frontier_->replace(frame.hasFrontier ? QList<QPointF>{frame.frontier} : QList<QPointF>{});
  const std::vector<QPointF> trail = animation_.trail(frame.position);
  trail_->replace(toList(trail));
  trailPoints_->replace(toList(trail));
  trail_->setVisible(layers_.trail);
  trailPoints_->setVisible(layers_.trail);
  for (int i = 0; i < static_cast<int>(ghosts_.size()); ++i) {
    // Ghosts: the checkpoints already passed (not the one being drawn).
    ghosts_[i]->setVisible(layers_.ghosts && (i < frame.lower || (i == frame.lower && frame.t > 0)));
  }
  // setVisible re-shows legend markers; keep the helper series out of the legend.
  hideFromLegend(chart_, trailPoints_);
  for (QLineSeries* ghost : ghosts_) hideFromLegend(chart_, ghost);
  const int count = animation_.checkpointCount();
  chart_->setTitle(count == 0 ? modelName_
                              : QString::fromUtf8("%1 — step %2  (checkpoint %3 of %4)")
                                    .arg(modelName_)
                                    .arg(std::llround(frame.step))
                                    .arg(frame.t > 0.5 ? frame.upper + 1 : frame.lower + 1)
                                    .arg(count));
}

AnimationFrameWriter::AnimationFrameWriter(const ProfileAnimation& animation, const QString& modelName,
                                           const QString& directory, int framesPerCheckpoint, const ChartStyle& style,
                                           QSize size, int dpi)
    : animation_(animation),
      chart_(animation, modelName, style),
      directory_(directory),
      framesPerCheckpoint_(std::max(1, framesPerCheckpoint)),
      size_(size),
      dpi_(dpi) {
  if (!QDir().mkpath(directory)) throw std::runtime_error(directory.toStdString() + ": cannot create the frame folder");
}

AnimationFrameWriter::~AnimationFrameWriter() { delete chart_.chart(); }

int AnimationFrameWriter::frameCount() const {
  return animation_.checkpointCount() == 0 ? 0 : (animation_.checkpointCount() - 1) * framesPerCheckpoint_ + 1;
}

QString AnimationFrameWriter::writeFrame(int index) {
  chart_.show(static_cast<double>(index) / framesPerCheckpoint_);
  const QString path = QDir(directory_).filePath(QString("frame_%1.png").arg(index, 4, 10, QChar('0')));
  ExportOptions options;
  options.size = size_;
  options.dpi = dpi_;
  exportChart(chart_.chart(), path, options);
  return path;
}

QString findFfmpeg() { return QStandardPaths::findExecutable(QStringLiteral("ffmpeg")); }

QStringList videoArguments(const QString& directory, int fps, const QString& video) {
  // Even dimensions for yuv420p; -y overwrites an earlier video of the same name.
  return {"-y", "-loglevel", "error", "-framerate", QString::number(fps), "-i", QDir(directory).filePath("frame_%04d.png"),
          "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p", video};
}

}  // namespace shellscope::ui
