// The analysis stored in the session file under /analysis (docs/session-format.md, "Analysis"):
// per run its statistics, frontier and fits, per model its trends, and the size alignments, with
// the options that produced them and a fingerprint of each run's data for stale detection.
#include "shellscope/analysis/analysis_file.h"

#include <H5Cpp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "hdf5_support.h"
#include "shellscope/session/session_file.h"

namespace shellscope::analysis {

namespace fs = std::filesystem;
using namespace hdf5;

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kAnalysisFormat = "shellscope-analysis";
constexpr std::int64_t kAnalysisVersion = 1;
constexpr const char* kReplicateRows = "frontier_lambda,kappa,p,amplitude,loss";
}  // namespace

namespace {

void writeFit(H5::Group& g, const std::string& prefix, const FitResult& fit) {
  writeAttribute(g, (prefix + "_status").c_str(), fit.status.text());
  writeAttribute(g, (prefix + "_chi_square").c_str(), fit.chiSquare);
  writeAttribute(g, (prefix + "_dof").c_str(), static_cast<std::int64_t>(fit.degreesOfFreedom));
  writeAttribute(g, (prefix + "_p_value").c_str(), fit.pValue);
  writeAttribute(g, (prefix + "_aic").c_str(), fit.parameters.size() ? fit.aic() : kNan);
  writeVector(g, (prefix + "_parameters").c_str(), fit.parameters);
  if (fit.covariance.size()) writeMatrix(g, (prefix + "_covariance").c_str(), fit.covariance);
}

void writeRunAnalysis(H5::Group& runs, const RunAnalysis& a) {
  H5::Group g = runs.createGroup(a.runId);
  writeAttribute(g, "run_fingerprint", a.fingerprint);
  writeAttribute(g, "model_name", a.modelName);
  writeAttribute(g, "step", a.step);
  writeAttribute(g, "loss", a.loss);
  writeAttribute(g, "loss_error", a.lossError);
  const Frontier& f = a.frontier;
  writeAttribute(g, "frontier_status", f.status.text());
  writeAttribute(g, "frontier_lambda", f.lambda);
  writeAttribute(g, "frontier_ci_low", f.ciLow);
  writeAttribute(g, "frontier_ci_high", f.ciHigh);
  writeAttribute(g, "peak_shell_lambda", f.peakShellLambda);
  writeAttribute(g, "peak_energy", f.peakEnergy);
  writeAttribute(g, "cutoff_lambda", f.cutoffLambda);
  writeAttribute(g, "width_decades", f.widthDecades);
  writeAttribute(g, "frontier_shape", f.peakShape);
  writeAttribute(g, "cutoff_ci_low", f.cutoffCiLow);
  writeAttribute(g, "cutoff_ci_high", f.cutoffCiHigh);
  writeAttribute(g, "width_ci_low", f.widthCiLow);
  writeAttribute(g, "width_ci_high", f.widthCiHigh);
  writeAttribute(g, "mass_floor", a.statistics.massFloor);
  writeAttribute(g, "lambda_floor", a.statistics.lambdaFloor);
  writeVector(g, "smoothed_log_energy", f.smoothedLogEnergy);
  writeVector(g, "standard_error", a.statistics.standardError);
  writeVector(g, "bootstrap_low", a.statistics.bootstrapLow);
  writeVector(g, "bootstrap_high", a.statistics.bootstrapHigh);
  writeVector(g, "batch_minimum", a.statistics.batchMinimum);
  writeVector(g, "smallest_mass", a.statistics.smallestMass);
  const PiecewiseFit& p = a.piecewise;
  writeFit(g, "piecewise", p.fit);
  writeAttribute(g, "piecewise_slope", p.slope);
  writeAttribute(g, "piecewise_slope_error", p.slopeError);
  writeAttribute(g, "piecewise_intercept", p.intercept);
  writeAttribute(g, "piecewise_intercept_error", p.interceptError);
  writeAttribute(g, "piecewise_kappa", p.kappa);
  writeAttribute(g, "piecewise_kappa_error", p.kappaError);
  writeAttribute(g, "piecewise_blend_lambda", p.blendLambda);
  writeAttribute(g, "piecewise_blend_lambda_error", p.blendLambdaError);
  writeAttribute(g, "piecewise_blend_width", p.blendWidth);
  writeAttribute(g, "piecewise_blend_width_fixed", static_cast<std::int64_t>(p.blendWidthFixed));
  writeAttribute(g, "piecewise_high_intercept", p.highIntercept);
  writeAttribute(g, "piecewise_lambda_min", p.lambdaMin);
  writeAttribute(g, "piecewise_lambda_max", p.lambdaMax);
  const TheoryFit& t = a.theory;
  writeFit(g, "theory", t.fit);
  writeAttribute(g, "theory_p", t.p);
  writeAttribute(g, "theory_p_error", t.pError);
  writeAttribute(g, "theory_kappa", t.kappa);
  writeAttribute(g, "theory_kappa_error", t.kappaError);
  writeAttribute(g, "theory_log10_c", t.logC);
  writeAttribute(g, "theory_log10_c_error", t.logCError);
  writeAttribute(g, "theory_peak_lambda", t.peakLambda);
  writeAttribute(g, "theory_peak_lambda_error", t.peakLambdaError);
  writeAttribute(g, "theory_lambda_min", t.lambdaMin);
  writeAttribute(g, "theory_lambda_max", t.lambdaMax);
  writeAttribute(g, "better_model", a.betterModel);
  writeAttribute(g, "aic_difference", a.aicDifference);
  // The trend quantities on each bootstrap resample (trends.h), one row per quantity.
  const TrendReplicates& rep = a.replicates;
  const Eigen::Index R = static_cast<Eigen::Index>(rep.size());
  writeAttribute(g, "trend_replicate_count", static_cast<std::int64_t>(R));
  writeAttribute(g, "trend_replicate_rows", std::string(kReplicateRows));
  if (R > 0) {
    Eigen::MatrixXd rows(5, R);
    const std::vector<double>* columns[] = {&rep.frontierLambda, &rep.kappa, &rep.p, &rep.amplitude, &rep.loss};
    for (Eigen::Index q = 0; q < 5; ++q) {
      for (Eigen::Index r = 0; r < R; ++r) {
        const std::vector<double>& v = *columns[q];
        rows(q, r) = r < static_cast<Eigen::Index>(v.size()) ? v[static_cast<std::size_t>(r)] : kNan;
      }
    }
    writeMatrix(g, "trend_replicates", rows);
  }
}

void writeTrends(H5::Group& trends, const ModelTrends& m) {
  H5::Group g = trends.createGroup(m.modelName);
  writeAttribute(g, "fingerprint", m.fingerprint);
  writeAttribute(g, "time_axis", m.timeAxis);
  writeAttribute(g, "c0", m.c0);
  writeAttribute(g, "c0_error", m.c0Error);
  writeAttribute(g, "c0_status", m.c0Status.text());
  writeAttribute(g, "mean_p", m.meanP);
  writeAttribute(g, "mean_p_error", m.meanPError);
  writeAttribute(g, "predicted_loss_exponent", m.predictedLossExponent);
  writeAttribute(g, "predicted_loss_exponent_error", m.predictedLossExponentError);
  writeAttribute(g, "measured_loss_exponent", m.measuredLossExponent);
  writeAttribute(g, "measured_loss_exponent_error", m.measuredLossExponentError);
  writeAttribute(g, "loss_exponent_status", m.lossExponentStatus.text());
  writeAttribute(g, "c0_ci_low", m.c0CiLow);
  writeAttribute(g, "c0_ci_high", m.c0CiHigh);
  writeAttribute(g, "mean_p_ci_low", m.meanPCiLow);
  writeAttribute(g, "mean_p_ci_high", m.meanPCiHigh);
  writeAttribute(g, "predicted_loss_exponent_ci_low", m.predictedCiLow);
  writeAttribute(g, "predicted_loss_exponent_ci_high", m.predictedCiHigh);
  writeAttribute(g, "prediction_status", m.predictionStatus.text());
  writeAttribute(g, "measured_loss_exponent_ci_low", m.measuredCiLow);
  writeAttribute(g, "measured_loss_exponent_ci_high", m.measuredCiHigh);
  writeAttribute(g, "window_first_step", m.window.firstStep);
  writeAttribute(g, "window_last_step", m.window.lastStep);
  writeAttribute(g, "window_checkpoints", static_cast<std::int64_t>(m.window.checkpoints));
  writeAttribute(g, "window_available", static_cast<std::int64_t>(m.window.available));
  writeAttribute(g, "window_choice", m.window.choice);
  writeAttribute(g, "window_reason", m.window.reason);
  writeAttribute(g, "batch_pairing", m.batchPairing);
  for (const Trend& t : m.trends) {
    H5::Group axis = g.nameExists(t.timeAxis) ? g.openGroup(t.timeAxis) : g.createGroup(t.timeAxis);
    H5::Group q = axis.createGroup(t.quantity);
    writeAttribute(q, "exponent", t.exponent);
    writeAttribute(q, "exponent_error", t.exponentError);
    writeAttribute(q, "exponent_ci_low", t.ciLow);
    writeAttribute(q, "exponent_ci_high", t.ciHigh);
    writeAttribute(q, "intercept", t.intercept);
    writeAttribute(q, "points", static_cast<std::int64_t>(t.points));
    writeAttribute(q, "status", t.status.text());
  }
}

void writeAlignment(H5::Group& alignments, const Alignment& a, std::size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "%04zu", index);
  H5::Group g = alignments.createGroup(name);
  writeAttribute(g, "reference", a.reference);
  writeAttribute(g, "other", a.other);
  writeAttribute(g, "step", a.step);
  writeAttribute(g, "amplitude_shift", a.amplitudeShift);
  writeAttribute(g, "amplitude_shift_error", a.amplitudeShiftError);
  writeAttribute(g, "peak_displacement", a.peakDisplacement);
  writeAttribute(g, "peak_displacement_error", a.peakDisplacementError);
  writeAttribute(g, "rms_residual", a.rmsResidual);
  writeAttribute(g, "status", a.status.text());
}

FitResult readFit(const GroupReader& r, const std::string& prefix) {
  FitResult fit;
  fit.status = fitStatusFromText(r.text((prefix + "_status").c_str()));
  fit.chiSquare = r.real((prefix + "_chi_square").c_str());
  fit.degreesOfFreedom = static_cast<int>(r.integer((prefix + "_dof").c_str()));
  fit.pValue = r.real((prefix + "_p_value").c_str());
  std::vector<hsize_t> dims;
  std::vector<double> parameters = r.dataset<double>((prefix + "_parameters").c_str(), 1, dims);
  fit.parameters = Eigen::Map<Eigen::VectorXd>(parameters.data(), static_cast<Eigen::Index>(parameters.size()));
  if (r.hasDataset((prefix + "_covariance").c_str())) {
    fit.covariance = r.matrix((prefix + "_covariance").c_str(), dims[0], dims[0]);
  }
  return fit;
}

RunAnalysis readRunAnalysis(const std::string& path, H5::Group group, const std::string& id, const Run* run) {
  GroupReader r(path, std::move(group), "/analysis/runs/" + id);
  RunAnalysis a;
  a.runId = id;
  a.fingerprint = r.text("run_fingerprint");
  a.modelName = r.text("model_name");
  a.step = r.integer("step");
  a.loss = r.real("loss");
  a.lossError = r.real("loss_error");
  Frontier& f = a.frontier;
  f.status = frontierStatusFromText(r.text("frontier_status"));
  f.lambda = r.real("frontier_lambda");
  f.ciLow = r.real("frontier_ci_low");
  f.ciHigh = r.real("frontier_ci_high");
  f.peakShellLambda = r.real("peak_shell_lambda");
  f.peakEnergy = r.real("peak_energy");
  f.cutoffLambda = r.real("cutoff_lambda");
  f.widthDecades = r.real("width_decades");
  // Written since the unbiased frontier (analyses stored before it lack them: NaN).
  f.peakShape = r.optionalReal("frontier_shape", kNan);
  f.cutoffCiLow = r.optionalReal("cutoff_ci_low", kNan);
  f.cutoffCiHigh = r.optionalReal("cutoff_ci_high", kNan);
  f.widthCiLow = r.optionalReal("width_ci_low", kNan);
  f.widthCiHigh = r.optionalReal("width_ci_high", kNan);
  std::vector<hsize_t> dims;
  const std::vector<double> smoothed = r.dataset<double>("smoothed_log_energy", 1, dims);
  const hsize_t S = dims[0];
  f.smoothedLogEnergy = Eigen::Map<const Eigen::VectorXd>(smoothed.data(), static_cast<Eigen::Index>(S));
  a.statistics.massFloor = r.real("mass_floor");
  a.statistics.lambdaFloor = r.real("lambda_floor");
  a.statistics.standardError = r.vector("standard_error", S);
  a.statistics.bootstrapLow = r.vector("bootstrap_low", S);
  a.statistics.bootstrapHigh = r.vector("bootstrap_high", S);
  a.statistics.batchMinimum = r.vector("batch_minimum", S);
  a.statistics.smallestMass = r.vector("smallest_mass", S);
  if (run) {
    a.statistics.window = run->window;
    a.statistics.mean = run->shellEnergy;
  }
  PiecewiseFit& p = a.piecewise;
  p.fit = readFit(r, "piecewise");
  p.slope = r.real("piecewise_slope");
  p.slopeError = r.real("piecewise_slope_error");
  p.intercept = r.real("piecewise_intercept");
  p.interceptError = r.real("piecewise_intercept_error");
  p.kappa = r.real("piecewise_kappa");
  p.kappaError = r.real("piecewise_kappa_error");
  p.blendLambda = r.real("piecewise_blend_lambda");
  p.blendLambdaError = r.real("piecewise_blend_lambda_error");
  p.blendWidth = r.real("piecewise_blend_width");
  p.blendWidthFixed = r.integer("piecewise_blend_width_fixed") != 0;
  p.highIntercept = r.real("piecewise_high_intercept");
  p.lambdaMin = r.real("piecewise_lambda_min");
  p.lambdaMax = r.real("piecewise_lambda_max");
  TheoryFit& t = a.theory;
  t.fit = readFit(r, "theory");
  t.p = r.real("theory_p");
  t.pError = r.real("theory_p_error");
  t.kappa = r.real("theory_kappa");
  t.kappaError = r.real("theory_kappa_error");
  t.logC = r.real("theory_log10_c");
  t.logCError = r.real("theory_log10_c_error");
  t.peakLambda = r.real("theory_peak_lambda");
  t.peakLambdaError = r.real("theory_peak_lambda_error");
  t.lambdaMin = r.real("theory_lambda_min");
  t.lambdaMax = r.real("theory_lambda_max");
  a.betterModel = r.text("better_model");
  a.aicDifference = r.real("aic_difference");
  a.stale = !run || runFingerprint(*run) != a.fingerprint || static_cast<hsize_t>(run->shellCount()) != S;
  if (run) {
    a.batches = static_cast<int>(run->batchCount());
    a.batchesSha256 = run->meta.batchesSha256;
  }
  // Analyses stored before the trends' bootstrap lack the replicates: stale, so they are redone.
  const std::int64_t R = r.optionalInteger("trend_replicate_count", -1);
  if (R < 0) {
    a.stale = a.stale || (run && run->batchCount() > 1);
  } else if (R > 0) {
    if (r.text("trend_replicate_rows") != kReplicateRows) r.fail("trend_replicate_rows names rows this build does not know");
    const Eigen::MatrixXd rows = r.matrix("trend_replicates", 5, static_cast<hsize_t>(R));
    std::vector<double>* columns[] = {&a.replicates.frontierLambda, &a.replicates.kappa, &a.replicates.p,
                                      &a.replicates.amplitude, &a.replicates.loss};
    for (Eigen::Index q = 0; q < 5; ++q) {
      for (Eigen::Index i = 0; i < R; ++i) columns[q]->push_back(rows(q, i));
    }
  }
  return a;
}

/// /analysis/held_out (mse flow) and /analysis/held_out_cross_entropy (docs/session-format.md,
/// "Analysis"): runs/<id> and models/<model> of `objective`.
void writeHeldOut(H5::Group root, const SessionAnalysis& analysis, HeldOutObjective objective) {
  H5::Group runs = root.createGroup("runs");
  for (const HeldOutRunAnalysis& a : analysis.heldOut) {
    if (a.objective != objective) continue;
    H5::Group g = runs.createGroup(a.runId);
    writeAttribute(g, "model_name", a.modelName);
    writeAttribute(g, "step", a.step);
    writeAttribute(g, "batch_pairs", static_cast<std::int64_t>(a.pairs));
    writeAttribute(g, "loss", a.loss);
    writeAttribute(g, "loss_err", a.lossError);
    writeAttribute(g, "held_out_loss", a.heldOutLoss);
    writeAttribute(g, "held_out_loss_err", a.heldOutLossError);
    writeAttribute(g, "held_out_loss_rate", a.rate);
    writeAttribute(g, "held_out_loss_rate_ci_low", a.rateLow);
    writeAttribute(g, "held_out_loss_rate_ci_high", a.rateHigh);
    writeAttribute(g, "raising_lambda_low", a.lambdaLow);
    writeAttribute(g, "raising_lambda_high", a.lambdaHigh);
    writeVector(g, "shell_rate", a.shellRate);
    writeVector(g, "shell_rate_ci_low", a.shellRateLow);
    writeVector(g, "shell_rate_ci_high", a.shellRateHigh);
    std::vector<std::int64_t> raising(a.raisingShells.begin(), a.raisingShells.end());
    writeVector(g, "raising_shells", raising);
  }
  H5::Group models = root.createGroup("models");
  for (const HeldOutWindow& w : analysis.heldOutWindows) {
    if (w.objective != objective) continue;
    H5::Group g = models.createGroup(w.modelName);
    writeAttribute(g, "first_step", w.firstStep);
    writeAttribute(g, "last_step", w.lastStep);
    writeAttribute(g, "lambda_low", w.lambdaLow);
    writeAttribute(g, "lambda_high", w.lambdaHigh);
    writeAttribute(g, "reason", w.reason);
    writeVector(g, "step", w.steps);
    writeVector(g, "held_out_loss", Eigen::Map<const Eigen::VectorXd>(w.heldOutLoss.data(), static_cast<Eigen::Index>(w.heldOutLoss.size())));
    writeVector(g, "loss", Eigen::Map<const Eigen::VectorXd>(w.loss.data(), static_cast<Eigen::Index>(w.loss.size())));
  }
}

}  // namespace

void writeAnalysis(const std::string& path, const SessionAnalysis& analysis) {
  silenceHdf5();
  readSession(path);  // a valid session, or a clear error before anything changes
  editAtomically(
      path, "write the analysis",
      [&](H5::H5File& file) {
        removeChild(file, "analysis");
        H5::Group root = file.createGroup("analysis");
        const AnalysisOptions& o = analysis.options;
        writeAttribute(root, "format", std::string(kAnalysisFormat));
        writeAttribute(root, "format_version", kAnalysisVersion);
        writeAttribute(root, "smoothing_width", o.smoothingWidth);
        writeAttribute(root, "bootstrap_samples", static_cast<std::int64_t>(o.bootstrapSamples));
        writeAttribute(root, "seed", static_cast<std::int64_t>(o.seed));
        writeAttribute(root, "confidence", o.confidence);
        writeAttribute(root, "collapse_factor", o.collapseFactor);
        writeAttribute(root, "lambda_min", o.lambdaMin);
        writeAttribute(root, "lambda_max", o.lambdaMax);
        H5::Group windows = root.createGroup("trend_windows");
        for (const auto& [model, range] : o.trendWindows) {
          H5::Group w = windows.createGroup(model);
          writeAttribute(w, "first_step", range.first);
          writeAttribute(w, "last_step", range.last);
        }
        H5::Group runs = root.createGroup("runs");
        for (const RunAnalysis& a : analysis.runs) writeRunAnalysis(runs, a);
        H5::Group trends = root.createGroup("trends");
        for (const ModelTrends& m : analysis.trends) writeTrends(trends, m);
        H5::Group alignments = root.createGroup("alignments");
        for (std::size_t i = 0; i < analysis.alignments.size(); ++i) writeAlignment(alignments, analysis.alignments[i], i);
        for (const HeldOutObjective objective : {HeldOutObjective::MeanSquaredError, HeldOutObjective::CrossEntropy}) {
          const bool any = std::any_of(analysis.heldOut.begin(), analysis.heldOut.end(),
                                       [&](const HeldOutRunAnalysis& a) { return a.objective == objective; });
          const char* name = objective == HeldOutObjective::CrossEntropy ? "held_out_cross_entropy" : "held_out";
          if (any) writeHeldOut(root.createGroup(name), analysis, objective);
        }
      },
      {});
}

void writeSessionWithAnalysis(const std::string& path, const Session& session, const SessionAnalysis& analysis,
                              const std::string& keepOtherGroupsOf) {
  replaceThroughStaging(path, [&](const std::string& staging) {
    writeSession(staging, session);
    if (!analysis.runs.empty()) writeAnalysis(staging, analysis);
    copyOtherRootObjects(keepOtherGroupsOf, staging, {"runs", "training", "analysis", "view_states"});
  });
}

SessionAnalysis readAnalysis(const std::string& path, const Session& session) {
  silenceHdf5();
  SessionAnalysis analysis;
  H5::H5File file = openExisting(path, H5F_ACC_RDONLY);
  try {
    if (!file.nameExists("analysis")) return analysis;
    GroupReader root(path, file.openGroup("analysis"), "/analysis");
    if (root.text("format") != kAnalysisFormat || root.integer("format_version") != kAnalysisVersion) {
      throw SessionFileError(path, "/analysis has an unknown format or version");
    }
    AnalysisOptions& o = analysis.options;
    o.smoothingWidth = root.real("smoothing_width");
    o.bootstrapSamples = static_cast<int>(root.integer("bootstrap_samples"));
    o.seed = static_cast<std::uint64_t>(root.integer("seed"));
    o.confidence = root.real("confidence");
    o.collapseFactor = root.real("collapse_factor");
    o.lambdaMin = root.real("lambda_min");
    o.lambdaMax = root.real("lambda_max");
    if (file.nameExists("analysis/trend_windows")) {
      H5::Group windows = file.openGroup("analysis/trend_windows");
      for (const std::string& model : childNames(windows)) {
        GroupReader w(path, windows.openGroup(model), "/analysis/trend_windows/" + model);
        const StepRange range{w.integer("first_step"), w.integer("last_step")};
        if (range.first > range.last) w.fail("first_step is after last_step");
        o.trendWindows[model] = range;
      }
    }
    H5::Group runs = file.openGroup("analysis/runs");
    for (const std::string& id : childNames(runs)) {
      analysis.runs.push_back(readRunAnalysis(path, runs.openGroup(id), id, session.findRun(id)));
    }
    H5::Group trends = file.openGroup("analysis/trends");
    for (const std::string& model : childNames(trends)) {
      GroupReader r(path, trends.openGroup(model), "/analysis/trends/" + model);
      ModelTrends m;
      m.modelName = model;
      m.fingerprint = r.text("fingerprint");
      m.timeAxis = r.text("time_axis");
      m.c0 = r.real("c0");
      m.c0Error = r.real("c0_error");
      m.c0Status = transportStatusFromText(r.text("c0_status"));
      m.meanP = r.real("mean_p");
      m.meanPError = r.real("mean_p_error");
      m.predictedLossExponent = r.real("predicted_loss_exponent");
      m.predictedLossExponentError = r.real("predicted_loss_exponent_error");
      m.measuredLossExponent = r.real("measured_loss_exponent");
      m.measuredLossExponentError = r.real("measured_loss_exponent_error");
      m.lossExponentStatus = transportStatusFromText(r.text("loss_exponent_status"));
      // Written since trends have a window (earlier analyses: NaN, empty).
      m.c0CiLow = r.optionalReal("c0_ci_low", kNan);
      m.c0CiHigh = r.optionalReal("c0_ci_high", kNan);
      m.meanPCiLow = r.optionalReal("mean_p_ci_low", kNan);
      m.meanPCiHigh = r.optionalReal("mean_p_ci_high", kNan);
      m.predictedCiLow = r.optionalReal("predicted_loss_exponent_ci_low", kNan);
      m.predictedCiHigh = r.optionalReal("predicted_loss_exponent_ci_high", kNan);
      m.predictionStatus = r.hasAttribute("prediction_status") ? transportStatusFromText(r.text("prediction_status"))
                                                               : m.c0Status;
      m.measuredCiLow = r.optionalReal("measured_loss_exponent_ci_low", kNan);
      m.measuredCiHigh = r.optionalReal("measured_loss_exponent_ci_high", kNan);
      m.window.firstStep = r.optionalInteger("window_first_step", -1);
      m.window.lastStep = r.optionalInteger("window_last_step", -1);
      m.window.checkpoints = static_cast<int>(r.optionalInteger("window_checkpoints", 0));
      m.window.available = static_cast<int>(r.optionalInteger("window_available", 0));
      m.window.choice = r.optionalText("window_choice");
      m.window.reason = r.optionalText("window_reason");
      m.batchPairing = r.optionalText("batch_pairing");
      H5::Group modelGroup = trends.openGroup(model);
      for (const std::string& axis : childNames(modelGroup)) {
        H5::Group axisGroup = modelGroup.openGroup(axis);
        for (const std::string& quantity : childNames(axisGroup)) {
          GroupReader q(path, axisGroup.openGroup(quantity), "/analysis/trends/" + model + "/" + axis + "/" + quantity);
          Trend t;
          t.quantity = quantity;
          t.timeAxis = axis;
          t.exponent = q.real("exponent");
          t.exponentError = q.real("exponent_error");
          t.ciLow = q.optionalReal("exponent_ci_low", kNan);
          t.ciHigh = q.optionalReal("exponent_ci_high", kNan);
          t.intercept = q.real("intercept");
          t.points = static_cast<int>(q.integer("points"));
          t.status = trendStatusFromText(q.text("status"));
          m.trends.push_back(t);
        }
      }
      // Stale when the model's runs are not those the trends came from.
      std::vector<const Run*> runsOfModel;
      for (const Run& run : session.runs) {
        if (run.meta.modelName == model) runsOfModel.push_back(&run);
      }
      std::sort(runsOfModel.begin(), runsOfModel.end(), [](const Run* a, const Run* b) { return a->meta.step < b->meta.step; });
      std::string current;
      for (const Run* run : runsOfModel) current += runFingerprint(*run) + ";";
      m.stale = current != m.fingerprint;
      analysis.trends.push_back(m);
    }
    H5::Group alignments = file.openGroup("analysis/alignments");
    for (const std::string& name : childNames(alignments)) {
      GroupReader r(path, alignments.openGroup(name), "/analysis/alignments/" + name);
      Alignment a;
      a.reference = r.text("reference");
      a.other = r.text("other");
      a.step = r.integer("step");
      a.amplitudeShift = r.real("amplitude_shift");
      a.amplitudeShiftError = r.real("amplitude_shift_error");
      a.peakDisplacement = r.real("peak_displacement");
      a.peakDisplacementError = r.real("peak_displacement_error");
      a.rmsResidual = r.real("rms_residual");
      a.status = alignmentStatusFromText(r.text("status"));
      analysis.alignments.push_back(a);
    }
    return analysis;
  } catch (const H5::Exception& e) {
    throw SessionFileError(path, "the analysis is unreadable (" + e.getDetailMsg() + ")");
  }
}

}  // namespace shellscope::analysis
