// compute over ranks: the plan every rank derives from the same settings, this rank's items (by
// cost: a contiguous share of the missing items), each computed and added to the rank's partial
// session at once, failures recorded, then the merge when the campaign is complete.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "cli/campaign.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/runtime.h"
#include "shellscope/engine/work_items.h"
#include "shellscope/session/campaign_file.h"

namespace shellscope::cli {

namespace {

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

/// The campaign's partial sessions beside `out`.
std::vector<std::string> partsOf(const CampaignPlan& plan, const std::string& out) {
  std::vector<std::string> parts;
  for (const std::string& part : findParts(out)) {
    if (part.find(".part-" + plan.key + "-") != std::string::npos) parts.push_back(part);
  }
  return parts;
}

/// The campaign's state: its partial sessions and the runs already merged into `out`.
CampaignProgress progressOf(const CampaignPlan& plan, const std::string& out) {
  return campaignProgress(plan, partsOf(plan, out), out);
}

/// This rank's items. Under MPI rank 0 splits the missing items by measured or estimated cost
/// and broadcasts the split; shards and ranks from the environment cannot talk, so each takes its
/// share of all items by estimated cost (the same split on every rank) and skips the done ones.
std::vector<WorkItem> myItems(const CampaignPlan& plan, const std::vector<double>& estimates, const std::string& out,
                              const RankInfo& world, std::int64_t& alreadyDone) {
  std::vector<std::int64_t> flat;  // (rank, checkpoint, batch) triples
  if (!world.mpi || world.rank == 0) {
    const CampaignProgress progress = progressOf(plan, out);
    alreadyDone = static_cast<std::int64_t>(progress.done.size());
    std::map<std::int64_t, std::pair<double, int>> measured;  // checkpoint -> (seconds, items)
    for (const WorkItem& d : progress.done) {
      measured[d.checkpoint].first += d.cost;
      ++measured[d.checkpoint].second;
    }
    std::map<std::int64_t, double> perItem;
    for (const auto& [c, m] : measured) perItem[c] = m.first / m.second;
    std::vector<WorkItem> items = world.mpi ? progress.missing : std::vector<WorkItem>{};
    if (!world.mpi) {
      for (std::int64_t c = 0; c < static_cast<std::int64_t>(plan.checkpoints.size()); ++c) {
        for (std::int64_t b = 0; b < plan.batches; ++b) items.push_back({c, b, 0.0});
      }
    }
    for (WorkItem& item : items) item.cost = estimates[static_cast<std::size_t>(item.checkpoint)];
    if (world.mpi) items = measuredCosts(items, perItem);
    const std::vector<std::vector<WorkItem>> split = assignItems(items, world.size);
    const std::set<WorkItem> done(progress.done.begin(), progress.done.end());
    for (int r = 0; r < world.size; ++r) {
      for (const WorkItem& item : split[static_cast<std::size_t>(r)]) {
        if (!done.count(item)) flat.insert(flat.end(), {r, item.checkpoint, item.batch});
      }
    }
  }
  broadcast(world, flat);
  std::vector<double> count{static_cast<double>(alreadyDone)};
  broadcast(world, count);
  alreadyDone = static_cast<std::int64_t>(count[0]);
  std::vector<WorkItem> mine;
  for (std::size_t i = 0; i + 2 < flat.size(); i += 3) {
    if (flat[i] == world.rank) mine.push_back({flat[i + 1], flat[i + 2], 0.0});
  }
  return mine;
}

struct Tally {
  std::int64_t computed = 0, failed = 0;
};

void recordFailure(const std::string& part, const WorkItem& item, const std::string& error, const RankInfo& world,
                   const std::string& host, Tally& tally) {
  std::cerr << "rank " << world.rank << ": item (checkpoint " << item.checkpoint << ", batch " << item.batch
            << ") failed: " << error << "\n";
  addFailure(part, {item.checkpoint, item.batch, error, host, world.rank, utcTimestamp()});
  ++tally.failed;
}

/// Computes `items` (sorted, grouped by checkpoint) into `part`; CancelledError passes through.
Tally computeItems(const ComputeSettings& settings, const std::vector<CheckpointEntry>& checkpoints,
                   const CampaignPlan& plan, const std::vector<WorkItem>& items, const std::string& part,
                   const RankInfo& world, const ProgressToken& progress) {
  Tally tally;
  if (items.empty()) return tally;
  const std::string host = hostName();
  const SeriesData series = openSeriesData(settings, checkpoints);
  for (std::size_t first = 0; first < items.size();) {
    std::size_t last = first;
    while (last < items.size() && items[last].checkpoint == items[first].checkpoint) ++last;
    const CheckpointEntry& entry = checkpoints[static_cast<std::size_t>(items[first].checkpoint)];
    try {
      progress.item(first, items.size()).report(0.0, "loading " + entry.label);
      CheckpointComputation checkpoint(settings, entry, series.data, series.heldOut);
      double setup = checkpoint.setupSeconds();
      for (std::size_t i = first; i < last; ++i) {
        try {
          BatchSpectrum spectrum = computeItem(checkpoint, static_cast<int>(items[i].batch), progress.item(i, items.size()));
          RunMetadata meta = checkpoint.metadata();
          meta.computeSeconds = spectrum.seconds + setup;
          setup = 0.0;  // a rank loads a checkpoint once for all its items
          Run item = assembleRun(meta, {std::move(spectrum)}, plan.window);
          item.provenance.campaign = plan.key;
          item.provenance.checkpointIndex = items[i].checkpoint;
          item.provenance.host = {host};
          item.provenance.rank = {world.rank};
          item.provenance.device = {meta.device};
          addItem(part, std::move(item));
          ++tally.computed;
        } catch (const CancelledError&) {
          throw;
        } catch (const std::exception& e) {
          recordFailure(part, items[i], e.what(), world, host, tally);
        }
      }
    } catch (const CancelledError&) {
      throw;
    } catch (const SettingError&) {
      throw;  // bad usage (no such GPU, a window longer than the context): the same for every item
    } catch (const std::exception& e) {  // the checkpoint did not load: each of its items failed
      for (std::size_t i = first; i < last; ++i) recordFailure(part, items[i], e.what(), world, host, tally);
    }
    first = last;
  }
  return tally;
}

}  // namespace

int computeCampaign(ComputeSettings settings, const std::string& out, const CampaignOptions& options) {
  const RankInfo& world = options.world;
  configureThreads(settings.threads);
  // One GPU per rank: the local rank picks it unless --device cuda:K did.
  if (settings.device != DevicePreference::Cpu && settings.deviceIndex < 0 && world.localRank >= 0) {
    const int gpus = runtimeInfo().cudaDevices;
    if (gpus > 0) settings.deviceIndex = world.localRank % gpus;
  }
  const std::vector<CheckpointEntry> checkpoints = resolveModels(settings);
  CampaignPlan plan;
  plan.settings = campaignSettingsText(settings, checkpoints);
  plan.key = CampaignPlan::keyOf(plan.settings);
  for (const CheckpointEntry& c : checkpoints) plan.checkpoints.push_back(c.path);
  plan.batches = settings.batches;
  plan.window = settings.windowPolicy();
  std::vector<double> estimates;
  for (const CheckpointEntry& c : checkpoints) estimates.push_back(estimatedItemCost(settings, c));

  std::int64_t alreadyDone = 0;
  const std::vector<WorkItem> mine = myItems(plan, estimates, out, world, alreadyDone);
  const std::string part = partPath(out, plan.key, world.rank, world.size);
  openPart(part, plan, world.rank, world.size);
  std::cout << "campaign " << plan.key << ": " << plan.itemCount() << " items (" << plan.checkpoints.size()
            << " checkpoint(s) x " << plan.batches << " batches), " << alreadyDone << " done already; rank "
            << world.rank << " of " << world.size << " (" << world.source << ") computes " << mine.size() << " into "
            << part << "\n" << std::flush;
  Tally tally;
  {
    TerminalProgress progress;
    try {
      tally = computeItems(settings, checkpoints, plan, mine, part, world, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled: the items finished so far are in " << part << " (run the command again to resume)\n";
      return kExitCancelled;
    }
  }
  std::cout << "rank " << world.rank << ": computed " << tally.computed << " item(s), " << tally.failed << " failed\n"
            << std::flush;
  int status = tally.failed > 0 ? 1 : 0;
  barrier(world);
  if (!options.merge || (world.mpi && world.rank != 0)) return status;
  const CampaignProgress progress = progressOf(plan, out);
  if (progress.merged == plan.itemCount()) {
    std::cout << "campaign " << plan.key << ": every item is merged into " << out << "\n";
    return status;
  }
  // Ranks from the environment cannot wait for each other: the one that finds nothing missing merges.
  if (!world.mpi && !progress.complete()) {
    std::cout << "campaign " << plan.key << ": " << progress.done.size() << " of " << plan.itemCount()
              << " items done; the last shard to finish merges (or: shellscope-cli merge " << out << ".part-" << plan.key
              << "-*.h5 --out " << out << ")\n";
    return status;
  }
  return std::max(status, mergeAndReport(partsOf(plan, out), out, std::cout));
}

}  // namespace shellscope::cli
