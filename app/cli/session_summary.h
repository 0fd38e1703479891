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
/// Where the run's checkpoint and data are (paths as given, absolute, relative to the session
/// file), their fingerprints, and whether each is found from here and unchanged.
void printRunInputs(std::ostream& out, const Run& run, const std::string& sessionPath);

}  // namespace shellscope::cli
