#include "ui/charts/transport_chart.h"

#include <QtCharts/QChart>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "shellscope/base/csv.h"
#include "ui/charts/chart_axes.h"
#include "ui/charts/heatmap.h"

namespace shellscope::ui {

namespace {

QString number(double v, int digits = 3) { return std::isfinite(v) ? QString::number(v, 'g', digits) : QStringLiteral("nan"); }

bool knowsTau(const transport::SeriesTransport& t) { return t.time.unit() == "tau" && t.time.tau.size() == t.steps.size(); }

/// The edges drawn: the window's S + 1 (the closure, J above the last edge, is not an edge).
int edgeCount(const transport::SeriesTransport& t) { return t.window.shellCount + 1; }

/// y edges of the rows: edge b's cell spans half a shell either side of λ_b in log λ.
std::vector<double> lambdaEdges(const transport::SeriesTransport& t) {
  const double half = std::pow(10.0, 0.5 / std::max(1, t.window.shellsPerDecade));
  std::vector<double> edges;
  for (int b = 0; b < edgeCount(t); ++b) edges.push_back(t.edgeLambda(b) / half);
  edges.push_back(t.edgeLambda(edgeCount(t) - 1) * half);
  return edges;
}

QString timeTitle(const transport::SeriesTransport& t, const TransportAxis& axis) {
  if (axis.tau && knowsTau(t)) return QString::fromUtf8("τ (accumulated learning rate)");
  return knowsTau(t) ? QStringLiteral("training step") : QStringLiteral("training step (no learning rates known)");
}

QString unitText(const transport::SeriesTransport& t) {
  return knowsTau(t) ? QString::fromUtf8("e² per unit τ") : QStringLiteral("e² per step");
}

}  // namespace

TransportAxis defaultTransportAxis(const transport::SeriesTransport& t) {
  TransportAxis axis;
  axis.tau = knowsTau(t);
  const std::vector<double> x = transportTimeEdges(t, TransportAxis{axis.tau, false, false});
  double first = INFINITY;
  for (double v : x) {
    if (v > 0) first = std::min(first, v);
  }
  axis.logTime = x.size() >= 2 && std::isfinite(first) && x.back() / first > 100;
  std::vector<double> magnitudes;
  for (const transport::TransportInterval& in : t.intervals) {
    for (int b = 0; b < edgeCount(t) && b < in.cumulativeFlux.size(); ++b) {
      if (std::isfinite(in.cumulativeFlux[b]) && in.cumulativeFlux[b] != 0) magnitudes.push_back(std::abs(in.cumulativeFlux[b]));
    }
  }
  if (!magnitudes.empty()) {
    std::nth_element(magnitudes.begin(), magnitudes.begin() + magnitudes.size() / 2, magnitudes.end());
    const double median = magnitudes[magnitudes.size() / 2];
    axis.logColor = *std::max_element(magnitudes.begin(), magnitudes.end()) > 100 * median;
  }
  return axis;
}

std::vector<double> transportTimeEdges(const transport::SeriesTransport& t, const TransportAxis& axis) {
  std::vector<double> x;
  for (std::size_t k = 0; k < t.steps.size(); ++k) {
    x.push_back(axis.tau && knowsTau(t) ? t.time.tau[k] : static_cast<double>(t.steps[k]));
  }
  if (axis.logTime && x.size() >= 2 && !(x.front() > 0)) {
    // A log axis cannot place 0: the first interval starts one spacing ratio below its end.
    const double ratio = x.size() >= 3 && x[1] > 0 ? x[2] / x[1] : 2.0;
    x.front() = x[1] > 0 ? x[1] / std::max(ratio, 1.5) : 1.0;
  }
  return x;
}

QChart* transportChart(const transport::SeriesTransport& t, const TransportAxis& axis, const ChartStyle& style) {
  QChart* chart = newStyledChart(QString::fromUtf8("Cumulative flux J<sub>≤b</sub> across shell edges: %1")
                                     .arg(QString::fromStdString(t.modelName)), style);
  if (t.intervals.empty() || t.steps.size() != t.intervals.size() + 1) {
    addChartNote(chart, QStringLiteral("the estimate has no intervals"));
    return chart;
  }
  HeatmapGrid grid;
  grid.xEdges = transportTimeEdges(t, axis);
  grid.yEdges = lambdaEdges(t);
  const int rows = edgeCount(t), columns = static_cast<int>(t.intervals.size());
  grid.values.resize(rows, columns);
  grid.faint.resize(rows, columns);
  for (int k = 0; k < columns; ++k) {
    const transport::TransportInterval& in = t.intervals[k];
    for (int b = 0; b < rows; ++b) {
      grid.values(b, k) = b < in.cumulativeFlux.size() ? in.cumulativeFlux[b] : NAN;
      const bool interval = b < in.low.size() && b < in.high.size() && std::isfinite(in.low[b]) && std::isfinite(in.high[b]);
      grid.faint(b, k) = interval && in.low[b] <= 0 && in.high[b] >= 0;
    }
  }
  grid.colorBarTitle = QString::fromUtf8("J (%1)%2").arg(unitText(t), axis.logColor ? QStringLiteral(", signed log") : QString());
  grid.logColor = axis.logColor;
  QAbstractAxis* x = nullptr;
  if (axis.logTime) {
    x = logAxis(timeTitle(t, axis), grid.xEdges.front(), grid.xEdges.back(), style);
  } else {
    x = linearAxis(timeTitle(t, axis), grid.xEdges.front(), grid.xEdges.back(), style);
  }
  QLogValueAxis* y = logAxis(QString::fromUtf8("shell edge λ"), grid.yEdges.front(), grid.yEdges.back(), style);
  attachHeatmap(chart, std::move(grid), x, y, style);  // on the cells' own extent, not whole decades
  addChartNote(chart, QString::fromUtf8("red, J > 0: energy moving down across the edge, toward small λ; blue: toward large λ"));
  QString time = QString::fromStdString(t.time.description);
  if (!knowsTau(t)) time = QStringLiteral("steps (no learning rates known): rates per step");
  addChartNote(chart, QString::fromUtf8("lighter: the %1% bootstrap interval contains 0 · time: %2")
                          .arg(number(100 * t.confidence, 3), time));
  return chart;
}

QString transportHover(const transport::SeriesTransport& t, const TransportAxis& axis, const QPointF& value) {
  if (t.intervals.empty() || t.steps.size() != t.intervals.size() + 1) return {};
  const std::vector<double> x = transportTimeEdges(t, axis), y = lambdaEdges(t);
  HeatmapGrid cells;
  cells.xEdges = x;
  cells.yEdges = y;
  cells.values = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(y.size()) - 1, static_cast<Eigen::Index>(x.size()) - 1);
  const auto [b, k] = cells.cellAt(value.x(), value.y());
  if (b < 0) return {};
  const transport::TransportInterval& in = t.intervals[k];
  if (b >= in.cumulativeFlux.size()) return {};
  const double low = b < in.low.size() ? in.low[b] : NAN, high = b < in.high.size() ? in.high[b] : NAN;
  QString text = QString::fromUtf8("J<sub>≤%1</sub> = <b>%2</b> [%3, %4] (%5)<br>edge λ = %6<br>steps %7 → %8")
                     .arg(b)
                     .arg(number(in.cumulativeFlux[b], 4), number(low, 3), number(high, 3), unitText(t),
                          number(t.edgeLambda(b), 4))
                     .arg(t.steps[k])
                     .arg(t.steps[k + 1]);
  if (knowsTau(t)) text += QString::fromUtf8(", τ %1 → %2").arg(number(t.time.tau[k], 4), number(t.time.tau[k + 1], 4));
  text += QString::fromUtf8("<br>%1").arg(in.cumulativeFlux[b] > 0 ? QString::fromUtf8("toward small λ") : QString::fromUtf8("toward large λ"));
  return text;
}

QString transportCsv(const transport::SeriesTransport& t) {
  if (t.intervals.empty()) return {};
  std::ostringstream text;
  CsvWriter csv(text);
  csv.header({"transport", "interval", "from_run", "to_run", "from_step", "to_step", "tau_from", "tau_to", "time_unit", "edge",
              "edge_lambda", "J", "standard_error", "low", "high"});
  const bool tau = knowsTau(t);
  for (std::size_t k = 0; k < t.intervals.size(); ++k) {
    const transport::TransportInterval& in = t.intervals[k];
    for (int b = 0; b < edgeCount(t) && b < in.cumulativeFlux.size(); ++b) {
      csv.text(t.id).integer(static_cast<std::int64_t>(k)).text(in.fromRun).text(in.toRun).integer(in.fromStep).integer(in.toStep);
      if (tau && k + 1 < t.time.tau.size()) {
        csv.number(t.time.tau[k]).number(t.time.tau[k + 1]);
      } else {
        csv.empty().empty();
      }
      csv.text(t.time.unit()).integer(b).number(t.edgeLambda(b)).number(in.cumulativeFlux[b]);
      auto entry = [&](const Eigen::VectorXd& v) { b < v.size() ? csv.number(v[b]) : csv.empty(); };
      entry(in.standardError);
      entry(in.low);
      entry(in.high);
      csv.endRow();
    }
  }
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui
