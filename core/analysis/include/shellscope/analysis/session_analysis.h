#pragma once
// The analysis of a whole session: every run (statistics, frontier, fits), every model's trends,
// and the alignment of consecutive model sizes at their last common step. analysis_file.h stores
// it in the session file, with a fingerprint of the data it came from.

#include <string>
#include <vector>

#include "shellscope/analysis/generalisation.h"
#include "shellscope/analysis/trends.h"
#include "shellscope/base/progress.h"
#include "shellscope/session/session.h"

namespace shellscope::analysis {

struct SessionAnalysis {
  AnalysisOptions options;
  std::vector<RunAnalysis> runs;
  std::vector<ModelTrends> trends;
  std::vector<Alignment> alignments;
  /// Runs with held-out points and each model's window (generalisation.h); written under
  /// /analysis/held_out, recomputed (not read back) by every analysis.
  std::vector<HeldOutRunAnalysis> heldOut;
  std::vector<HeldOutWindow> heldOutWindows;

  const RunAnalysis* findRun(const std::string& runId) const;
  const ModelTrends* findTrends(const std::string& modelName) const;
};

/// A digest of the data a run's analysis depends on (its id, window and per-batch energies).
std::string runFingerprint(const Run& run);

/// Trends and alignments of a session whose runs are analysed already (`runs` in session order).
SessionAnalysis summarizeSession(const Session& session, std::vector<RunAnalysis> runs, const AnalysisOptions& options);

/// Analyses every run (progress optional; throws CancelledError when cancelled).
SessionAnalysis analyzeSession(const Session& session, const AnalysisOptions& options,
                               const ProgressToken* progress = nullptr);

}  // namespace shellscope::analysis
