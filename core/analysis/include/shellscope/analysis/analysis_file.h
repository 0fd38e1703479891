#pragma once
// The analysis in the session file: /analysis holds the results with the parameters that produced
// them and a fingerprint of the data they came from, so a result whose run has changed reads back
// as stale instead of silently wrong. Statuses are stored as their text ("ok" or the message).

#include <string>

#include "shellscope/analysis/session_analysis.h"

namespace shellscope::analysis {

/// Stores the analysis in the session at `path` (replacing any earlier /analysis), atomically.
void writeAnalysis(const std::string& path, const SessionAnalysis& analysis);

/// Writes the session and its analysis to `path` in one atomic replacement (both are assembled in
/// a staging file beside it, which is then renamed over it). `keepOtherGroupsOf`: the file the
/// session was read from; every root group of it that this writes from memory (runs, training,
/// analysis) is replaced, every other one (/lab, groups of other tools) is copied over unchanged.
void writeSessionWithAnalysis(const std::string& path, const Session& session, const SessionAnalysis& analysis,
                              const std::string& keepOtherGroupsOf = {});

/// The analysis stored in `path` (empty when there is none), with stale flags set against
/// `session` (the session read from the same file).
SessionAnalysis readAnalysis(const std::string& path, const Session& session);

}  // namespace shellscope::analysis
