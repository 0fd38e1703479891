#pragma once
// Plain CSV export of a session, for spreadsheets and scripts that do not read HDF5.

#include <string>
#include <vector>

#include "shellscope/session/session.h"

namespace shellscope {

/// Writes into `directory` (created if needed): runs.csv (one row of attributes per run) and, per
/// run, <id>.shells.csv (edges, centre, mean and per-batch energies), <id>.batches.csv (per-batch
/// scalars) and <id>.ritz.csv (every Ritz value, weight and mass). Returns the files written.
std::vector<std::string> exportSessionCsv(const Session& session, const std::string& directory);

}  // namespace shellscope
