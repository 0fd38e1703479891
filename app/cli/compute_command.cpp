#include <filesystem>
#include <iostream>

#include "cli/campaign.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/compute_options.h"
#include "cli/session_summary.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/compute.h"
#include "shellscope/session/session_file.h"

namespace shellscope::cli {

namespace {

/// A campaign's compute on this rank; under MPI a rank that fails stops the others.
int runCampaign(const ComputeSettings& settings, const std::string& out, const CampaignOptions& options) {
  int status = 0;
  try {
    status = computeCampaign(settings, out, options);
  } catch (const std::exception& e) {
    if (!options.world.mpi) throw;
    std::cerr << "shellscope-cli compute: rank " << options.world.rank << ": error: " << e.what() << "\n";
    abortWorld(options.world, 1);
  }
  finalizeMpi();
  return status;
}

}  // namespace

int computeCommand(const Arguments& args) {
  std::string families;
  for (const std::string& family : modelFamilies()) families += (families.empty() ? "" : ", ") + family;
  CommandLine cl("compute", "compute --model PATH [--model PATH ...] [--data PATH] --out SESSION.h5 [options]",
                 "Computes shell energies for each model (one run per checkpoint) and appends the runs to the\n"
                 "session file (created when missing). A model is a Hugging Face checkpoint folder of a model\n"
                 "family this build knows (model_type " + families + "), a folder of step folders (step1000/,\n"
                 "checkpoint-1000/) or a Hugging Face cache folder (models--org--name), computed in step\n"
                 "order, or a built-in:\n"
                 "builtin:tiny-lm, builtin:small-lm, builtin:base-lm (GPT-NeoX LMs on a Markov token stream)\n"
                 "and builtin:mlp (MSE regression); with a built-in model --data may be left out and its own\n"
                 "synthetic data is used.");
  ComputeSettings settings;
  std::string out;
  addModelAndDataOptions(cl, settings);
  addHeldOutOptions(cl, settings);
  addBatchOptions(cl, settings.batches, settings.batchSize, settings.seqLen);
  addSpectrumOptions(cl, settings);
  addRuntimeOptions(cl, settings.device, settings.dtype, settings.threads, &settings.deviceIndex);
  cl.option("seed", "N", "seed of built-in models and their data", settings.seed).setting("seed");
  cl.option("out", "SESSION.h5", "session file to append to", out);
  std::string shard;
  bool resume = false, noMerge = false;
  cl.option("shard", "K/N",
            "compute shard K of N (from 0) of the campaign's (checkpoint, batch) items into a partial session\n"
            "beside --out, then merge when all are done (docs/cluster.md); under mpirun/srun the ranks split\n"
            "the items without it",
            shard)
      .defaultText("");
  cl.flag("resume", "a campaign in this one process: compute only the items its partial sessions lack", resume);
  cl.flag("no-merge", "campaigns: leave the partial sessions for `merge` even when every item is done", noMerge);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  cl.require("model");
  cl.require("out");
  settings.validate();
  // Fail before computing when the session cannot take the runs (corrupt, foreign, missing folder).
  if (std::filesystem::exists(out)) readSession(out);
  const std::filesystem::path folder = std::filesystem::path(out).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw std::runtime_error(out + ": directory '" + folder.string() + "' does not exist");
  }

  const RankInfo world = cl.has("shard") ? parseShard(shard) : detectRank();
  if (world.size > 1 || resume || cl.has("shard")) return runCampaign(settings, out, {world, !noMerge});

  std::vector<Run> runs;
  {
    TerminalProgress progress;
    try {
      runs = computeRuns(settings, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled: " << out << " was not modified\n";
      return kExitCancelled;
    }
  }
  const std::vector<std::string> ids = appendRuns(out, std::move(runs));
  const Session session = readSession(out);
  std::cout << "added " << ids.size() << " run(s) to " << out << "\n";
  Session added;
  for (const auto& id : ids) added.runs.push_back(*session.findRun(id));
  printSessionSummary(std::cout, out, added);
  return 0;
}

}  // namespace shellscope::cli
