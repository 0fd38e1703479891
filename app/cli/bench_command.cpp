#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/benchmark.h"
#include "shellscope/runtime.h"

namespace shellscope::cli {

namespace {
std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item.rfind("builtin:", 0) == 0 ? item : "builtin:" + item);
  }
  return items;
}
}  // namespace

int benchCommand(const Arguments& args) {
  CommandLine cl("bench", "bench [--models a,b,...] [--batch-size B] [--seq-len L] [--repeats N]",
                 "Times one operator product M.u against a plain forward+backward pass on the same batch, for\n"
                 "both JVP methods, and prints the ratios (medians of N repeats after a warm-up).",
                 {
                     {"models", "LIST", "built-in models", "tiny-lm,small-lm,base-lm"},
                     {"batch-size", "B", "windows per batch", "4"},
                     {"seq-len", "L", "tokens per window", "128"},
                     {"repeats", "N", "timed repeats per figure", "7"},
                     {"dtype", "TYPE", "float32 | float64", "float32"},
                     {"device", "DEV", "auto | cpu | cuda", "cpu"},
                     {"threads", "N", "CPU threads, 0 = all cores", "0"},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  OperatorBenchmarkOptions options;
  options.models = splitList(cl.value("models"));
  options.batchSize = cl.intValue("batch-size");
  options.seqLen = cl.intValue("seq-len");
  options.repeats = cl.intValue("repeats");
  options.dtype = parseDType(cl.value("dtype"));
  options.device = parseDevice(cl.value("device"));
  options.threads = cl.intValue("threads");
  if (options.repeats < 1) throw UsageError("--repeats must be at least 1");

  std::vector<OperatorBenchmarkResult> results;
  {
    TerminalProgress progress;
    try {
      results = runOperatorBenchmark(options, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled\n";
      return kExitCancelled;
    }
  }
  std::cout << versionLine() << "\n";
  std::cout << "batch " << options.batchSize << " x " << options.seqLen << " tokens, " << toString(options.dtype)
            << ", median of " << options.repeats << " (milliseconds)\n\n";
  std::printf("%-18s %9s %6s %8s %8s %8s %8s %8s %8s %8s | %8s %8s\n", "model", "params", "n", "fwd", "fwd+bwd",
              "vjp", "jvp-fwd", "jvp-dbl", "Mu-fwd", "Mu-dbl", "ratio-fwd", "ratio-dbl");
  for (const auto& r : results) {
    std::printf("%-18s %9lld %6lld %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f | %8.2fx %8.2fx\n", r.model.c_str(),
                static_cast<long long>(r.nParams), static_cast<long long>(r.nPoints), 1e3 * r.forward,
                1e3 * r.forwardBackward, 1e3 * r.vjp, 1e3 * r.jvpForwardMode, 1e3 * r.jvpDoubleBackward,
                1e3 * r.productForwardMode, 1e3 * r.productDoubleBackward, r.productForwardMode / r.forwardBackward,
                r.productDoubleBackward / r.forwardBackward);
  }
  std::printf("\nratio = time per M.u product / time per forward+backward on the same batch.\n"
              "The double-backward JVP also needs a one-off graph build per batch:");
  for (const auto& r : results) std::printf(" %s %.1f ms;", r.model.c_str(), 1e3 * r.doubleBackwardSetup);
  std::printf("\n");
  return 0;
}

}  // namespace shellscope::cli
