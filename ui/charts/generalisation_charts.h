#pragma once
// Train versus held-out (paper §6, issue 14; docs/generalisation.md), built from a lab run with
// held-out points (shellscope/experiment/lab_run.h). Along the flow ė = −M e on the training
// points the held-out loss L' = ½ mean(e'²) moves at
//
//     dL'/dτ = −(1/(n n')) e'ᵀ J' Jᵀ e = Σ_b R_b,
//
// R_b the part carried by the training operator's shell b; R_b > 0 is a shell where learning on
// the training points currently raises L'. The figures:
//   - the training profile E_b and the held-out profile E'_b of one checkpoint, log-log;
//   - R_b of that checkpoint as signed bars over shells (warm: raises L', blue: lowers it) with
//     the training loss's own split (−D_b, every entry ≤ 0) beside it;
//   - R_b over checkpoints × shells as a heatmap (diverging, white at zero), the rise window of
//     heldOutRiseWindow outlined;
//   - the training and held-out losses on the heatmap's time axis, the intervals where L' rises shaded.
// Shell axes are bin positions labelled by λ (lab_charts.h); time is the step or τ. Session runs
// computed with held-out data (compute --held-out-data) are drawn by the same panels through
// heldOutSeries, one checkpoint per run of a model, R_b with a ±2 standard-error band over batch pairs.

#include <QPointF>
#include <QString>
#include <QStringList>
#include <vector>

#include "shellscope/analysis/generalisation.h"
#include "shellscope/experiment/lab_run.h"
#include "ui/charts/chart_builders.h"
#include "ui/charts/lab_charts.h"

namespace shellscope::ui {

/// Per checkpoint, per bin: the standard error of R_b over batch pairs (session runs; NaN where unknown).
using RateErrors = std::vector<Eigen::VectorXd>;

/// The runs of one model computed with held-out data (compute --held-out-data), ordered by step, in
/// a lab run's shape so the same panels draw them: a checkpoint per run (time in steps; τ = step),
/// bins on the union of their windows, E and E' the means over batches, R_b the mean over batch
/// pairs with its standard error. For the mse flow (R from e) L = ½ mean(e²) and there is no
/// training rate split; for the cross-entropy flow (runs computed with --held-out-cross-entropy,
/// R from 1) L = mean(e) and the training rate −Σ θ w of the quadrature from 1 per shell.
struct HeldOutSeries {
  LabRun run;                       ///< id: heldOutSeriesId; modelName "session runs"
  std::vector<std::string> runIds;  ///< per checkpoint
  RateErrors rateStandardError;     ///< per checkpoint
  analysis::HeldOutObjective objective = analysis::HeldOutObjective::MeanSquaredError;
};
HeldOutSeries heldOutSeries(const Session& session, const std::string& model,
                            analysis::HeldOutObjective objective = analysis::HeldOutObjective::MeanSquaredError);
/// The series' id: the model's name, followed by " (cross-entropy)" for that objective.
std::string heldOutSeriesId(const std::string& model, analysis::HeldOutObjective objective);
/// The models of `session` with runs computed with held-out data, by name.
std::vector<std::string> modelsWithHeldOut(const Session& session);
/// Whether some run of `model` has the held-out split for `objective`.
bool modelHasHeldOutSplit(const Session& session, const std::string& model, analysis::HeldOutObjective objective);

enum class GeneralisationPanel { All, Profiles, Rates, Heatmap, Losses };
/// "all", "profiles", "rates", "heatmap", "losses" (the render command's --panel).
QString generalisationPanelKey(GeneralisationPanel panel);
/// Parses the above; false when it is none of them.
bool parseGeneralisationPanel(const QString& key, GeneralisationPanel* panel);

/// How the heatmap and the losses are drawn.
struct GeneralisationAxis {
  bool tau = false;       ///< time in τ, else in training steps
  bool logColor = false;  ///< the heatmap's colours on a signed log scale over three decades (heatmap.h)
};
/// The default for `run`: steps; log colours when the largest |R_b| is over 100 times the median nonzero one.
GeneralisationAxis defaultGeneralisationAxis(const LabRun& run);

/// The bins drawn: those where some checkpoint has training or held-out energy or a nonzero rate
/// (all bins when none has).
LabBinRange generalisationBins(const LabRun& run);
/// The checkpoint shown first: the middle of the longest run of intervals over which L' rises;
/// without one the last checkpoint.
int defaultGeneralisationCheckpoint(const LabRun& run);
/// One line naming the window: "L' rises over steps a–b, in m of K intervals; shells λ c–d hold 92%
/// of the positive R", or why there is none.
QString riseWindowText(const LabRun& run);
/// The same as two lines (the times, the shells; the second empty when there are none).
QStringList riseWindowLines(const LabRun& run);
/// The time of checkpoint k: its step, or τ.
double checkpointTime(const LabRun& run, int k, bool tau);
/// The heatmap's column edges (K + 1): half way between checkpoints, the ends at the first and last.
std::vector<double> generalisationTimeEdges(const LabRun& run, bool tau);

QChart* generalisationProfileChart(const LabRun& run, int checkpoint, const ChartStyle& style = {});
/// With `errors` (session runs), a ±2 standard-error band over batch pairs.
QChart* generalisationRateChart(const LabRun& run, int checkpoint, const ChartStyle& style = {}, const RateErrors* errors = nullptr);
QChart* generalisationHeatmapChart(const LabRun& run, int checkpoint, const GeneralisationAxis& axis, const ChartStyle& style = {});
QChart* generalisationLossChart(const LabRun& run, int checkpoint, const GeneralisationAxis& axis, const ChartStyle& style = {});
/// One panel, or with GeneralisationPanel::All the four in a 2 x 2 grid (the view's figure, the
/// render command's too).
QChart* generalisationFigure(const LabRun& run, int checkpoint, const GeneralisationAxis& axis, GeneralisationPanel panel,
                             const ChartStyle& style = {}, const RateErrors* errors = nullptr);

/// Hover read-outs at `value` (the chart's axis units); empty outside anything.
QString generalisationProfileHover(const LabRun& run, int checkpoint, const QPointF& value);
QString generalisationRateHover(const LabRun& run, int checkpoint, const QPointF& value, const RateErrors* errors = nullptr);
QString generalisationHeatmapHover(const LabRun& run, bool tau, const QPointF& value);
QString generalisationLossHover(const LabRun& run, bool tau, const QPointF& value);

/// Everything the four panels draw, one value a line: panel, lab_run, checkpoint, step, tau, bin,
/// lambda_low, lambda_high, quantity, value (a field is empty where it does not apply); the
/// window's values as panel "window"; with `errors` also held_out_R_standard_error.
QString generalisationCsv(const LabRun& run, int checkpoint, const RateErrors* errors = nullptr);

}  // namespace shellscope::ui
