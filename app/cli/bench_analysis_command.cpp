// bench-analysis: bias and coverage of the frontier estimators on synthetic profiles with a known
// truth (analysis/validation.h), the table of docs/analysis.md.
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/analysis/validation.h"

namespace shellscope::cli {

namespace {

std::string cell(const analysis::EstimateCheck& c) {
  char text[64];
  if (c.estimated == 0) return "         -              -  ";
  std::snprintf(text, sizeof text, "%+8.4f %7.4f %4d/%-4d", c.bias, c.spread, c.covered, c.estimated);
  return text;
}

}  // namespace

int benchAnalysisCommand(const Arguments& args) {
  CommandLine cl("bench-analysis", "bench-analysis [--trials 200] [--bootstrap 200] [--batches 16] [--noise 0.15]",
                 "Bias and coverage of the frontier λ*, the cut-off and the width on synthetic profiles with a\n"
                 "known truth: per shape, batch count and noise level, seeded trials of per-batch log-normal\n"
                 "noise at the shell centres (4 per decade), each analysed with its bootstrap interval.\n"
                 "Columns per estimate: bias and spread (decades) of estimate - truth, and how many of the\n"
                 "trials' intervals held the truth.");
  int trials = 200, threads = 0;
  std::string batchesText = "16", noiseText = "0.15", only;
  analysis::AnalysisOptions options;
  std::uint64_t seed = 1;
  cl.option("trials", "N", "seeded trials per configuration", trials);
  cl.option("bootstrap", "N", "bootstrap resamples per trial", options.bootstrapSamples);
  cl.option("batches", "LIST", "batch counts, comma-separated", batchesText);
  cl.option("noise", "LIST", "log-normal noise sd per batch and shell, comma-separated", noiseText);
  cl.option("shape", "TEXT", "only shapes whose name contains TEXT", only).defaultText("all");
  cl.option("seed", "N", "seed of the trials", seed);
  cl.option("threads", "N", "worker threads, 0 = all cores", threads).setting("threads");
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  if (trials < 1) throw UsageError("--trials must be at least 1");
  const auto batchCounts = parseNumberList<int>(batchesText, "batches");
  const auto noises = parseNumberList<double>(noiseText, "noise");

  struct Job {
    analysis::SyntheticShape shape;
    int batches;
    double noise;
    analysis::FrontierValidation result;
  };
  std::vector<Job> jobs;
  for (const auto& shape : analysis::validationShapes(options.collapseFactor)) {
    if (!only.empty() && shape.name.find(only) == std::string::npos) continue;
    for (int b : batchCounts) {
      for (double n : noises) jobs.push_back({shape, b, n, {}});
    }
  }
  const int workers = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::size_t next = 0, done = 0;
  std::mutex mutex;
  {
    TerminalProgress progress;
    auto work = [&] {
      while (true) {
        std::size_t i;
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (next == jobs.size() || progress.token().isCancelled()) return;
          i = next++;
        }
        Job& job = jobs[i];
        job.result = analysis::validateFrontier(job.shape, job.batches, job.noise, trials, options, seed);
        std::lock_guard<std::mutex> lock(mutex);
        progress.token().report(static_cast<double>(++done) / static_cast<double>(jobs.size()), job.shape.name);
      }
    };
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) pool.emplace_back(work);
    for (auto& t : pool) t.join();
    if (progress.token().isCancelled()) {
      std::cerr << "cancelled\n";
      return kExitCancelled;
    }
  }
  std::printf("frontier estimators on synthetic profiles: %d trials per row, %d bootstrap resamples, %.0f%% intervals\n",
              trials, options.bootstrapSamples, 100 * options.confidence);
  std::printf("bias/spread in decades; 'held' = trials whose interval contains the truth / trials with an estimate\n\n");
  std::printf("%-30s %3s %5s | %-26s | %-26s | %-26s\n", "shape", "B", "noise", "λ*  bias  spread  held",
              "cut-off  bias  spread held", "width  bias  spread  held");
  for (const Job& job : jobs) {
    const auto& r = job.result;
    std::printf("%-30s %3d %5.2f | %s | %s | %s\n", r.shape.c_str(), r.batches, r.noise, cell(r.peak).c_str(),
                cell(r.cutoff).c_str(), cell(r.width).c_str());
  }
  return 0;
}

}  // namespace shellscope::cli
