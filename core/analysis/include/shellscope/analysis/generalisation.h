#pragma once
// Train versus held-out at scale (paper §6; docs/generalisation.md): per run computed with
// held-out points (Run::heldOut), the held-out loss and the held-out loss rate per training shell
//     R_α = mean over batch pairs b of Σ_{θ_j ∈ α} R_bj,   Σ_α R_α (+ under/overflow) = mean_b −e'ᵀJ'Jᵀe/(n n'),
// with bootstrap intervals over batch pairs (the training batch and its held-out batch resampled
// together); per model, across checkpoints, the window where learning raises the held-out loss:
// the shells whose R_α is positive beyond its interval and the checkpoints where that happens.
// Two objectives (HeldOutObjective): gradient flow on the mse of the error (R from e, the
// held_out_* datasets) and on the cross-entropy mean(e) (R from 1, held_out_ce_*, runs computed
// with --held-out-cross-entropy). Tested (coverage of the intervals on synthetic pairs with a known
// mean) in tests/core/analysis/test_generalisation.cpp.

#include <string>
#include <vector>

#include <Eigen/Core>

#include "shellscope/analysis/profile_statistics.h"
#include "shellscope/session/session.h"

namespace shellscope::analysis {

/// Which training flow the held-out loss rate is split for.
enum class HeldOutObjective {
  MeanSquaredError,  ///< flow on ½ mean(e²): R_α from Lanczos on e with the probe J J'ᵀ e'
  CrossEntropy,      ///< flow on mean(e): R_α from Lanczos on 1 with the probe J J'ᵀ 1
};
/// "mse" | "cross_entropy" (JSON, /analysis) and in words for tables.
std::string toString(HeldOutObjective objective);
std::string describe(HeldOutObjective objective);
/// Whether `run` has the held-out split for `objective`.
bool hasHeldOutSplit(const Run& run, HeldOutObjective objective);

struct HeldOutRunAnalysis {
  std::string runId, modelName;
  HeldOutObjective objective = HeldOutObjective::MeanSquaredError;
  std::int64_t step = -1;
  int pairs = 0;                      ///< batch pairs B
  double loss = 0, lossError = 0;     ///< mean over the training batches of mean(e), its standard error
  double heldOutLoss = 0, heldOutLossError = 0;  ///< the same on the held-out batches
  double rate = 0, rateLow = 0, rateHigh = 0;    ///< dL'/dτ = mean_b rate_direct, with its interval
  Eigen::VectorXd shellRate, shellRateLow, shellRateHigh;  ///< [S] R_α and its interval
  double rateBelow = 0, rateAbove = 0;  ///< mean R of the Ritz values below and above the window
  /// Shells whose interval lies above 0 (learning raises the held-out loss there), ascending.
  std::vector<int> raisingShells;
  double lambdaLow = 0, lambdaHigh = 0;  ///< the edges around them (NaN: none)
};

/// The analysis of one run's held-out side for `objective` (throws std::invalid_argument for a
/// run without that split).
HeldOutRunAnalysis analyzeHeldOut(const Run& run, const AnalysisOptions& options,
                                  HeldOutObjective objective = HeldOutObjective::MeanSquaredError);

/// One model across its checkpoints, for one objective.
struct HeldOutWindow {
  std::string modelName;
  HeldOutObjective objective = HeldOutObjective::MeanSquaredError;
  std::vector<std::int64_t> steps;          ///< checkpoints with held-out points, ascending
  std::vector<double> heldOutLoss, loss;    ///< at each
  std::vector<double> rate;                 ///< dL'/dτ at each
  /// Consecutive checkpoints between which the held-out loss rose (L'(k+1) > L'(k)), as [k, k+1].
  std::vector<std::pair<std::int64_t, std::int64_t>> rises;
  /// The window: the first and last step with a raising shell and the λ range of all raising
  /// shells over the checkpoints (none: firstStep = -1, λ NaN).
  std::int64_t firstStep = -1, lastStep = -1;
  double lambdaLow = 0, lambdaHigh = 0;
  std::string reason;                       ///< how it was found, in words
};

/// Per model (session order) and objective over the analysed runs with held-out points.
std::vector<HeldOutWindow> heldOutWindows(const std::vector<HeldOutRunAnalysis>& runs);

/// Every run of the session with held-out points, analysed: the mse split of each, then (in the
/// same run order) the cross-entropy split of those that have it.
std::vector<HeldOutRunAnalysis> analyzeHeldOutRuns(const Session& session, const AnalysisOptions& options);

}  // namespace shellscope::analysis
