#include "ui/charts/chart_builders.h"

#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

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

}  // namespace shellscope::ui
