// Partial sessions of a campaign (one per rank: finished items as one-batch runs, the plan and the
// failures under /campaign) and their merge into ordinary runs. The merge assembles each
// checkpoint's items with assembleRun(meta, batchSpectra(items), plan.window): what one process
// computing the same items stores, bit for bit, in every per-batch and binned array.
#include "shellscope/session/campaign_file.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "hdf5_support.h"
#include "run_group.h"

namespace shellscope {

namespace fs = std::filesystem;
using namespace hdf5;

namespace {

using ItemKey = std::pair<std::int64_t, std::int64_t>;  // (checkpoint, batch)

struct PartContent {
  CampaignPlan plan;
  std::int64_t rank = 0, ranks = 1;
  Session session;
  std::vector<ItemFailure> failures;
};

std::string folderOf(const std::string& path) { return fs::absolute(path).lexically_normal().parent_path().string(); }

void writePlan(H5::H5File& file, const CampaignPlan& plan, int rank, int ranks) {
  H5::Group group = file.createGroup("campaign");
  writeAttribute(group, "key", plan.key);
  writeAttribute(group, "settings", plan.settings);
  writeAttribute(group, "batches", plan.batches);
  writeAttribute(group, "lambda_min", plan.window.lambdaMin);
  writeAttribute(group, "lambda_max", plan.window.lambdaMax);
  writeAttribute(group, "relative_floor", plan.window.relativeFloor);
  writeAttribute(group, "rank", static_cast<std::int64_t>(rank));
  writeAttribute(group, "ranks", static_cast<std::int64_t>(ranks));
  writeStrings(group, "checkpoints", plan.checkpoints);
  group.createGroup("failures");
}

PartContent readPartFile(const std::string& path) {
  PartContent part;
  part.session = readSession(path);  // the checksum and every run's meaning checks
  try {
    H5::H5File file = openExisting(path, H5F_ACC_RDONLY);
    if (!file.nameExists("campaign")) {
      throw SessionFileError(path, "not a partial session of a campaign (it has no /campaign group)");
    }
    GroupReader r(path, file.openGroup("campaign"), "/campaign");
    CampaignPlan& plan = part.plan;
    plan.key = r.text("key");
    plan.settings = r.text("settings");
    plan.batches = r.integer("batches");
    plan.window.lambdaMin = r.real("lambda_min");
    plan.window.lambdaMax = r.real("lambda_max");
    plan.window.relativeFloor = r.real("relative_floor");
    part.rank = r.integer("rank");
    part.ranks = r.integer("ranks");
    plan.checkpoints = r.strings("checkpoints", r.extent("checkpoints", 1)[0]);
    if (plan.key != CampaignPlan::keyOf(plan.settings)) r.fail("attribute 'key' does not match attribute 'settings'");
    if (plan.batches < 1) r.fail("attribute 'batches' must be at least 1");
    if (plan.checkpoints.empty()) r.fail("dataset 'checkpoints' is empty");
    if (part.ranks < 1 || part.rank < 0 || part.rank >= part.ranks) r.fail("attribute 'rank' is not in 0 .. ranks-1");
    if (file.nameExists("campaign/failures")) {
      H5::Group failures = file.openGroup("campaign/failures");
      for (const std::string& name : childNames(failures)) {
        GroupReader f(path, failures.openGroup(name), "/campaign/failures/" + name);
        ItemFailure failure;
        failure.checkpoint = f.integer("checkpoint");
        failure.batch = f.integer("batch");
        failure.error = f.text("error");
        failure.host = f.text("host");
        failure.rank = f.integer("rank");
        failure.at = f.text("at");
        part.failures.push_back(failure);
      }
    }
  } catch (const H5::Exception& e) {
    throw SessionFileError(path, "the campaign group is damaged (" + e.getDetailMsg() + ")");
  }
  const auto checkpoints = static_cast<std::int64_t>(part.plan.checkpoints.size());
  for (const Run& run : part.session.runs) {
    const std::string where = "/runs/" + run.id + ": ";
    if (run.provenance.campaign != part.plan.key) {
      throw SessionFileError(path, where + "is not an item of campaign " + part.plan.key);
    }
    if (run.batchCount() != 1) throw SessionFileError(path, where + "an item holds one batch, this run holds " +
                                                                std::to_string(run.batchCount()));
    if (run.provenance.checkpointIndex < 0 || run.provenance.checkpointIndex >= checkpoints ||
        run.batchIndex[0] < 0 || run.batchIndex[0] >= part.plan.batches) {
      throw SessionFileError(path, where + "item (checkpoint " + std::to_string(run.provenance.checkpointIndex) +
                                       ", batch " + std::to_string(run.batchIndex[0]) + ") is outside the campaign's " +
                                       std::to_string(checkpoints) + " x " + std::to_string(part.plan.batches) + " items");
    }
  }
  return part;
}

/// One campaign's items gathered from its parts (the first part holding an item wins).
struct Gathered {
  CampaignPlan plan;
  std::vector<std::string> parts;
  std::map<ItemKey, RunList::Pointer> items;
  std::vector<ItemFailure> failures;
};

std::map<std::string, Gathered> gather(const std::vector<std::string>& parts) {
  std::map<std::string, Gathered> campaigns;
  std::vector<std::string> sorted = parts;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const std::string& path : sorted) {
    PartContent part = readPartFile(path);
    Gathered& g = campaigns[part.plan.key];
    if (g.parts.empty()) {
      g.plan = part.plan;
    } else if (g.plan.settings != part.plan.settings || g.plan.checkpoints != part.plan.checkpoints ||
               g.plan.batches != part.plan.batches) {
      throw SessionFileError(path, "has campaign key " + part.plan.key + " like " + g.parts.front() +
                                       " but another plan (settings, checkpoints or batches differ)");
    }
    g.parts.push_back(path);
    for (std::size_t i = 0; i < part.session.runs.size(); ++i) {
      const Run& run = part.session.runs[i];
      g.items.emplace(ItemKey{run.provenance.checkpointIndex, run.batchIndex[0]}, part.session.runs.pointer(i));
    }
    g.failures.insert(g.failures.end(), part.failures.begin(), part.failures.end());
  }
  return campaigns;
}

/// The target's runs that a merge of campaign `key` wrote, by checkpoint index.
std::map<std::int64_t, const Run*> mergedRuns(const Session& target, const std::string& key) {
  std::map<std::int64_t, const Run*> runs;
  for (const Run& run : target.runs) {
    if (run.provenance.campaign == key) runs.emplace(run.provenance.checkpointIndex, &run);
  }
  return runs;
}

Session readTarget(const std::string& target) {
  std::error_code error;
  return fs::exists(target, error) ? readSession(target) : Session{};
}

}  // namespace

std::string partPath(const std::string& target, const std::string& key, int rank, int ranks) {
  const fs::path path(target);
  return (path.parent_path() / (path.filename().string() + ".part-" + key + "-" + std::to_string(rank) + "of" +
                                std::to_string(ranks) + ".h5"))
      .string();
}

std::vector<std::string> findParts(const std::string& target) {
  const fs::path path(target);
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string prefix = path.filename().string() + ".part-";
  std::vector<std::string> parts;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() > 3 && name.compare(name.size() - 3, 3, ".h5") == 0) {
      parts.push_back((path.parent_path() / name).string());
    }
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

void openPart(const std::string& path, const CampaignPlan& plan, int rank, int ranks) {
  std::error_code error;
  if (fs::exists(path, error)) {
    const PartContent part = readPartFile(path);
    if (part.plan.key != plan.key) {
      throw SessionFileError(path, "belongs to campaign " + part.plan.key + ", not to this one (" + plan.key + ")");
    }
    if (part.rank != rank || part.ranks != ranks) {
      throw SessionFileError(path, "is rank " + std::to_string(part.rank) + " of " + std::to_string(part.ranks) +
                                       ", not " + std::to_string(rank) + " of " + std::to_string(ranks));
    }
    return;
  }
  silenceHdf5();
  requireWritableDirectory(path);
  replaceThroughStaging(path, [&](const std::string& staging) {
    writeSession(staging, Session{});
    editAtomically(staging, "start the partial session", [&](H5::H5File& file) { writePlan(file, plan, rank, ranks); }, {});
  });
}

void addItem(const std::string& path, Run item, const BeforeCommitHook& hook) {
  std::vector<Run> items;
  items.push_back(std::move(item));
  addItems(path, std::move(items), hook);
}

void addItems(const std::string& path, std::vector<Run> items, const BeforeCommitHook& hook) {
  for (const Run& item : items) {
    if (item.provenance.empty() || item.batchCount() != 1) {
      throw std::invalid_argument(path + ": an item is a one-batch run with its provenance");
    }
  }
  silenceHdf5();
  editAtomically(
      path, "add an item to the partial session",
      [&](H5::H5File& file) {
        H5::Group runs = file.openGroup("runs");
        int next = std::stoi(nextNumberedChild(file, "runs", "run").substr(4));  // "run-NNNN"
        for (Run& item : items) {
          char id[32];
          std::snprintf(id, sizeof id, "run-%04d", next++);
          item.id = id;
          writeRun(runs, item, folderOf(path));
        }
      },
      hook);
}

void addFailure(const std::string& path, const ItemFailure& failure) {
  silenceHdf5();
  editAtomically(
      path, "record a failed item",
      [&](H5::H5File& file) {
        H5::Group failures = file.openGroup("campaign/failures");
        H5::Group group = failures.createGroup(nextNumberedChild(file, "campaign/failures", "failure"));
        writeAttribute(group, "checkpoint", failure.checkpoint);
        writeAttribute(group, "batch", failure.batch);
        writeAttribute(group, "error", failure.error);
        writeAttribute(group, "host", failure.host);
        writeAttribute(group, "rank", failure.rank);
        writeAttribute(group, "at", failure.at);
      },
      {});
}

namespace {

/// Where campaign `g` stands, with `merged` (the target's runs) supplying merged items.
CampaignProgress progressOf(const Gathered& g, const Session& merged) {
  CampaignProgress p;
  p.plan = g.plan;
  p.parts = g.parts;
  const std::map<std::int64_t, const Run*> inTarget = mergedRuns(merged, g.plan.key);
  std::map<ItemKey, ItemFailure> lastFailure;
  for (const ItemFailure& f : g.failures) {
    auto [at, fresh] = lastFailure.emplace(ItemKey{f.checkpoint, f.batch}, f);
    if (!fresh && at->second.at <= f.at) at->second = f;
  }
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(g.plan.checkpoints.size()); ++c) {
    const auto run = inTarget.find(c);
    for (std::int64_t b = 0; b < g.plan.batches; ++b) {
      const auto item = g.items.find({c, b});
      if (run != inTarget.end() && b < run->second->batchCount()) {
        p.done.push_back({c, b, run->second->batchSeconds(b)});
        ++p.merged;
      } else if (item != g.items.end()) {
        p.done.push_back({c, b, item->second->batchSeconds(0)});
      } else {
        p.missing.push_back({c, b, 0.0});
        const auto failed = lastFailure.find({c, b});
        if (failed != lastFailure.end()) p.failures.push_back(failed->second);
      }
    }
  }
  return p;
}

}  // namespace

std::vector<CampaignProgress> campaignProgress(const std::vector<std::string>& parts, const std::string& target) {
  const Session merged = readTarget(target);
  std::vector<CampaignProgress> progress;
  for (const auto& [key, g] : gather(parts)) progress.push_back(progressOf(g, merged));
  return progress;
}

CampaignProgress campaignProgress(const CampaignPlan& plan, const std::vector<std::string>& parts, const std::string& target) {
  std::map<std::string, Gathered> campaigns = gather(parts);
  const auto found = campaigns.find(plan.key);
  Gathered none;
  none.plan = plan;
  return progressOf(found != campaigns.end() ? found->second : none, readTarget(target));
}

MergeResult mergeParts(const std::vector<std::string>& parts, const std::string& target, const BeforeCommitHook& hook) {
  const std::map<std::string, Gathered> campaigns = gather(parts);
  const Session existing = readTarget(target);
  MergeResult result;
  std::vector<Run> runs;
  for (const auto& [key, g] : campaigns) {
    const std::map<std::int64_t, const Run*> inTarget = mergedRuns(existing, key);
    for (std::int64_t c = 0; c < static_cast<std::int64_t>(g.plan.checkpoints.size()); ++c) {
      if (inTarget.count(c)) {
        ++result.alreadyMerged;
        continue;
      }
      std::vector<RunList::Pointer> items;
      for (std::int64_t b = 0; b < g.plan.batches; ++b) {
        const auto item = g.items.find({c, b});
        if (item != g.items.end()) items.push_back(item->second);
      }
      if (static_cast<std::int64_t>(items.size()) < g.plan.batches) {
        result.incomplete.push_back(g.plan.checkpoints[static_cast<std::size_t>(c)] + ": " + std::to_string(items.size()) +
                                    " of " + std::to_string(g.plan.batches) + " batches");
        continue;
      }
      std::vector<BatchSpectrum> spectra;
      ItemProvenance provenance;
      provenance.campaign = key;
      provenance.checkpointIndex = c;
      RunMetadata meta = items.front()->meta;
      meta.computeSeconds = 0.0;
      for (const RunList::Pointer& item : items) {
        spectra.push_back(batchSpectra(*item).front());
        provenance.host.push_back(item->provenance.host.front());
        provenance.rank.push_back(item->provenance.rank.front());
        provenance.device.push_back(item->provenance.device.front());
        meta.computeSeconds += item->meta.computeSeconds;
      }
      Run run = assembleRun(meta, std::move(spectra), g.plan.window);
      run.provenance = std::move(provenance);
      runs.push_back(std::move(run));
    }
  }
  if (!runs.empty()) result.added = appendRuns(target, std::move(runs), hook);
  return result;
}

}  // namespace shellscope
