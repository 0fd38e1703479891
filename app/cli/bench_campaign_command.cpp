// shellscope-cli bench-campaign: what a campaign costs beyond its items (writing items into the
// partial sessions, merging a paper-sized session) and a projection of the paper's campaign on N
// devices from a measured per-item time. Prints figures; asserts nothing (timings are not tests).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include <unistd.h>

#include <algorithm>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/base/progress.h"
#include "shellscope/session/campaign_file.h"

namespace shellscope::cli {

namespace {

/// Pythia's parameter counts: the paper's three models (cost per item ∝ parameters at fixed tokens).
constexpr double kPythia70m = 70426624, kPythia410m = 405334016, kPythia6_9b = 6857302016;

/// A synthetic item with m Ritz pairs of a diagonal Jacobi matrix (weight 1 on its first value):
/// the shapes and sizes of a real item, values of no meaning.
Run syntheticItem(const CampaignPlan& plan, std::int64_t checkpoint, std::int64_t batch, int m, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> logLambda(-8.0, 2.0);
  BatchSpectrum s;
  s.batchIndex = batch;
  s.stepsTaken = m;
  s.jacobiDiagonal.resize(m);
  for (int i = 0; i < m; ++i) s.jacobiDiagonal(i) = std::pow(10.0, logLambda(rng));
  std::sort(s.jacobiDiagonal.data(), s.jacobiDiagonal.data() + m);
  s.jacobiOffDiagonal = Eigen::VectorXd::Zero(m - 1);
  s.ritzValues = s.jacobiDiagonal;
  s.ritzWeights = Eigen::VectorXd::Zero(m);
  s.ritzWeights(0) = 1.0;
  s.errorNorm2 = 10.0;
  s.loss = 3.0;
  s.nTokens = 2048;
  s.seconds = 281.0;
  RunMetadata meta;
  meta.modelName = "pythia-" + std::to_string(checkpoint / 154);
  meta.checkpoint = plan.checkpoints[static_cast<std::size_t>(checkpoint)];
  meta.step = checkpoint % 154;
  meta.observable = "lm-logprob";
  meta.device = "cuda:0";
  meta.dtype = "float32";
  meta.lanczosMode = "full";
  meta.lanczosSteps = m;
  meta.lanczosMaxSteps = m;
  meta.shellsPerDecade = 4;
  meta.batchSize = 4;
  meta.seqLen = 512;
  meta.dataSource = "synthetic";
  meta.relativeFloor = 1e-6;
  Run item = assembleRun(meta, {s}, plan.window);
  item.provenance.campaign = plan.key;
  item.provenance.checkpointIndex = checkpoint;
  item.provenance.host = {"node" + std::to_string(checkpoint % 8)};
  item.provenance.rank = {checkpoint % 8};
  item.provenance.device = {"cuda:0"};
  return item;
}

std::string hours(double seconds) {
  char text[64];
  if (seconds < 3600 * 48) {
    std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
  } else {
    std::snprintf(text, sizeof text, "%.1f days", seconds / 86400);
  }
  return text;
}

}  // namespace

int benchCampaignCommand(const Arguments& args) {
  CommandLine cl("bench-campaign", "bench-campaign [--checkpoints 462] [--batches 50] [--parts 8] [--item-seconds S]",
                 "Times what a campaign adds to its items: a paper-sized campaign of synthetic items (462\n"
                 "checkpoints = 3 models x 154, 50 batches, m = 64) written into --parts partial sessions, one more\n"
                 "item added to a full part (the per-item save), and the merge into one session. With\n"
                 "--item-seconds (a measured Pythia-70M item: 4 x 512 tokens, m = 64, on one device), projects the\n"
                 "paper's campaign (70M, 410M and 6.9B, cost per item in proportion to parameters) on N devices.");
  int checkpoints = 462, batches = 50, parts = 8, m = 64;
  double itemSeconds = 0;
  std::string dir;
  cl.option("checkpoints", "N", "checkpoints of the synthetic campaign", checkpoints);
  cl.option("batches", "N", "batches per checkpoint", batches);
  cl.option("lanczos-steps", "M", "Ritz pairs per item", m);
  cl.option("parts", "N", "partial sessions (ranks)", parts);
  cl.option("item-seconds", "S", "measured seconds of one Pythia-70M item (4 x 512 tokens, m = 64)", itemSeconds)
      .defaultText("no projection");
  cl.option("dir", "DIR", "where to write the files (a temporary folder when empty)", dir);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  if (checkpoints < 1 || batches < 1 || parts < 1 || m < 2) throw UsageError("bench-campaign: sizes must be positive (m >= 2)");
  const bool temporary = dir.empty();
  if (temporary) dir = (std::filesystem::temp_directory_path() / ("shellscope-bench-campaign-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string target = dir + "/session.h5";

  CampaignPlan plan;
  plan.settings = "bench-campaign checkpoints=" + std::to_string(checkpoints) + " batches=" + std::to_string(batches);
  plan.key = CampaignPlan::keyOf(plan.settings);
  for (int c = 0; c < checkpoints; ++c) plan.checkpoints.push_back("synthetic/checkpoint-" + std::to_string(c));
  plan.batches = batches;
  plan.window.relativeFloor = 1e-6;
  std::vector<WorkItem> items;
  for (int c = 0; c < checkpoints; ++c) {
    for (int b = 0; b < batches; ++b) items.push_back({c, b, 1.0});
  }
  const std::vector<std::vector<WorkItem>> split = assignItems(items, parts);
  std::mt19937_64 rng(1);
  std::vector<std::string> paths;
  double started = monotonicSeconds();
  for (int r = 0; r < parts; ++r) {
    paths.push_back(partPath(target, plan.key, r, parts));
    openPart(paths.back(), plan, r, parts);
    std::vector<Run> runs;
    for (const WorkItem& item : split[static_cast<std::size_t>(r)]) runs.push_back(syntheticItem(plan, item.checkpoint, item.batch, m, rng));
    addItems(paths.back(), std::move(runs));
  }
  const double writeSeconds = monotonicSeconds() - started;
  std::uintmax_t partBytes = 0;
  for (const std::string& p : paths) partBytes += std::filesystem::file_size(p);

  // One more item into a full part: what every item pays at the end of a rank's share.
  const std::string spare = dir + "/spare.h5";
  std::filesystem::copy_file(paths.front(), spare, std::filesystem::copy_options::overwrite_existing);
  started = monotonicSeconds();
  constexpr int kSpareItems = 5;
  for (int i = 0; i < kSpareItems; ++i) addItem(spare, syntheticItem(plan, 0, i, m, rng));
  const double perItemSave = (monotonicSeconds() - started) / kSpareItems;

  started = monotonicSeconds();
  const MergeResult merged = mergeParts(paths, target);
  const double mergeSeconds = monotonicSeconds() - started;

  std::printf("campaign        %d checkpoints x %d batches = %zu items, m = %d, in %d partial sessions\n", checkpoints, batches,
              items.size(), m, parts);
  std::printf("parts written   %.1f s in bulk, %.1f MiB (%.1f KiB per item)\n", writeSeconds, partBytes / 1048576.0,
              partBytes / 1024.0 / static_cast<double>(items.size()));
  std::printf("item save       %.3f s per item into a part of %zu items (atomic: copy, add, fsync, rename)\n", perItemSave,
              split.front().size());
  std::printf("merge           %.1f s: %zu runs, %.1f MiB session\n", mergeSeconds, merged.added.size(),
              std::filesystem::file_size(target) / 1048576.0);

  if (itemSeconds > 0) {
    // Cost per item ∝ parameters at fixed tokens and m; 154 checkpoints x 50 batches per model.
    const double perModel = 154.0 * 50.0;
    const double total = perModel * itemSeconds * (kPythia70m + kPythia410m + kPythia6_9b) / kPythia70m;
    std::printf("\nprojection of the paper's campaign (3 models x 154 checkpoints x 50 batches, m = 64)\n");
    std::printf("from %.1f s per Pythia-70M item; 410M x %.2f, 6.9B x %.1f per item (parameters)\n", itemSeconds,
                kPythia410m / kPythia70m, kPythia6_9b / kPythia70m);
    std::printf("%10s %16s %16s\n", "devices", "wall (ideal)", "item saves");
    for (int n : {1, 8, 64, 256, 1024}) {
      // Balanced by cost: every rank holds total/n; its part grows to 23100/n items.
      const double saves = 3 * perModel / n * perItemSave * (3 * perModel / n) / static_cast<double>(split.front().size()) / 2;
      std::printf("%10d %16s %16s\n", n, hours(total / n).c_str(), hours(saves).c_str());
    }
  }
  if (temporary) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace shellscope::cli
