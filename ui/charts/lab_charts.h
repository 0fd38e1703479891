#pragma once
// The theory lab's figures (paper §3.1-3.5: the shell balance law dE_α/dτ = −2 D_α + 2 Σ_β F_{β→α},
// Proposition 1's antisymmetric flux; §4.2-4.6 and Chizat & Bach for the lazy limit), built from
// the exact lab runs of a session (shellscope/experiment/lab_run.h, docs/lab.md):
//   - the flux matrix F̄_{β→α} of one interval as a heatmap (from shell β, x, into shell α, y);
//   - the per-shell balance of that interval as grouped bars: ΔE/Δτ, −2D̄, 2ΣF, crossing/Δτ and
//     the residual R, which add up (ΔE/Δτ = −2D̄ + 2ΣF + crossing/Δτ + R);
//   - the transport-to-dissipation ratio Σ|F̄| / Σ|D̄| of every interval over τ;
//   - the lazy-rich sweep: the whole run's ratio against the output scale α, one point per run.
// Bins are the run's S + 2 (underflow, shells, overflow), shown over the range any checkpoint
// gives energy to; shell axes are bin positions labelled by the λ of decade edges.

#include <QPointF>
#include <QString>
#include <vector>

#include "shellscope/experiment/lab_run.h"
#include "ui/charts/chart_builders.h"

QT_BEGIN_NAMESPACE
class QCategoryAxis;
QT_END_NAMESPACE

namespace shellscope::ui {

/// The bins a run's pictures show: first..last (inclusive), those with energy at some checkpoint
/// or flux or dissipation in some interval (all bins when none has).
struct LabBinRange {
  int first = 0, last = -1;
  int count() const { return last - first + 1; }
};
LabBinRange shownBins(const LabRun& run);

/// "[0.01, 0.0178)", "underflow (λ < 1.78e-07)", "overflow (λ ≥ 31.6)".
QString labBinLabel(const ShellWindow& window, int bin);
/// An axis of bin positions: bins.first..bins.last drawn at 0..count-1, labelled by the λ of the
/// decade edges between them (every edge when fewer than two decades fall inside); the chart takes it.
QCategoryAxis* labBinAxis(const ShellWindow& window, const LabBinRange& bins, const QString& title, const ChartStyle& style);

enum class LabPanel { All, Flux, Balance, Ratio, Sweep };
/// "all", "flux", "balance", "ratio", "sweep" (the render command's --panel).
QString labPanelKey(LabPanel panel);
/// Parses the above; false when it is none of them.
bool parseLabPanel(const QString& key, LabPanel* panel);

QChart* labFluxChart(const LabRun& run, int interval, const ChartStyle& style = {});
QChart* labBalanceChart(const LabRun& run, int interval, const ChartStyle& style = {});
QChart* labRatioChart(const LabRun& run, int interval, const ChartStyle& style = {});
/// Every run of `runs` (any model) at its output scale; `chosen` (an index, -1 none) is ringed.
QChart* labSweepChart(const std::vector<LabRun>& runs, int chosen, const ChartStyle& style = {});
/// One panel, or with LabPanel::All the four in a 2 x 2 grid (the Lab view's figure, the render
/// command's too).
QChart* labFigure(const std::vector<LabRun>& runs, int chosen, int interval, LabPanel panel, const ChartStyle& style = {});

/// Hover read-outs at `value` (the chart's axis units); empty outside anything.
QString labFluxHover(const LabRun& run, int interval, const QPointF& value);
QString labBalanceHover(const LabRun& run, int interval, const QPointF& value);
QString labRatioHover(const LabRun& run, const QPointF& value);
/// The run nearest to `pixel` in `chart` (a labSweepChart), within 12 pixels.
QString labSweepHover(const std::vector<LabRun>& runs, const QChart* chart, const QPointF& pixel);

/// Everything the four panels draw, one value a line (columns panel, lab_run, interval, tau_from,
/// tau_to, bin, from_bin, lambda_low, lambda_high, output_scale, quantity, value; a field is empty
/// where it does not apply).
QString labCsv(const std::vector<LabRun>& runs, int chosen, int interval);

}  // namespace shellscope::ui
