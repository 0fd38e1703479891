#pragma once
// The partial sessions of a campaign and their merge (docs/cluster.md, docs/session-format.md).
//
// A partial session is an ordinary session file beside the target,
// "<target>.part-<key>-<K>of<N>.h5": one one-batch run per finished item, with the item's
// provenance (host, rank, device; its seconds are the run's batch_seconds), and a /campaign group
// with the plan and the items that failed, with their errors. Every item is added atomically
// (temporary + rename), so a rank killed midway loses at most the item it was computing. Merging
// reads the items back (batchSpectra) and assembles each complete checkpoint as one process
// would (assembleRun): the same arrays, bit for bit.

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/session/campaign.h"
#include "shellscope/session/session_file.h"

namespace shellscope {

/// An item whose computation failed, as recorded in the partial session of the rank that tried.
struct ItemFailure {
  std::int64_t checkpoint = 0, batch = 0;
  std::string error;   ///< the error message
  std::string host;
  std::int64_t rank = 0;
  std::string at;      ///< ISO 8601 UTC
};

/// "<target>.part-<key>-<rank>of<ranks>.h5" beside `target`.
std::string partPath(const std::string& target, const std::string& key, int rank, int ranks);
/// The partial sessions beside `target` (of every campaign), sorted by name.
std::vector<std::string> findParts(const std::string& target);

/// Creates the partial session when it is missing; an existing one must be a sound partial session
/// of the same campaign (a clear error naming the file otherwise).
void openPart(const std::string& path, const CampaignPlan& plan, int rank, int ranks);
/// Adds one finished item, a one-batch run whose provenance names the campaign and checkpoint.
void addItem(const std::string& path, Run item, const BeforeCommitHook& hook = {});
/// Adds several items in one atomic save (bulk writers: benchmarks, tests).
void addItems(const std::string& path, std::vector<Run> items, const BeforeCommitHook& hook = {});
/// Records a failed item.
void addFailure(const std::string& path, const ItemFailure& failure);

/// Where a campaign stands, from its partial sessions and the runs already merged into the target.
struct CampaignProgress {
  CampaignPlan plan;
  std::vector<std::string> parts;
  std::vector<WorkItem> done;          ///< in a part or merged; cost: the item's measured seconds
  std::int64_t merged = 0;             ///< of those, items merged into the target
  std::vector<WorkItem> missing;       ///< neither, in item order
  std::vector<ItemFailure> failures;   ///< items missing whose last attempt failed (its error)
  bool complete() const { return missing.empty(); }
};

/// Every campaign that has partial sessions among `parts`, in key order; `target` (may be missing)
/// supplies the merged items. Throws SessionFileError naming a damaged or foreign part.
std::vector<CampaignProgress> campaignProgress(const std::vector<std::string>& parts, const std::string& target);
/// The progress of `plan` alone: its items in `parts` (other campaigns' parts are read, checked
/// and left out) and in `target`, which counts even when no part is left.
CampaignProgress campaignProgress(const CampaignPlan& plan, const std::vector<std::string>& parts, const std::string& target);

struct MergeResult {
  std::vector<std::string> added;        ///< ids of the runs added to the target
  std::int64_t alreadyMerged = 0;        ///< checkpoints the target held already (left as they are)
  std::vector<std::string> incomplete;   ///< "<checkpoint>: k of B batches" of checkpoints not merged
};

/// Gathers the items of `parts` into ordinary runs: every checkpoint with all its batches and not
/// yet in `target` becomes one run (per-batch arrays in batch order, identical to one process's;
/// provenance per batch), appended to `target` (created when missing) in one atomic save.
MergeResult mergeParts(const std::vector<std::string>& parts, const std::string& target,
                       const BeforeCommitHook& hook = {});

}  // namespace shellscope
