#pragma once
// Text summaries of sessions and runs, shared by the info, compute and demo commands.

#include <ostream>
#include <string>

#include "shellscope/session/session.h"

namespace shellscope::cli {

/// One line per run: model, step, settings, loss, peak λ and the mass-identity residual.
void printSessionSummary(std::ostream& out, const std::string& path, const Session& session);
/// The shell table of one run with a bar per shell (log scale).
void printRunProfile(std::ostream& out, const Run& run);

}  // namespace shellscope::cli
