#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/compute_options.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/compute.h"
#include "shellscope/engine/runtime.h"

namespace shellscope::cli {

int evalCommand(const Arguments& args) {
  CommandLine cl("eval", "eval --model PATH --data PATH --batches N --batch-size B --seq-len L [--dtype float64] [--json]",
                 "Prints the mean negative log-likelihood of one checkpoint per batch (the batches compute\n"
                 "would use), to check a checkpoint against numbers already known.");
  ComputeSettings settings;
  bool json = false;
  std::string model;
  addModelAndDataOptions(cl, settings, &model);
  addBatchOptions(cl, settings.batches, settings.batchSize, settings.seqLen);
  addRuntimeOptions(cl, settings.device, settings.dtype, settings.threads);
  cl.option("seed", "N", "seed of built-in models", settings.seed).setting("seed");
  cl.flag("json", "print JSON instead of a table", json);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  cl.require("model");
  settings.models = {model};
  settings.validate();
  configureThreads(settings.threads);

  CheckpointComputation checkpoint(settings, settings.models.front());
  std::vector<BatchSpectrum> batches;
  {
    TerminalProgress progress;
    for (int b = 0; b < checkpoint.batchCount(); ++b) {
      if (progress.token().isCancelled()) {
        std::cerr << "cancelled\n";
        return kExitCancelled;
      }
      progress.token().report(double(b) / checkpoint.batchCount(), "batch " + std::to_string(b + 1));
      batches.push_back(checkpoint.evaluateBatch(b));
    }
  }
  double weighted = 0;
  std::int64_t tokens = 0;
  for (const auto& b : batches) {
    weighted += b.loss * static_cast<double>(b.nTokens);
    tokens += b.nTokens;
  }
  const double meanLoss = weighted / static_cast<double>(tokens);
  if (json) {
    nlohmann::ordered_json out = {{"loss", meanLoss}, {"batches", nlohmann::ordered_json::array()}};
    for (const auto& b : batches) {
      out["batches"].push_back(
          {{"index", b.batchIndex}, {"loss", b.loss}, {"error_norm2", b.errorNorm2}, {"n_tokens", b.nTokens}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  const RunMetadata& m = checkpoint.metadata();
  std::cout << m.modelName << " (" << m.checkpoint << "), step " << m.step << ", " << m.dtype << "\n"
            << "data " << m.dataSource << "\n"
            << std::setw(6) << "batch" << std::setw(10) << "tokens" << std::setw(14) << "loss" << std::setw(14)
            << "mean e^2" << "\n";
  for (const auto& b : batches) {
    std::cout << std::setw(6) << b.batchIndex << std::setw(10) << b.nTokens << std::setw(14) << std::setprecision(7)
              << b.loss << std::setw(14) << b.errorNorm2 << "\n";
  }
  std::cout << "mean loss over " << tokens << " tokens: " << std::setprecision(9) << meanLoss << "\n";
  return 0;
}

}  // namespace shellscope::cli
