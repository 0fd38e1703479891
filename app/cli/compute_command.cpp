#include <filesystem>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/session_summary.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/compute.h"
#include "shellscope/session/session_file.h"

namespace shellscope::cli {

int computeCommand(const Arguments& args) {
  CommandLine cl("compute", "compute --model PATH [--model PATH ...] [--data PATH] --out SESSION.h5 [options]",
                 "Computes shell energies for each model (one run per checkpoint) and appends the runs to the\n"
                 "session file (created when missing). A model is a Hugging Face GPT-NeoX checkpoint folder, a\n"
                 "folder of step folders (step1000/, checkpoint-1000/) or a Hugging Face cache folder\n"
                 "(models--org--name), computed in step order, or a built-in: builtin:tiny-lm, builtin:small-lm,\n"
                 "builtin:base-lm (GPT-NeoX LMs on a Markov token stream) and builtin:mlp (MSE regression);\n"
                 "with a built-in model --data may be left out and its own synthetic data is used.",
                 {
                     {"model", "PATH", "checkpoint folder or built-in model", "", true},
                     {"data", "PATH", "token data: MMIDIDX prefix/.bin/.idx, .npy, .txt, or raw tokens", ""},
                     {"data-dtype", "TYPE", "dtype of raw token files: u16 | u32 | i32 | i64", ""},
                     {"tokenizer", "FILE", "tokenizer.json for text data (default: the checkpoint's)", ""},
                     {"pythia-step", "S", "windows from rows S*1024.. of 2049-token samples (Pythia's training order)", ""},
                     {"batches", "N", "number of batches", "8"},
                     {"batch-size", "B", "windows per batch", "4"},
                     {"seq-len", "L", "tokens per window (sample points per window)", "64"},
                     {"lanczos-steps", "M", "Lanczos steps m", "64"},
                     {"lanczos-mode", "MODE", "full | plain | golub-kahan", "full"},
                     {"lanczos-tol", "X", "relative breakdown tolerance (default by dtype: 1e-6 / 1e-12)", ""},
                     {"shells-per-decade", "S", "log shells per decade of lambda", "4"},
                     {"lambda-min", "X", "fixed lower end of the shell window (default: automatic)", ""},
                     {"lambda-max", "X", "fixed upper end of the shell window (default: automatic)", ""},
                     {"relative-floor", "X", "automatic window floor relative to the largest Ritz value", ""},
                     {"device", "DEV", "auto | cpu | cuda", "auto"},
                     {"dtype", "TYPE", "float32 | float64", "float32"},
                     {"jvp", "METHOD", "forward | forward-ad | double-backward (see docs/engine.md)", "forward"},
                     {"seed", "N", "seed of built-in models and their data", "0"},
                     {"threads", "N", "CPU threads, 0 = all cores", "0"},
                     {"out", "SESSION.h5", "session file to append to", ""},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  if (!cl.positionals().empty()) throw UsageError("unexpected argument '" + cl.positionals().front() + "'");
  ComputeSettings settings;
  settings.models = cl.values("model");
  if (settings.models.empty()) cl.required("model");
  const std::string out = cl.required("out");
  settings.data = cl.value("data");
  settings.dataDtype = cl.value("data-dtype");
  settings.tokenizer = cl.value("tokenizer");
  if (cl.has("pythia-step")) settings.trainingStepRows = cl.intValue("pythia-step");
  settings.batches = cl.intValue("batches");
  settings.batchSize = cl.intValue("batch-size");
  settings.seqLen = cl.intValue("seq-len");
  settings.lanczosSteps = cl.intValue("lanczos-steps");
  settings.lanczosMode = parseLanczosMode(cl.value("lanczos-mode"));
  if (cl.has("lanczos-tol")) settings.lanczosTolerance = cl.doubleValue("lanczos-tol");
  settings.shellsPerDecade = cl.intValue("shells-per-decade");
  if (cl.has("lambda-min")) settings.lambdaMin = cl.doubleValue("lambda-min");
  if (cl.has("lambda-max")) settings.lambdaMax = cl.doubleValue("lambda-max");
  if (cl.has("relative-floor")) settings.relativeFloor = cl.doubleValue("relative-floor");
  settings.device = parseDevice(cl.value("device"));
  settings.dtype = parseDType(cl.value("dtype"));
  settings.jvpMethod = parseJvpMethod(cl.value("jvp"));
  settings.seed = cl.unsignedValue("seed");
  settings.threads = cl.intValue("threads");
  settings.validate();
  // Fail before computing when the session cannot take the runs (corrupt, foreign, missing folder).
  if (std::filesystem::exists(out)) readSession(out);
  const std::filesystem::path folder = std::filesystem::path(out).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw std::runtime_error(out + ": directory '" + folder.string() + "' does not exist");
  }

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
