#pragma once
// A session: the runs a user has computed, as held in memory and saved in one HDF5 file.

#include <string>
#include <vector>

#include "shellscope/run.h"

namespace shellscope {

struct Session {
  std::vector<Run> runs;

  /// The run with this id, or nullptr.
  const Run* findRun(const std::string& id) const;
  /// A run id not used yet: "run-0001", "run-0002", ... (one more than the largest in use).
  std::string nextRunId() const;
  /// Adds a run, giving it a fresh id when it has none or a taken one; returns the id.
  std::string addRun(Run run);
};

}  // namespace shellscope
