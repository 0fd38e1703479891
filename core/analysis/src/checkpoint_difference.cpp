// ΔE and the energy ratio between two checkpoints with paired bootstrap intervals
// (checkpoint_difference.h).
#include "shellscope/analysis/checkpoint_difference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace shellscope::analysis {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
}  // namespace

bool sameBatches(const Run& run, const Run& base) {
  if (run.batchIndex != base.batchIndex || run.batchIndex.empty()) return false;
  const std::string& a = run.meta.batchesSha256;
  const std::string& b = base.meta.batchesSha256;
  return a.empty() || b.empty() || a == b;
}

CheckpointDifference checkpointDifference(const Run& run, const Run& base, const AnalysisOptions& options) {
  if (run.window.shellsPerDecade != base.window.shellsPerDecade) {
    throw std::invalid_argument(run.id + " and " + base.id + " have different shells per decade (" +
                                std::to_string(run.window.shellsPerDecade) + " and " +
                                std::to_string(base.window.shellsPerDecade) + ")");
  }
  const int first = std::max(run.window.firstEdgeIndex, base.window.firstEdgeIndex);
  const int last = std::min(run.window.firstEdgeIndex + run.window.shellCount,
                            base.window.firstEdgeIndex + base.window.shellCount);
  if (last <= first) throw std::invalid_argument(run.id + " and " + base.id + " have no shell in common");
  CheckpointDifference d;
  d.runId = run.id;
  d.baseRunId = base.id;
  d.window = run.window;
  d.window.firstEdgeIndex = first;
  d.window.shellCount = last - first;
  d.runFirstShell = first - run.window.firstEdgeIndex;
  d.baseFirstShell = first - base.window.firstEdgeIndex;
  d.paired = sameBatches(run, base);
  d.batches = static_cast<int>(run.batchCount());
  d.baseBatches = static_cast<int>(base.batchCount());
  const int S = d.window.shellCount;
  const Eigen::MatrixXd now = run.shellEnergyBatches.middleCols(d.runFirstShell, S);
  const Eigen::MatrixXd then = base.shellEnergyBatches.middleCols(d.baseFirstShell, S);

  const auto meanOf = [](const Eigen::MatrixXd& rows, const std::vector<Eigen::Index>& sample) {
    Eigen::VectorXd sum = Eigen::VectorXd::Zero(rows.cols());
    for (Eigen::Index b : sample) sum += rows.row(b).transpose();
    return Eigen::VectorXd(sum / static_cast<double>(sample.size()));
  };
  const auto all = [](Eigen::Index n) {
    std::vector<Eigen::Index> rows(static_cast<std::size_t>(n));
    for (Eigen::Index b = 0; b < n; ++b) rows[static_cast<std::size_t>(b)] = b;
    return rows;
  };
  const Eigen::VectorXd meanNow = meanOf(now, all(now.rows())), meanThen = meanOf(then, all(then.rows()));
  d.delta = meanNow - meanThen;
  d.ratio.resize(S);
  for (int j = 0; j < S; ++j) d.ratio(j) = meanThen(j) > 0 ? meanNow(j) / meanThen(j) : kNan;

  // Replicates: paired (one sample of batch indices for both) or each run on its own.
  const int R = options.bootstrapSamples;
  const auto samplesNow = bootstrapResamples(now.rows(), R, options.seed);
  const auto samplesThen = d.paired ? samplesNow : bootstrapResamples(then.rows(), R, options.seed + 0x9e3779b97f4a7c15ULL);
  std::vector<std::vector<double>> deltas(static_cast<std::size_t>(S)), logRatios(static_cast<std::size_t>(S));
  for (int r = 0; r < R; ++r) {
    const Eigen::VectorXd a = meanOf(now, samplesNow[static_cast<std::size_t>(r)]);
    const Eigen::VectorXd b = meanOf(then, samplesThen[static_cast<std::size_t>(r)]);
    for (int j = 0; j < S; ++j) {
      deltas[static_cast<std::size_t>(j)].push_back(a(j) - b(j));
      logRatios[static_cast<std::size_t>(j)].push_back(a(j) > 0 && b(j) > 0 ? std::log(a(j) / b(j)) : kNan);
    }
  }
  // The t quantile's degrees of freedom: the pairs, or the smaller run's batches.
  const int dof = d.paired ? d.batches : std::min(d.batches, d.baseBatches);
  d.deltaLow.resize(S);
  d.deltaHigh.resize(S);
  d.ratioLow = Eigen::VectorXd::Constant(S, kNan);
  d.ratioHigh = Eigen::VectorXd::Constant(S, kNan);
  for (int j = 0; j < S; ++j) {
    const BootstrapInterval i = bootstrapInterval(d.delta(j), deltas[static_cast<std::size_t>(j)], dof, options.confidence);
    d.deltaLow(j) = i.low;
    d.deltaHigh(j) = i.high;
    if (std::isfinite(d.ratio(j)) && d.ratio(j) > 0) {
      const BootstrapInterval l =
          bootstrapInterval(std::log(d.ratio(j)), logRatios[static_cast<std::size_t>(j)], dof, options.confidence);
      d.ratioLow(j) = std::exp(l.low);
      d.ratioHigh(j) = std::exp(l.high);
    }
  }
  return d;
}

}  // namespace shellscope::analysis
