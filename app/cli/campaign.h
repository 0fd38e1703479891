#pragma once
// compute as a campaign over ranks or shards, merge, and the progress info prints
// (docs/cluster.md). The numbers come from the engine's items and core's partial sessions.

#include <ostream>
#include <string>
#include <vector>

#include "cli/rank_world.h"
#include "shellscope/engine/compute.h"

namespace shellscope::cli {

struct CampaignOptions {
  RankInfo world;
  bool merge = true;  ///< merge into the target once every item is done
};

/// Computes this rank's share of the missing items into its partial session beside `out`, item
/// by item, then merges when the campaign is complete (rank 0 after a barrier under MPI; the
/// rank that finds it complete otherwise). Exit status: 0, 1 when an item failed or a merge left
/// checkpoints incomplete, 130 when cancelled.
int computeCampaign(ComputeSettings settings, const std::string& out, const CampaignOptions& options);

/// Merges `parts` into `out` under a lock beside it (concurrent merges wait), printing what was
/// added and what is incomplete. Returns 0, or 1 when a checkpoint is incomplete.
int mergeAndReport(const std::vector<std::string>& parts, const std::string& out, std::ostream& log);

/// Prints the progress of every campaign whose partial sessions lie beside `target`; returns how
/// many there were.
int printCampaignProgress(std::ostream& out, const std::string& target);

}  // namespace shellscope::cli
