#pragma once
// What changed between two checkpoints (issue 17; the measured left-hand side of the paper's shell
// balance, §4): per shell α of the two runs' common window
//     ΔE_α = mean_b E_bα(t) − mean_b E_bα(base),   ratio_α = mean_b E_bα(t) / mean_b E_bα(base),
// with bootstrap intervals over batches. When both runs used the same batches (equal batch_index
// lists and, where recorded, equal batches_sha256) the resamples are paired: one resample of batch
// indices serves both checkpoints, so the batch-to-batch variation common to both cancels, as it
// does in ΔE itself. Otherwise each run is resampled on its own. Intervals: estimate ± t·SE of the
// replicates (profile_statistics.h). Tested against a direct computation from the per-batch arrays
// and for coverage on synthetic pairs with a known difference in
// tests/core/analysis/test_checkpoint_difference.cpp.

#include <string>

#include <Eigen/Core>

#include "shellscope/analysis/profile_statistics.h"
#include "shellscope/spectral/run.h"

namespace shellscope::analysis {

struct CheckpointDifference {
  std::string runId, baseRunId;
  /// The common shells: the intersection of the two windows (same shells per decade).
  ShellWindow window;
  int runFirstShell = 0, baseFirstShell = 0;  ///< shell 0 of `window` in each run's own window
  bool paired = false;                         ///< resamples shared by both runs (same batches)
  int batches = 0, baseBatches = 0;
  Eigen::VectorXd delta, deltaLow, deltaHigh;  ///< [S] ΔE_α and its interval
  Eigen::VectorXd ratio, ratioLow, ratioHigh;  ///< [S] E_α(t)/E_α(base) (NaN where base is 0) and its interval
};

/// Whether the two runs used the same batches (the condition for pairing).
bool sameBatches(const Run& run, const Run& base);

/// The difference of `run` from `base`. Throws std::invalid_argument when their shells differ in
/// shells per decade or their windows do not overlap.
CheckpointDifference checkpointDifference(const Run& run, const Run& base, const AnalysisOptions& options);

}  // namespace shellscope::analysis
