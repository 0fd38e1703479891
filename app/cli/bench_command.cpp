#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/benchmark.h"
#include "shellscope/engine/runtime.h"

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
                     {"lanczos-steps", "M", "steps for the end-to-end time per batch", "64"},
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
  options.lanczosSteps = cl.intValue("lanczos-steps");
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
            << ", median of " << options.repeats << " rounds (milliseconds)\n\n";
  std::printf("%-18s %9s %6s %8s %8s %8s | %-16s %8s %8s %8s %8s | %10s %8s\n", "model", "params", "n", "fwd",
              "fwd+bwd", "vjp", "jvp method", "setup", "jvp", "M.u", "ratio", "batch (s)", "ratio");
  for (const auto& r : results) {
    for (size_t m = 0; m < r.methods.size(); ++m) {
      const JvpMethodTiming& t = r.methods[m];
      if (m == 0) {
        std::printf("%-18s %9lld %6lld %8.2f %8.2f %8.2f", r.model.c_str(), static_cast<long long>(r.nParams),
                    static_cast<long long>(r.nPoints), 1e3 * r.forward, 1e3 * r.forwardBackward, 1e3 * r.vjp);
      } else {
        std::printf("%-18s %9s %6s %8s %8s %8s", "", "", "", "", "", "");
      }
      std::printf(" | %-16s %8.2f %8.2f %8.2f %7.2fx | %10.2f %7.2fx\n", toString(t.method).c_str(), 1e3 * t.setup,
                  1e3 * t.jvp, 1e3 * t.product, t.ratio, t.batchSeconds,
                  t.batchSeconds / (options.lanczosSteps * r.forwardBackward));
    }
  }
  std::printf("\nratio = time per product M.u / time per forward+backward on the same batch: the median over\n"
              "rounds that time every operation in turn, so drift in machine speed cancels. setup = one-off\n"
              "work per batch beyond the forward pass (double-backward: building the graph of w -> J^T w).\n"
              "batch = one batch end to end with m = %d steps (forward + setup + m products); its ratio is to\n"
              "m forward+backward passes.\n",
              options.lanczosSteps);
  return 0;
}

int benchScaleCommand(const Arguments& args) {
  CommandLine cl("bench-scale", "bench-scale [--shape pythia-70m | --model DIR] [--batch-size 4] [--seq-len 512]",
                 "Measures one batch at a real model's shape: writes a randomly initialised checkpoint (fp16\n"
                 "safetensors, as Pythia's), loads it, reads token windows from an MMIDIDX file, and times the\n"
                 "recorded forward pass, M.u products and a plain forward+backward; projects the paper's setting.",
                 {
                     {"shape", "NAME", "model shape (see init-checkpoint)", "pythia-70m"},
                     {"model", "DIR", "measure this checkpoint folder instead", ""},
                     {"batch-size", "B", "windows per batch", "4"},
                     {"seq-len", "L", "tokens per window", "512"},
                     {"products", "N", "products to time (median)", "3"},
                     {"lanczos-steps", "M", "m for the projection", "64"},
                     {"batches", "N", "batches for the projection", "50"},
                     {"dtype", "TYPE", "float32 | float64", "float32"},
                     {"threads", "N", "CPU threads, 0 = all cores", "0"},
                 });
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  ScaleBenchmarkOptions options;
  options.shape = cl.value("shape");
  options.model = cl.value("model");
  options.batchSize = cl.intValue("batch-size");
  options.seqLen = cl.intValue("seq-len");
  options.products = std::max(1, cl.intValue("products"));
  options.lanczosSteps = cl.intValue("lanczos-steps");
  options.batches = cl.intValue("batches");
  options.dtype = parseDType(cl.value("dtype"));
  options.threads = cl.intValue("threads");
  ScaleBenchmarkResult r;
  {
    TerminalProgress progress;
    try {
      r = runScaleBenchmark(options, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled\n";
      return kExitCancelled;
    }
  }
  std::cout << versionLine() << "\n";
  std::printf("model            %s (%lld parameters, stored %s)\n", r.model.c_str(), static_cast<long long>(r.nParams),
              r.storedDtype.c_str());
  std::printf("batch            %d x %d = %lld tokens, %s\n", options.batchSize, options.seqLen,
              static_cast<long long>(r.nPoints), toString(options.dtype).c_str());
  std::printf("load             %8.2f s\n", r.loadSeconds);
  std::printf("forward+backward %8.2f s  (plain autograd, the baseline)\n", r.forwardBackwardSeconds);
  std::printf("setup per batch  %8.2f s  (recorded forward pass + output-layer block K)\n", r.setupSeconds);
  std::printf("product M.u      %8.2f s  (%.2fx forward+backward)\n", r.productSeconds,
              r.productSeconds / r.forwardBackwardSeconds);
  std::printf("peak memory      %8.2f GiB (resident, through load, setup and products)\n", r.peakMemoryGiB);
  std::printf("one batch, m=%d  %8.1f s  (%.1f min)\n", options.lanczosSteps, r.projectedBatchSeconds,
              r.projectedBatchSeconds / 60);
  std::printf("%d batches       %8.1f h\n", options.batches, r.projectedRunSeconds / 3600);
  return 0;
}

}  // namespace shellscope::cli
