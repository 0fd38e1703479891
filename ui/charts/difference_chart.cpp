#include "ui/charts/difference_chart.h"

#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "shellscope/base/csv.h"
#include "ui/charts/chart_axes.h"

namespace shellscope::ui {

namespace {

/// The value drawn for shell j and its interval.
struct Point {
  double lambda, value, low, high;
};

std::vector<Point> pointsOf(const analysis::CheckpointDifference& d, DifferenceQuantity quantity) {
  std::vector<Point> points;
  const bool ratio = quantity == DifferenceQuantity::Ratio;
  for (int j = 0; j < d.window.shellCount; ++j) {
    const double v = ratio ? d.ratio(j) : d.delta(j);
    if (!std::isfinite(v) || (ratio && !(v > 0))) continue;
    points.push_back({d.window.centre(j), v, ratio ? d.ratioLow(j) : d.deltaLow(j), ratio ? d.ratioHigh(j) : d.deltaHigh(j)});
  }
  return points;
}

}  // namespace

QChart* differenceChart(const std::vector<DifferenceEntry>& entries, DifferenceQuantity quantity, const QString& title,
                        const ChartStyle& style) {
  QChart* chart = newStyledChart(title, style);
  const bool ratio = quantity == DifferenceQuantity::Ratio;
  double xLow = INFINITY, xHigh = 0, yLow = INFINITY, yHigh = -INFINITY;
  const auto extend = [&](double x, double y) {
    if (!std::isfinite(y) || (ratio && !(y > 0))) return;
    xLow = std::min(xLow, x);
    xHigh = std::max(xHigh, x);
    yLow = std::min(yLow, y);
    yHigh = std::max(yHigh, y);
  };
  std::vector<QAbstractSeries*> all;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const DifferenceEntry& e = entries[i];
    const std::vector<Point> points = pointsOf(e.difference, quantity);
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    auto* line = new QLineSeries;
    for (const Point& p : points) {
      line->append(p.lambda, p.value);
      extend(p.lambda, p.value);
      if (std::isfinite(p.low) && std::isfinite(p.high) && (!ratio || p.low > 0)) {
        upper->append(p.lambda, p.high);
        lower->append(p.lambda, p.low);
        extend(p.lambda, p.low);
        extend(p.lambda, p.high);
      }
    }
    auto* band = new QAreaSeries(upper, lower);
    QColor fill = e.color;
    fill.setAlpha(50);
    band->setColor(fill);
    band->setBorderColor(Qt::transparent);
    band->setName(e.label + QStringLiteral(" 95% band") +
                  (e.difference.paired ? QStringLiteral(" (paired)") : QStringLiteral(" (unpaired)")));
    chart->addSeries(band);
    hideFromLegend(chart, band);
    line->setName(e.label);
    line->setPen(linePen(e.color, style.lineWidth));
    line->setPointsVisible(true);
    chart->addSeries(line);
    all.push_back(band);
    all.push_back(line);
  }
  if (!(xHigh > xLow)) {  // nothing drawable
    xLow = 0.1;
    xHigh = 10;
  }
  if (!(yHigh >= yLow)) yLow = yHigh = ratio ? 1.0 : 0.0;
  // The reference: ΔE = 0 or ratio = 1.
  auto* reference = new QLineSeries;
  reference->append(xLow, ratio ? 1.0 : 0.0);
  reference->append(xHigh, ratio ? 1.0 : 0.0);
  reference->setPen(linePen(style.dark ? QColor(200, 200, 200) : QColor(90, 90, 90), 1.0, Qt::DashLine));
  reference->setName(ratio ? QStringLiteral("no change (ratio 1)") : QStringLiteral("no change (ΔE = 0)"));
  chart->addSeries(reference);
  hideFromLegend(chart, reference);
  all.push_back(reference);
  if (ratio) {
    yLow = std::min(yLow, 1.0);
    yHigh = std::max(yHigh, 1.0);
  } else {
    yLow = std::min(yLow, 0.0);
    yHigh = std::max(yHigh, 0.0);
  }
  QAbstractAxis* x = logAxis(QString::fromUtf8("eigenvalue λ (shell centre)"), xLow, xHigh, style);
  QAbstractAxis* y = ratio ? static_cast<QAbstractAxis*>(logAxis(QString::fromUtf8("E<sub>α</sub>(t) / E<sub>α</sub>(base)"),
                                                                 yLow, yHigh, style))
                           : static_cast<QAbstractAxis*>(linearAxis(QString::fromUtf8("ΔE<sub>α</sub> = E<sub>α</sub>(t) − E<sub>α</sub>(base)"),
                                                                    yLow, yHigh, style));
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* s : all) {
    s->attachAxis(x);
    s->attachAxis(y);
  }
  return chart;
}

QString differenceCsv(const std::vector<DifferenceEntry>& entries, DifferenceQuantity quantity) {
  std::ostringstream text;
  CsvWriter csv(text);
  const bool ratio = quantity == DifferenceQuantity::Ratio;
  csv.header({"run_id", "base_run_id", "paired", "shell", "lambda_low", "lambda_high", "lambda_centre",
           ratio ? "energy_ratio" : "delta_energy", "ci_low", "ci_high"});
  for (const DifferenceEntry& e : entries) {
    const analysis::CheckpointDifference& d = e.difference;
    for (int j = 0; j < d.window.shellCount; ++j) {
      const double v = ratio ? d.ratio(j) : d.delta(j);
      if (!std::isfinite(v) || (ratio && !(v > 0))) continue;
      csv.text(d.runId).text(d.baseRunId).text(d.paired ? "yes" : "no").integer(j).number(d.window.edge(j))
          .number(d.window.edge(j + 1)).number(d.window.centre(j)).number(v)
          .number(ratio ? d.ratioLow(j) : d.deltaLow(j)).number(ratio ? d.ratioHigh(j) : d.deltaHigh(j)).endRow();
    }
  }
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui
