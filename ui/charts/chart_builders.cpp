#include "ui/charts/chart_builders.h"

#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <algorithm>
#include <functional>
#include <cmath>
#include <map>
#include <set>

#include "shellscope/analysis/frontier.h"
#include "shellscope/profile.h"
#include "ui/charts/colormap.h"

namespace shellscope::ui {

namespace {

/// A log axis spanning [low, high] with whole decades at its ends.
QLogValueAxis* logAxis(const QString& title, double low, double high, const ChartStyle& style) {
  auto* axis = new QLogValueAxis;
  axis->setBase(10.0);
  axis->setTitleText(title);
  axis->setLabelFormat("%g");
  axis->setMinorTickCount(-1);
  if (low > 0 && high > low) axis->setRange(std::pow(10.0, std::floor(std::log10(low))), std::pow(10.0, std::ceil(std::log10(high))));
  QFont font = axis->labelsFont();
  font.setPointSize(style.fontPointSize);
  axis->setLabelsFont(font);
  font.setPointSize(style.fontPointSize + 1);
  axis->setTitleFont(font);
  return axis;
}

QChart* newChart(const QString& title, const ChartStyle& style) {
  auto* chart = new QChart;
  chart->setTitle(title);
  QFont font = chart->titleFont();
  font.setPointSize(style.fontPointSize + 2);
  font.setBold(true);
  chart->setTitleFont(font);
  chart->setBackgroundRoundness(0);
  chart->legend()->setVisible(style.legend);
  chart->legend()->setAlignment(Qt::AlignRight);
  QFont legendFont = chart->legend()->font();
  legendFont.setPointSize(style.fontPointSize);
  chart->legend()->setFont(legendFont);
  return chart;
}

/// Attaches every series to both axes.
void attach(QChart* chart, QLogValueAxis* x, QLogValueAxis* y) {
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : chart->series()) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
}

struct Extent {
  double xLow = INFINITY, xHigh = 0, yLow = INFINITY, yHigh = 0;
  void add(double x, double y) {
    xLow = std::min(xLow, x);
    xHigh = std::max(xHigh, x);
    yLow = std::min(yLow, y);
    yHigh = std::max(yHigh, y);
  }
};

QLineSeries* profileSeries(const Run& run, const QString& name, const QColor& color, double width, Extent& extent) {
  auto* series = new QLineSeries;
  series->setName(name);
  QPen pen(color);
  pen.setWidthF(width);
  series->setPen(pen);
  QList<QPointF> points;
  for (const ProfilePoint& p : profilePoints(run)) {
    points.append(QPointF(p.lambdaCentre, p.energy));
    extent.add(p.lambdaCentre, p.energy);
  }
  series->replace(points);
  return series;
}

QString stepLabel(std::int64_t step) { return step >= 0 ? QString("step %1").arg(step) : QString("step ?"); }

}  // namespace

std::vector<const Run*> runsOfModel(const Session& session, const std::string& model) {
  std::vector<const Run*> runs;
  for (const Run& run : session.runs) {
    if (run.meta.modelName == model) runs.push_back(&run);
  }
  std::stable_sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
  return runs;
}

std::vector<std::string> modelsBySize(const Session& session) {
  std::map<std::string, std::int64_t> size;
  for (const Run& run : session.runs) size[run.meta.modelName] = run.meta.nParams;
  std::vector<std::string> models;
  for (const auto& [name, params] : size) models.push_back(name);
  std::sort(models.begin(), models.end(), [&](const auto& a, const auto& b) { return size[a] < size[b]; });
  return models;
}

QChart* profileChart(const std::vector<const Run*>& runs, const QString& title, const ChartStyle& style) {
  QChart* chart = newChart(title, style);
  Extent extent;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const double t = runs.size() > 1 ? static_cast<double>(i) / static_cast<double>(runs.size() - 1) : 0.0;
    chart->addSeries(profileSeries(*runs[i], stepLabel(runs[i]->meta.step), sequentialColor(t * 0.92), style.lineWidth, extent));
  }
  attach(chart, logAxis(QString::fromUtf8("eigenvalue λ (shell centre)"), extent.xLow, extent.xHigh, style),
         logAxis(QString::fromUtf8("shell energy E<sub>α</sub>"), extent.yLow, extent.yHigh, style));
  return chart;
}

QChart* frontierChart(const Session& session, const ChartStyle& style) {
  QChart* chart = newChart(QString::fromUtf8("Resolution frontier λ* across training"), style);
  Extent extent;
  int index = 0;
  for (const std::string& model : modelsBySize(session)) {
    auto* line = new QLineSeries;
    line->setName(QString::fromStdString(model));
    QPen pen(categoricalColor(index));
    pen.setWidthF(style.lineWidth);
    line->setPen(pen);
    auto* markers = new QScatterSeries;
    markers->setColor(categoricalColor(index));
    markers->setBorderColor(categoricalColor(index));
    markers->setMarkerSize(7);
    QList<QPointF> points;
    for (const Run* run : runsOfModel(session, model)) {
      const double lambda = peakLambda(*run);
      if (run->meta.step <= 0 || !std::isfinite(lambda)) continue;  // log axis: step 0 left out
      points.append(QPointF(static_cast<double>(run->meta.step), lambda));
      extent.add(static_cast<double>(run->meta.step), lambda);
    }
    line->replace(points);
    markers->replace(points);
    chart->addSeries(line);
    chart->addSeries(markers);
    chart->legend()->markers(markers).front()->setVisible(false);
    ++index;
  }
  attach(chart, logAxis("training step", extent.xLow, extent.xHigh, style),
         logAxis(QString::fromUtf8("frontier λ* (peak shell)"), extent.yLow / 1.5, extent.yHigh * 1.5, style));
  return chart;
}

QChart* overlayChart(const Session& session, std::int64_t step, const ChartStyle& style) {
  QChart* chart = newChart(QString::fromUtf8("Model sizes at step %1").arg(step), style);
  Extent extent;
  int index = 0;
  for (const std::string& model : modelsBySize(session)) {
    for (const Run* run : runsOfModel(session, model)) {
      if (run->meta.step != step) continue;
      chart->addSeries(profileSeries(*run, QString("%1 (%2 params)").arg(QString::fromStdString(model)).arg(run->meta.nParams),
                                     categoricalColor(index), style.lineWidth, extent));
    }
    ++index;
  }
  attach(chart, logAxis(QString::fromUtf8("eigenvalue λ (shell centre)"), extent.xLow, extent.xHigh, style),
         logAxis(QString::fromUtf8("shell energy E<sub>α</sub>"), extent.yLow, extent.yHigh, style));
  return chart;
}

namespace {

QLineSeries* curveSeries(const QString& name, const QColor& color, double width, Qt::PenStyle style,
                         const std::function<double(double)>& log10Energy, double xLow, double xHigh, Extent& extent) {
  auto* series = new QLineSeries;
  series->setName(name);
  QPen pen(color);
  pen.setWidthF(width);
  pen.setStyle(style);
  series->setPen(pen);
  QList<QPointF> points;
  constexpr int kSamples = 300;
  for (int i = 0; i <= kSamples; ++i) {
    const double x = xLow + (xHigh - xLow) * i / kSamples;
    const double y = log10Energy(x);
    if (!std::isfinite(y)) continue;
    points.append(QPointF(std::pow(10.0, x), std::pow(10.0, y)));
    extent.add(std::pow(10.0, x), std::pow(10.0, y));
  }
  series->replace(points);
  return series;
}

}  // namespace

QChart* analysisChart(const Run& run, const analysis::RunAnalysis& a, const ChartStyle& style) {
  const QString title = QString::fromUtf8("%1 step %2: profile and fits").arg(QString::fromStdString(run.meta.modelName)).arg(run.meta.step);
  QChart* chart = newChart(title, style);
  Extent extent;
  // Bootstrap band of the mean.
  auto* upper = new QLineSeries;
  auto* lower = new QLineSeries;
  QList<QPointF> hi, lo;
  for (const ProfilePoint& p : profilePoints(run)) {
    const double low = a.statistics.bootstrapLow.size() > p.shell ? a.statistics.bootstrapLow(p.shell) : p.energy;
    const double high = a.statistics.bootstrapHigh.size() > p.shell ? a.statistics.bootstrapHigh(p.shell) : p.energy;
    if (!(low > 0)) continue;
    hi.append(QPointF(p.lambdaCentre, high));
    lo.append(QPointF(p.lambdaCentre, low));
  }
  upper->replace(hi);
  lower->replace(lo);
  auto* band = new QAreaSeries(upper, lower);
  band->setName("95% bootstrap band");
  band->setColor(QColor(0, 0, 0, 28));
  band->setBorderColor(Qt::transparent);
  chart->addSeries(band);
  // Mean profile and minimum over batches.
  auto* mean = new QScatterSeries;
  mean->setName(QString::fromUtf8("mean E<sub>α</sub>"));
  mean->setColor(Qt::black);
  mean->setMarkerSize(8);
  auto* minimum = new QScatterSeries;
  minimum->setName("minimum over batches");
  minimum->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
  minimum->setColor(QColor(150, 150, 150));
  minimum->setBorderColor(QColor(150, 150, 150));
  minimum->setMarkerSize(5);
  QList<QPointF> meanPoints, minPoints;
  for (const ProfilePoint& p : profilePoints(run)) {
    meanPoints.append(QPointF(p.lambdaCentre, p.energy));
    extent.add(p.lambdaCentre, p.energy);
    const double m = a.statistics.batchMinimum.size() > p.shell ? a.statistics.batchMinimum(p.shell) : 0.0;
    if (m > 0) {
      minPoints.append(QPointF(p.lambdaCentre, m));
      extent.add(p.lambdaCentre, m);
    }
  }
  mean->replace(meanPoints);
  minimum->replace(minPoints);
  chart->addSeries(minimum);
  const double xLow = std::log10(extent.xLow), xHigh = std::log10(extent.xHigh);
  const auto smoother = analysis::LogLogSmoother::ofProfile(run.window, run.shellEnergy, 0.25);
  chart->addSeries(curveSeries("smoothed", QColor(120, 120, 120), style.lineWidth, Qt::SolidLine,
                               [&](double x) { return smoother(x); }, xLow, xHigh, extent));
  if (a.piecewise.fit.ok) {
    const double lo10 = std::log10(a.piecewise.lambdaMin), hi10 = std::log10(a.piecewise.lambdaMax);
    chart->addSeries(curveSeries("piecewise fit", categoricalColor(1), style.lineWidth, Qt::SolidLine,
                                 [&](double x) { return a.piecewise.evaluate(x); }, lo10, hi10, extent));
    const double blend = std::log10(a.piecewise.blendLambda);
    chart->addSeries(curveSeries("power law (low side)", categoricalColor(1), 1.0, Qt::DashLine,
                                 [&](double x) { return a.piecewise.lowSide(x); }, lo10, blend + 0.5, extent));
    chart->addSeries(curveSeries(QString::fromUtf8("exp(−κλ) (high side)"), categoricalColor(1), 1.0, Qt::DotLine,
                                 [&](double x) { return a.piecewise.highSide(x); }, blend - 0.5, hi10, extent));
  }
  if (a.theory.fit.ok) {
    chart->addSeries(curveSeries(QString::fromUtf8("theory C λ<sup>p+1</sup> e<sup>−κλ</sup>"), categoricalColor(0),
                                 style.lineWidth, Qt::SolidLine, [&](double x) { return a.theory.evaluate(x); },
                                 std::log10(a.theory.lambdaMin), std::log10(a.theory.lambdaMax), extent));
  }
  chart->addSeries(mean);
  const double yLow = std::max(extent.yLow, extent.yHigh * 1e-8);
  if (a.frontier.status == "ok") {
    auto* frontier = new QLineSeries;
    frontier->setName(QString::fromUtf8("frontier λ* = %1").arg(a.frontier.lambda, 0, 'g', 3));
    QPen pen(categoricalColor(2));
    pen.setWidthF(style.lineWidth);
    pen.setStyle(Qt::DashDotLine);
    frontier->setPen(pen);
    frontier->replace({QPointF(a.frontier.lambda, yLow), QPointF(a.frontier.lambda, extent.yHigh)});
    chart->addSeries(frontier);
  }
  // Hide the band's helper series from the legend (they are not in the chart).
  attach(chart, logAxis(QString::fromUtf8("eigenvalue λ (shell centre)"), extent.xLow, extent.xHigh, style),
         logAxis(QString::fromUtf8("shell energy E<sub>α</sub>"), yLow, extent.yHigh, style));
  return chart;
}

}  // namespace shellscope::ui
