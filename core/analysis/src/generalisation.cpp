// Train versus held-out at scale (generalisation.h; paper §6): R_α per run with bootstrap
// intervals over batch pairs, and per model the window where learning raises the held-out loss.
#include "shellscope/analysis/generalisation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace shellscope::analysis {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double standardError(const Eigen::VectorXd& v) {
  const Eigen::Index n = v.size();
  if (n < 2) return kNan;
  const double mean = v.mean();
  return std::sqrt((v.array() - mean).square().sum() / static_cast<double>(n - 1) / static_cast<double>(n));
}

/// Mean of the rows `sample` of `values` (one column per quantity).
Eigen::VectorXd rowMean(const Eigen::MatrixXd& values, const std::vector<Eigen::Index>& sample) {
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(values.cols());
  for (Eigen::Index b : sample) sum += values.row(b).transpose();
  return sum / static_cast<double>(sample.size());
}

std::vector<Eigen::Index> allRows(Eigen::Index rows) {
  std::vector<Eigen::Index> all(static_cast<std::size_t>(rows));
  for (Eigen::Index b = 0; b < rows; ++b) all[static_cast<std::size_t>(b)] = b;
  return all;
}

/// Standard error of the mean of every column over the rows `sample`.
Eigen::VectorXd columnStandardErrors(const Eigen::MatrixXd& values, const std::vector<Eigen::Index>& sample) {
  const auto n = static_cast<double>(sample.size());
  const Eigen::VectorXd mean = rowMean(values, sample);
  Eigen::VectorXd squares = Eigen::VectorXd::Zero(values.cols());
  for (Eigen::Index b : sample) squares += (values.row(b).transpose() - mean).cwiseAbs2();
  return n > 1 ? Eigen::VectorXd((squares / (n - 1) / n).cwiseSqrt()) : Eigen::VectorXd::Constant(values.cols(), kNan);
}

/// At least this many resamples: the studentized interval reads its ends from the tails of t*.
constexpr int kStudentizedResamples = 999;

/// [estimate − q_(1−a/2) se, estimate − q_(a/2) se] from the t* replicates (NaN ends when fewer
/// than 90% of the resamples gave one, or se is not finite). A zero se (every pair the same) gives
/// the point itself.
BootstrapInterval studentizedInterval(double estimate, double se, std::vector<double> t, double confidence) {
  BootstrapInterval out{se, kNan, kNan};
  if (!std::isfinite(se)) return out;
  if (se == 0) return {0, estimate, estimate};
  if (t.size() < 2) return out;
  std::sort(t.begin(), t.end());
  const auto quantile = [&](double q) {
    const double at = q * static_cast<double>(t.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(at));
    const std::size_t above = std::min(below + 1, t.size() - 1);
    return t[below] + (at - static_cast<double>(below)) * (t[above] - t[below]);
  };
  const double tail = 0.5 * (1 - confidence);
  out.low = estimate - quantile(1 - tail) * se;
  out.high = estimate - quantile(tail) * se;
  return out;
}

}  // namespace

std::string toString(HeldOutObjective objective) {
  return objective == HeldOutObjective::CrossEntropy ? "cross_entropy" : "mse";
}

std::string describe(HeldOutObjective objective) {
  return objective == HeldOutObjective::CrossEntropy ? "cross-entropy flow" : "mse flow";
}

bool hasHeldOutSplit(const Run& run, HeldOutObjective objective) {
  if (run.heldOut.empty()) return false;
  return objective == HeldOutObjective::MeanSquaredError || !run.heldOut.crossEntropy.empty();
}

HeldOutRunAnalysis analyzeHeldOut(const Run& run, const AnalysisOptions& options, HeldOutObjective objective) {
  const HeldOutSpectra& h = run.heldOut;
  if (!hasHeldOutSplit(run, objective)) {
    throw std::invalid_argument(run.id + " has no held-out " +
                                (objective == HeldOutObjective::CrossEntropy ? "cross-entropy split" : "points"));
  }
  const bool ce = objective == HeldOutObjective::CrossEntropy;
  HeldOutRunAnalysis a;
  a.objective = objective;
  a.runId = run.id;
  a.modelName = run.meta.modelName;
  a.step = run.meta.step;
  const Eigen::Index B = run.batchCount(), S = run.shellCount();
  a.pairs = static_cast<int>(B);
  a.loss = run.loss.mean();
  a.lossError = standardError(run.loss);
  a.heldOutLoss = h.loss.mean();
  a.heldOutLossError = standardError(h.loss);
  // Columns: the S shell rates, below, above, the total; rows: batch pairs.
  Eigen::MatrixXd values(B, S + 3);
  values.leftCols(S) = ce ? h.crossEntropy.shellRateBatches : h.shellRateBatches;
  values.col(S) = ce ? h.crossEntropy.rateUnderflow : h.rateUnderflow;
  values.col(S + 1) = ce ? h.crossEntropy.rateOverflow : h.rateOverflow;
  values.col(S + 2) = ce ? h.crossEntropy.rateDirect : h.rateDirect;
  const Eigen::VectorXd estimate = values.colwise().mean().transpose();
  const Eigen::VectorXd error = columnStandardErrors(values, allRows(B));
  // Studentized (bootstrap-t) intervals: per resample t* = (mean* − mean)/se*, and the interval
  // [mean − t*_(1−a/2) se, mean − t*_(a/2) se]. Per-pair rates are skewed (a few pairs carry most
  // of a shell's rate), where mean ± t se under-covers at few pairs (docs/generalisation.md).
  const auto resamples = bootstrapResamples(B, std::max(options.bootstrapSamples, kStudentizedResamples), options.seed);
  std::vector<std::vector<double>> studentized(static_cast<std::size_t>(S + 3));
  for (const auto& sample : resamples) {
    const Eigen::VectorXd m = rowMean(values, sample);
    const Eigen::VectorXd se = columnStandardErrors(values, sample);
    for (Eigen::Index c = 0; c < S + 3; ++c) {
      if (se(c) > 0) studentized[static_cast<std::size_t>(c)].push_back((m(c) - estimate(c)) / se(c));
    }
  }
  const auto interval = [&](Eigen::Index c) {
    return studentizedInterval(estimate(c), error(c), studentized[static_cast<std::size_t>(c)], options.confidence);
  };
  a.shellRate = estimate.head(S);
  a.shellRateLow.resize(S);
  a.shellRateHigh.resize(S);
  for (Eigen::Index j = 0; j < S; ++j) {
    const BootstrapInterval i = interval(j);
    a.shellRateLow(j) = i.low;
    a.shellRateHigh(j) = i.high;
    if (i.low > 0) a.raisingShells.push_back(static_cast<int>(j));
  }
  a.rateBelow = estimate(S);
  a.rateAbove = estimate(S + 1);
  a.rate = estimate(S + 2);
  const BootstrapInterval total = interval(S + 2);
  a.rateLow = total.low;
  a.rateHigh = total.high;
  a.lambdaLow = a.raisingShells.empty() ? kNan : run.window.edge(a.raisingShells.front());
  a.lambdaHigh = a.raisingShells.empty() ? kNan : run.window.edge(a.raisingShells.back() + 1);
  return a;
}

std::vector<HeldOutRunAnalysis> analyzeHeldOutRuns(const Session& session, const AnalysisOptions& options) {
  std::vector<HeldOutRunAnalysis> out;
  for (const HeldOutObjective objective : {HeldOutObjective::MeanSquaredError, HeldOutObjective::CrossEntropy}) {
    for (const Run& run : session.runs) {
      if (hasHeldOutSplit(run, objective)) out.push_back(analyzeHeldOut(run, options, objective));
    }
  }
  return out;
}

std::vector<HeldOutWindow> heldOutWindows(const std::vector<HeldOutRunAnalysis>& runs) {
  using Key = std::pair<HeldOutObjective, std::string>;
  std::vector<Key> order;
  std::map<Key, std::vector<const HeldOutRunAnalysis*>> byModel;
  for (const auto& r : runs) {
    const Key key{r.objective, r.modelName};
    if (!byModel.count(key)) order.push_back(key);
    byModel[key].push_back(&r);
  }
  std::vector<HeldOutWindow> windows;
  for (const Key& key : order) {
    std::vector<const HeldOutRunAnalysis*> rs = byModel[key];
    std::stable_sort(rs.begin(), rs.end(), [](const auto* a, const auto* b) { return a->step < b->step; });
    HeldOutWindow w;
    w.objective = key.first;
    w.modelName = key.second;
    w.lambdaLow = w.lambdaHigh = kNan;
    int raising = 0;
    for (std::size_t k = 0; k < rs.size(); ++k) {
      const HeldOutRunAnalysis& r = *rs[k];
      w.steps.push_back(r.step);
      w.heldOutLoss.push_back(r.heldOutLoss);
      w.loss.push_back(r.loss);
      w.rate.push_back(r.rate);
      if (k > 0 && r.heldOutLoss > rs[k - 1]->heldOutLoss) w.rises.emplace_back(rs[k - 1]->step, r.step);
      if (r.raisingShells.empty()) continue;
      ++raising;
      if (w.firstStep < 0) w.firstStep = r.step;
      w.lastStep = r.step;
      w.lambdaLow = std::isnan(w.lambdaLow) ? r.lambdaLow : std::min(w.lambdaLow, r.lambdaLow);
      w.lambdaHigh = std::isnan(w.lambdaHigh) ? r.lambdaHigh : std::max(w.lambdaHigh, r.lambdaHigh);
    }
    w.reason = raising == 0 ? "no shell raises the held-out loss beyond its interval at any of the " +
                                  std::to_string(rs.size()) + " checkpoints"
                            : std::to_string(raising) + " of " + std::to_string(rs.size()) +
                                  " checkpoints have shells whose R_alpha interval lies above 0; the window spans them";
    windows.push_back(std::move(w));
  }
  return windows;
}

}  // namespace shellscope::analysis
