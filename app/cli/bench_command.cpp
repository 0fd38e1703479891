#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/compute_options.h"
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
                 "both JVP methods, and prints the ratios (medians of N repeats after a warm-up).");
  OperatorBenchmarkOptions options;
  std::string models;
  for (const std::string& m : options.models) models += (models.empty() ? "" : ",") + m.substr(std::string("builtin:").size());
  cl.option("models", "LIST", "built-in models", models);
  cl.option("batch-size", "B", "windows per batch", options.batchSize).setting("batch_size");
  cl.option("seq-len", "L", "tokens per window", options.seqLen).setting("seq_len");
  cl.option("repeats", "N", "timed repeats per figure", options.repeats);
  cl.option("lanczos-steps", "M", "steps for the end-to-end time per batch", options.lanczosSteps).setting("lanczos_steps");
  addRuntimeOptions(cl, options.device, options.dtype, options.threads);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  options.models = splitList(models);
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
                 "recorded forward pass, M.u products and a plain forward+backward; projects the paper's setting.");
  ScaleBenchmarkOptions options;
  cl.option("shape", "NAME", "model shape (see init-checkpoint)", options.shape);
  cl.option("model", "DIR", "measure this checkpoint folder instead", options.model);
  cl.option("work-dir", "DIR", "keep the generated checkpoint and tokens here (default: a temporary folder)", options.workDir);
  cl.option("batch-size", "B", "windows per batch", options.batchSize).setting("batch_size");
  cl.option("seq-len", "L", "tokens per window", options.seqLen).setting("seq_len");
  cl.option("products", "N", "products to time (median)", options.products);
  cl.option("lanczos-steps", "M", "m for the projection", options.lanczosSteps).setting("lanczos_steps");
  cl.option("batches", "N", "batches for the projection", options.batches).setting("batches");
  cl.flag("recompute-activations", "products run the layers again from their kept inputs (as compute --recompute-activations)",
          options.recomputeActivations);
  cl.flag("compare-recompute",
          "measure setup, product time and memory with activations recomputed and kept, in this process, "
          "and print the ratios",
          options.compareRecompute);
  addRuntimeOptions(cl, options.device, options.dtype, options.threads);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  options.products = std::max(1, options.products);
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
  std::printf("batch            %d x %d = %lld tokens, %s on %s (Lanczos vectors %s)\n", options.batchSize, options.seqLen,
              static_cast<long long>(r.nPoints), toString(options.dtype).c_str(), r.device.c_str(), kLanczosVectorDType);
  std::printf("load             %8.2f s\n", r.loadSeconds);
  std::printf("forward+backward %8.2f s  (plain autograd, the baseline)\n", r.forwardBackwardSeconds);
  std::printf("setup per batch  %8.2f s  (recorded forward pass + output-layer block K)\n", r.setupSeconds);
  std::printf("product M.u      %8.2f s  (%.2fx forward+backward)\n", r.productSeconds,
              r.productSeconds / r.forwardBackwardSeconds);
  std::printf("peak memory      %8.2f GiB (resident, through load, setup and products; %.2f GiB after load)\n",
              r.peakMemoryGiB, r.loadedMemoryGiB);
  for (const ScaleBenchmarkPhase& p : r.phases) {
    std::printf("activations %-10s setup %8.2f s, product %8.2f s, held %6.3f GiB, peak %6.3f GiB (resident above the loaded model)\n",
                p.recomputeActivations ? "recomputed" : "kept", p.setupSeconds, p.productSeconds, p.heldMemoryGiB,
                p.peakMemoryGiB);
  }
  if (r.phases.size() == 2) {
    const ScaleBenchmarkPhase &recomputed = r.phases[0], &kept = r.phases[1];
    std::printf("recomputed/kept  setup %.2fx, product %.2fx, held memory %.2fx, peak memory %.2fx\n",
                recomputed.setupSeconds / kept.setupSeconds, recomputed.productSeconds / kept.productSeconds,
                recomputed.heldMemoryGiB / kept.heldMemoryGiB, recomputed.peakMemoryGiB / kept.peakMemoryGiB);
  }
  std::printf("one batch, m=%d  %8.1f s  (%.1f min)\n", options.lanczosSteps, r.projectedBatchSeconds,
              r.projectedBatchSeconds / 60);
  std::printf("%d batches       %8.1f h\n", options.batches, r.projectedRunSeconds / 3600);
  return 0;
}

}  // namespace shellscope::cli
