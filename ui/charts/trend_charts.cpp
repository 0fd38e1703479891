#include "ui/charts/trend_charts.h"

#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

namespace shellscope::ui {

std::string trendKey(TrendQuantity quantity) {
  switch (quantity) {
    case TrendQuantity::Frontier: return "frontier_lambda";
    case TrendQuantity::Kappa: return "kappa";
    case TrendQuantity::P: return "p";
    case TrendQuantity::Amplitude: return "amplitude";
    case TrendQuantity::Loss: return "loss";
  }
  return "";
}

QString trendLabel(TrendQuantity quantity) {
  switch (quantity) {
    case TrendQuantity::Frontier: return QString::fromUtf8("frontier λ*");
    case TrendQuantity::Kappa: return QString::fromUtf8("κ (theory fit)");
    case TrendQuantity::P: return QString::fromUtf8("p (theory fit)");
    case TrendQuantity::Amplitude: return QString::fromUtf8("low-λ amplitude 10<sup>a</sup>");
    case TrendQuantity::Loss: return QStringLiteral("loss (mean e)");
  }
  return {};
}

std::vector<TrendQuantity> trendQuantities() {
  return {TrendQuantity::Frontier, TrendQuantity::Kappa, TrendQuantity::P, TrendQuantity::Amplitude, TrendQuantity::Loss};
}

std::vector<TrendPoint> trendPoints(const Session& session, const analysis::SessionAnalysis& analysis,
                                    const std::string& model, TrendQuantity quantity, const std::string& axis) {
  std::vector<TrendPoint> points;
  const TrainingLog* log = session.findTrainingLog(model);
  for (const Run* run : runsOfModel(session, model)) {
    const analysis::RunAnalysis* a = analysis.findRun(run->id);
    if (!a) continue;
    double value = NAN;
    switch (quantity) {
      case TrendQuantity::Frontier: value = a->frontier.status.ok() ? a->frontier.lambda : NAN; break;
      case TrendQuantity::Kappa: value = a->theory.fit.ok() ? a->theory.kappa : NAN; break;
      case TrendQuantity::P: value = a->theory.fit.ok() ? a->theory.p : NAN; break;
      case TrendQuantity::Amplitude: value = a->piecewise.fit.ok() ? std::pow(10.0, a->piecewise.intercept) : NAN; break;
      case TrendQuantity::Loss: value = a->loss; break;
    }
    double time = NAN;
    if (axis == "step") {
      time = static_cast<double>(run->meta.step);
    } else if (log) {
      time = log->accumulatedLearningRate(run->meta.step);
    }
    if (std::isfinite(value) && std::isfinite(time) && time > 0) points.push_back({time, value, run->meta.step});
  }
  return points;
}

QChart* trendChart(const Session& session, const analysis::SessionAnalysis& analysis,
                   const std::vector<std::string>& models, const std::vector<QColor>& colors, TrendQuantity quantity,
                   const std::string& axis, const ChartStyle& style) {
  const QString timeTitle = axis == "step" ? QStringLiteral("training step") : QString::fromUtf8("accumulated learning rate τ");
  QChart* chart = newStyledChart(QString("%1 against %2").arg(trendLabel(quantity), timeTitle), style);
  double tLow = INFINITY, tHigh = 0, yLow = INFINITY, yHigh = -INFINITY;
  bool logY = true;
  std::vector<QAbstractSeries*> all;
  for (std::size_t m = 0; m < models.size(); ++m) {
    const std::vector<TrendPoint> points = trendPoints(session, analysis, models[m], quantity, axis);
    const QColor color = m < colors.size() ? colors[m] : QColor(Qt::black);
    auto* scatter = new QScatterSeries;
    scatter->setMarkerSize(8);
    scatter->setColor(color);
    scatter->setBorderColor(color.darker(130));
    QList<QPointF> list;
    for (const TrendPoint& p : points) {
      list.append(QPointF(p.time, p.value));
      tLow = std::min(tLow, p.time);
      tHigh = std::max(tHigh, p.time);
      yLow = std::min(yLow, p.value);
      yHigh = std::max(yHigh, p.value);
      logY &= p.value > 0;
    }
    scatter->replace(list);
    QString name = QString::fromStdString(models[m]);
    const analysis::ModelTrends* trends = analysis.findTrends(models[m]);
    const analysis::Trend* trend = trends ? trends->find(trendKey(quantity), axis) : nullptr;
    QLineSeries* fit = nullptr;
    if (trend && trend->status.ok() && points.size() >= 2 && std::isfinite(trend->exponent)) {
      name += QString::fromUtf8(" ∝ t<sup>%1±%2</sup>").arg(trend->exponent, 0, 'f', 2).arg(trend->exponentError, 0, 'f', 2);
      fit = new QLineSeries;
      QPen pen(color);
      pen.setWidthF(style.lineWidth);
      fit->setPen(pen);
      QList<QPointF> line;
      const double a = std::log10(points.front().time), b = std::log10(points.back().time);
      for (int i = 0; i <= 50; ++i) {
        const double x = a + (b - a) * i / 50.0;
        line.append(QPointF(std::pow(10.0, x), std::pow(10.0, trend->intercept + trend->exponent * x)));
      }
      fit->replace(line);
    } else if (trend) {
      name += QStringLiteral("  (no fit: %1)").arg(QString::fromStdString(trend->status.text()));
    }
    scatter->setName(name);
    chart->addSeries(scatter);
    all.push_back(scatter);
    if (fit) {
      chart->addSeries(fit);
      for (QLegendMarker* marker : chart->legend()->markers(fit)) marker->setVisible(false);
      all.push_back(fit);
    }
  }
  if (!(tHigh > 0)) tLow = 1, tHigh = 10;
  if (!std::isfinite(yLow)) yLow = 1, yHigh = 10;
  if (logY) {
    attachLogAxes(chart, timeTitle, trendLabel(quantity), tLow, tHigh, yLow / 1.3, yHigh * 1.3, style);
    return chart;
  }
  // A linear y axis for values that can be zero or negative; time stays logarithmic.
  attachLogAxes(chart, timeTitle, trendLabel(quantity), tLow, tHigh, 1, 10, style);
  QAbstractAxis* logAxis = chart->axes(Qt::Vertical).value(0);
  for (QAbstractSeries* s : all) s->detachAxis(logAxis);
  chart->removeAxis(logAxis);
  delete logAxis;
  auto* y = new QValueAxis;
  const double pad = 0.08 * std::max(1e-9, yHigh - yLow);
  y->setRange(yLow - pad, yHigh + pad);
  y->setTitleText(trendLabel(quantity));
  QFont font = y->labelsFont();
  font.setPointSize(style.fontPointSize);
  y->setLabelsFont(font);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : all) s->attachAxis(y);
  return chart;
}

}  // namespace shellscope::ui
