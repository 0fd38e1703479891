#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/compute.h"
#include "shellscope/engine/runtime.h"

namespace shellscope::cli {

int evalCommand(const Arguments& args) {
  CommandLine cl("eval", "eval --model PATH --data PATH --batches N --batch-size B --seq-len L [--dtype float64] [--json]",
                 "Prints the mean negative log-likelihood of one checkpoint per batch (the batches compute\n"
                 "would use), to check a checkpoint against numbers already known.",
                 {
                     {"model", "PATH", "checkpoint folder or built-in model", ""},
                     {"data", "PATH", "token data (as for compute)", ""},
                     {"data-dtype", "TYPE", "dtype of raw token files", ""},
                     {"tokenizer", "FILE", "tokenizer.json for text data", ""},
                     {"pythia-step", "S", "windows from rows S*1024.. (Pythia's training order)", ""},
                     {"batches", "N", "number of batches", "8"},
                     {"batch-size", "B", "windows per batch", "4"},
                     {"seq-len", "L", "tokens per window", "64"},
                     {"dtype", "TYPE", "float32 | float64", "float32"},
                     {"device", "DEV", "auto | cpu | cuda", "auto"},
                     {"threads", "N", "CPU threads, 0 = all cores", "0"},
                     {"seed", "N", "seed of built-in models", "0"},
                     {"json", "", "print JSON instead of a table", ""},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  if (!cl.positionals().empty()) throw UsageError("unexpected argument '" + cl.positionals().front() + "'");
  ComputeSettings settings;
  settings.models = {cl.required("model")};
  settings.data = cl.value("data");
  settings.dataDtype = cl.value("data-dtype");
  settings.tokenizer = cl.value("tokenizer");
  if (cl.has("pythia-step")) settings.trainingStepRows = cl.intValue("pythia-step");
  settings.batches = cl.intValue("batches");
  settings.batchSize = cl.intValue("batch-size");
  settings.seqLen = cl.intValue("seq-len");
  settings.dtype = parseDType(cl.value("dtype"));
  settings.device = parseDevice(cl.value("device"));
  settings.threads = cl.intValue("threads");
  settings.seed = cl.unsignedValue("seed");
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
  if (cl.has("json")) {
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
