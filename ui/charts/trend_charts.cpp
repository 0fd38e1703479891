#include "ui/charts/trend_charts.h"

#include <QtCharts/QAreaSeries>
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

namespace {

/// The time of a step on `axis` (NaN where it has none).
double timeOfStep(const Session& session, const std::string& model, std::int64_t step, const std::string& axis) {
  if (axis == "step") return static_cast<double>(step);
  const TrainingLog* log = session.findTrainingLog(model);
  return log ? log->accumulatedLearningRate(step) : NAN;
}

QString intervalText(double value, double low, double high) {
  if (std::isfinite(low) && std::isfinite(high)) {
    return QString::fromUtf8("%1 [%2, %3]").arg(value, 0, 'f', 2).arg(low, 0, 'f', 2).arg(high, 0, 'f', 2);
  }
  return QString::number(value, 'f', 2);
}

}  // namespace

QChart* trendChart(const Session& session, const analysis::SessionAnalysis& analysis,
                   const std::vector<std::string>& models, const std::vector<QColor>& colors, TrendQuantity quantity,
                   const std::string& axis, const ChartStyle& style) {
  const QString timeTitle = axis == "step" ? QStringLiteral("training step") : QString::fromUtf8("accumulated learning rate τ");
  QChart* chart = newStyledChart(QString("%1 against %2").arg(trendLabel(quantity), timeTitle), style);
  double tLow = INFINITY, tHigh = 0, yLow = INFINITY, yHigh = -INFINITY;
  bool logY = true;
  std::vector<QAbstractSeries*> all;
  struct Band {
    double from, to;
    QColor color;
  };
  std::vector<Band> bands;
  // Series are added after the bands, so that the bands lie behind them.
  std::vector<std::pair<QAbstractSeries*, bool>> pending;  // series, shown in the legend
  auto hideFromLegend = [&](QAbstractSeries* series) {
    for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(false);
  };
  for (std::size_t m = 0; m < models.size(); ++m) {
    const std::vector<TrendPoint> points = trendPoints(session, analysis, models[m], quantity, axis);
    const QColor color = m < colors.size() ? colors[m] : QColor(Qt::black);
    const analysis::ModelTrends* trends = analysis.findTrends(models[m]);
    const analysis::TrendWindow* window = trends && trends->window.defined() ? &trends->window : nullptr;
    // Checkpoints inside the window are filled, those outside it hollow: only the former are fitted.
    auto* scatter = new QScatterSeries;
    scatter->setMarkerSize(8);
    scatter->setColor(color);
    scatter->setBorderColor(color.darker(130));
    auto* outside = new QScatterSeries;
    outside->setMarkerSize(8);
    outside->setColor(style.dark ? QColor(30, 30, 30) : QColor(Qt::white));
    outside->setBorderColor(color);
    QList<QPointF> inList, outList;
    double fitFrom = INFINITY, fitTo = 0;
    for (const TrendPoint& p : points) {
      const bool in = !window || window->contains(p.step);
      (in ? inList : outList).append(QPointF(p.time, p.value));
      if (in) {
        fitFrom = std::min(fitFrom, p.time);
        fitTo = std::max(fitTo, p.time);
      }
      tLow = std::min(tLow, p.time);
      tHigh = std::max(tHigh, p.time);
      yLow = std::min(yLow, p.value);
      yHigh = std::max(yHigh, p.value);
      logY &= p.value > 0;
    }
    scatter->replace(inList);
    outside->replace(outList);
    QString name = QString::fromStdString(models[m]);
    const analysis::Trend* trend = trends ? trends->find(trendKey(quantity), axis) : nullptr;
    QLineSeries* fit = nullptr;
    if (trend && trend->status.ok() && fitTo > fitFrom && std::isfinite(trend->exponent)) {
      name += QString::fromUtf8(" ∝ t<sup>%1</sup>").arg(intervalText(trend->exponent, trend->ciLow, trend->ciHigh));
      fit = new QLineSeries;
      QPen pen(color);
      pen.setWidthF(style.lineWidth);
      fit->setPen(pen);
      QList<QPointF> line;
      const double a = std::log10(fitFrom), b = std::log10(fitTo);
      for (int i = 0; i <= 50; ++i) {
        const double x = a + (b - a) * i / 50.0;
        line.append(QPointF(std::pow(10.0, x), std::pow(10.0, trend->intercept + trend->exponent * x)));
      }
      fit->replace(line);
    } else if (trend) {
      name += QStringLiteral("  (no fit: %1)").arg(QString::fromStdString(trend->status.text()));
    }
    if (window && !outList.isEmpty()) {
      const double from = timeOfStep(session, models[m], window->firstStep, axis);
      const double to = timeOfStep(session, models[m], window->lastStep, axis);
      if (std::isfinite(from) && std::isfinite(to)) bands.push_back({std::max(from, fitFrom), std::min(to, fitTo), color});
    }
    scatter->setName(name);
    pending.push_back({scatter, true});
    if (!outList.isEmpty()) {
      pending.push_back({outside, false});
    } else {
      delete outside;
    }
    if (fit) pending.push_back({fit, false});
  }
  if (!(tHigh > 0)) tLow = 1, tHigh = 10;
  if (!std::isfinite(yLow)) yLow = 1, yHigh = 10;
  const double yBottom = logY ? yLow / 1.3 : yLow - 0.08 * std::max(1e-9, yHigh - yLow);
  const double yTop = logY ? yHigh * 1.3 : yHigh + 0.08 * std::max(1e-9, yHigh - yLow);
  // Each model's window as a faint band behind its points (only where some checkpoint lies outside).
  for (const Band& band : bands) {
    if (!(band.to >= band.from) || !(band.from > 0)) continue;
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    const double pad = std::pow(tHigh / tLow, 0.01);  // a single checkpoint still gets a visible band
    upper->append(band.from / pad, yTop);
    upper->append(band.to * pad, yTop);
    lower->append(band.from / pad, yBottom);
    lower->append(band.to * pad, yBottom);
    auto* area = new QAreaSeries(upper, lower);
    QColor fill = band.color;
    fill.setAlphaF(0.07);
    area->setBrush(fill);
    QColor edge = band.color;
    edge.setAlphaF(0.45);
    QPen pen(edge);
    pen.setStyle(Qt::DashLine);
    area->setPen(pen);
    area->setName(QStringLiteral("window"));
    chart->addSeries(area);
    hideFromLegend(area);
    all.push_back(area);
  }
  for (const auto& [series, inLegend] : pending) {
    chart->addSeries(series);
    if (!inLegend) hideFromLegend(series);
    all.push_back(series);
  }
  if (logY) {
    attachLogAxes(chart, timeTitle, trendLabel(quantity), tLow, tHigh, yBottom, yTop, style);
    return chart;
  }
  // A linear y axis for values that can be zero or negative; time stays logarithmic.
  attachLogAxes(chart, timeTitle, trendLabel(quantity), tLow, tHigh, 1, 10, style, /*logY=*/false);
  QAbstractAxis* logAxis = chart->axes(Qt::Vertical).value(0);
  for (QAbstractSeries* s : all) s->detachAxis(logAxis);
  chart->removeAxis(logAxis);
  delete logAxis;
  auto* y = new QValueAxis;
  y->setRange(yBottom, yTop);
  y->setTitleText(trendLabel(quantity));
  QFont font = y->labelsFont();
  font.setPointSize(style.fontPointSize);
  y->setLabelsFont(font);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : all) s->attachAxis(y);
  return chart;
}

}  // namespace shellscope::ui
