#pragma once
// A campaign: the work items (checkpoint × batch) of one compute, spread over ranks and gathered
// again (docs/cluster.md). Items are independent (spectral/run.h), so any split gives the same
// runs; the split only decides when the ranks finish, so it balances their cost.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shellscope/spectral/shell_grid.h"

namespace shellscope {

/// What every rank of a campaign agrees on, stored in each partial session (/campaign).
struct CampaignPlan {
  std::string key;                       ///< 16 hex digits of SHA-256(settings): names the campaign
  std::string settings;                  ///< the settings that decide the numbers, one "key=value" a line
  std::vector<std::string> checkpoints;  ///< the checkpoints (labels), in order
  std::int64_t batches = 0;              ///< items per checkpoint: batches 0 .. batches-1
  ShellWindowPolicy window;              ///< the shell window the merged runs are assembled with

  std::int64_t itemCount() const { return static_cast<std::int64_t>(checkpoints.size()) * batches; }
  /// `settings` hashed into `key`.
  static std::string keyOf(const std::string& settings);
};

/// One work item: batch `batch` of checkpoint `checkpoint`, with its cost (seconds or any unit
/// common to all items of a list).
struct WorkItem {
  std::int64_t checkpoint = 0;
  std::int64_t batch = 0;
  double cost = 1.0;
  bool operator<(const WorkItem& other) const {
    return checkpoint != other.checkpoint ? checkpoint < other.checkpoint : batch < other.batch;
  }
  bool operator==(const WorkItem& other) const { return checkpoint == other.checkpoint && batch == other.batch; }
};

/// Splits `items` (in their order) into `ranks` contiguous runs of nearly equal total cost: rank
/// r gets the items whose cost midpoint lies in [r, r+1) · total/ranks. Contiguous, so a rank
/// loads few checkpoints; each rank's cost differs from total/ranks by at most the dearest item.
/// Throws std::invalid_argument for ranks < 1 or a negative cost.
std::vector<std::vector<WorkItem>> assignItems(const std::vector<WorkItem>& items, int ranks);

/// Costs from measurements: items of a checkpoint with measured seconds (mean over its done
/// items) cost that; the others their estimate scaled by Σ measured / Σ estimated over the
/// measured checkpoints (unchanged when nothing is measured).
std::vector<WorkItem> measuredCosts(std::vector<WorkItem> items, const std::map<std::int64_t, double>& secondsPerItem);

}  // namespace shellscope
