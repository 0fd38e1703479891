#pragma once
// The analysis of a whole session: every run (statistics, frontier, fits), every model's trends,
// and the alignment of consecutive model sizes at their last common step. Results are stored in
// the session under /analysis with the parameters that produced them and a fingerprint of the data
// they came from, so a result whose run has changed reads back as stale instead of silently wrong.

#include <string>
#include <vector>

#include "shellscope/analysis/trends.h"
#include "shellscope/base/progress.h"
#include "shellscope/session/session.h"

namespace shellscope::analysis {

struct SessionAnalysis {
  AnalysisOptions options;
  std::vector<RunAnalysis> runs;
  std::vector<ModelTrends> trends;
  std::vector<Alignment> alignments;

  const RunAnalysis* findRun(const std::string& runId) const;
  const ModelTrends* findTrends(const std::string& modelName) const;
};

/// A digest of the data a run's analysis depends on (its id, window and per-batch energies).
std::string runFingerprint(const Run& run);

/// Trends and alignments of a session whose runs are analysed already (`runs` in session order).
SessionAnalysis summarizeSession(const Session& session, std::vector<RunAnalysis> runs, const AnalysisOptions& options);

/// Analyses every run (progress optional; throws CancelledError when cancelled).
SessionAnalysis analyzeSession(const Session& session, const AnalysisOptions& options, ProgressToken* progress = nullptr);

/// Stores the analysis in the session at `path` (replacing any earlier /analysis), atomically.
void writeAnalysis(const std::string& path, const SessionAnalysis& analysis);

/// Writes the session and its analysis to `path` in one atomic replacement (both are assembled in
/// a staging file beside it, which is then renamed over it).
void writeSessionWithAnalysis(const std::string& path, const Session& session, const SessionAnalysis& analysis);

/// The analysis stored in `path` (empty when there is none), with stale flags set against
/// `session` (the session read from the same file).
SessionAnalysis readAnalysis(const std::string& path, const Session& session);

}  // namespace shellscope::analysis
