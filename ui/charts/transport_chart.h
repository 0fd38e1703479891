#pragma once
// The cumulative flux across shell edges on a checkpoint series, by difference (paper §3.5,
// §4.2-4.3: summing the balance law over the shells below an edge leaves what crosses it;
// shellscope/transport/series_transport.h, docs/lab.md): J_{<=b} of every interval between
// consecutive checkpoints (x: the checkpoints' steps or τ) and every shell edge (y: the edge's λ,
// log) as a heatmap in diverging colours with zero white. J > 0 is energy moving down across the
// edge, toward small λ (the paper's picture of learning); cells whose bootstrap interval contains
// zero are drawn lighter.

#include <QPointF>
#include <QString>

#include "shellscope/transport/series_transport.h"
#include "ui/charts/chart_builders.h"

namespace shellscope::ui {

/// How the heatmap is drawn.
struct TransportAxis {
  bool tau = true;       ///< x in τ (when the series knows it), else in steps
  bool logTime = false;  ///< a logarithmic x axis (the first interval, from 0, starts one ratio below its end)
  bool logColor = false; ///< colours on a signed log scale over three decades (heatmap.h)
};
/// The default for `transport`: τ when known; log time when the checkpoints span over two decades;
/// log colours when the largest |J| is over 100 times the median nonzero one.
TransportAxis defaultTransportAxis(const transport::SeriesTransport& transport);

/// The x edges (K values) of the intervals' cells on `axis`.
std::vector<double> transportTimeEdges(const transport::SeriesTransport& transport, const TransportAxis& axis);

QChart* transportChart(const transport::SeriesTransport& transport, const TransportAxis& axis, const ChartStyle& style = {});
/// "J = ... [low, high]" of the cell at `value` (axis units), its edge and its two checkpoints.
QString transportHover(const transport::SeriesTransport& transport, const TransportAxis& axis, const QPointF& value);
/// Every drawn cell, one a line: transport, interval, from_run, to_run, from_step, to_step,
/// tau_from, tau_to, time_unit, edge, edge_lambda, J, standard_error, low, high.
QString transportCsv(const transport::SeriesTransport& transport);

}  // namespace shellscope::ui
