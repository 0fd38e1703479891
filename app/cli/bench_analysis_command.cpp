// bench-analysis: bias and coverage of the frontier estimators on synthetic profiles with a known
// truth (analysis/validation.h), the table of docs/analysis.md.
#include <cstdio>
#include <functional>
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

/// Runs `count` jobs on `workers` threads with progress; false when cancelled.
bool runJobs(std::size_t count, int workers, const std::function<void(std::size_t)>& job,
             const std::function<std::string(std::size_t)>& name) {
  std::size_t next = 0, done = 0;
  std::mutex mutex;
  TerminalProgress progress;
  auto work = [&] {
    while (true) {
      std::size_t i;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (next == count || progress.token().isCancelled()) return;
        i = next++;
      }
      job(i);
      std::lock_guard<std::mutex> lock(mutex);
      progress.token().report(static_cast<double>(++done) / static_cast<double>(count), name(i));
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  return !progress.token().isCancelled();
}

std::string trendCell(const analysis::EstimateCheck& c) {
  char text[64];
  if (c.estimated == 0) return "        -              -   ";
  std::snprintf(text, sizeof text, "%+8.4f %7.4f %4d/%-4d", c.bias, c.spread, c.covered, c.estimated);
  return text;
}

void printTrendChecks(const char* label, const analysis::TrendEstimateChecks& c) {
  std::printf("  %-9s | %s | %s | %s | %s | %s\n", label, trendCell(c.frontier).c_str(), trendCell(c.kappa).c_str(),
              trendCell(c.loss).c_str(), trendCell(c.c0).c_str(), trendCell(c.predicted).c_str());
}

/// The trends study (validation.h): window detection, and bias and coverage of the exponents.
int benchTrends(int trials, const std::vector<int>& batchCounts, const std::vector<double>& noises,
                const std::string& only, const analysis::AnalysisOptions& options, std::uint64_t seed, int workers) {
  struct Job {
    analysis::TrendScenario scenario;
    int batches;
    double noise;
    analysis::TrendValidation result;
  };
  std::vector<Job> jobs;
  for (const auto& scenario : analysis::trendScenarios()) {
    if (!only.empty() && scenario.name.find(only) == std::string::npos) continue;
    for (int b : batchCounts) {
      for (double n : noises) jobs.push_back({scenario, b, n, {}});
    }
  }
  // One job per scenario, batch count and noise level.
  const bool finished = runJobs(
      jobs.size(), workers,
      [&](std::size_t i) {
        Job& job = jobs[i];
        job.result = analysis::validateTrends(job.scenario, job.batches, job.noise, trials, options, seed);
      },
      [&](std::size_t i) { return jobs[i].scenario.name; });
  if (!finished) {
    std::cerr << "cancelled\n";
    return kExitCancelled;
  }
  std::printf("trends on synthetic checkpoint series (16 checkpoints, τ = 0.1..100, half the noise variance shared by\n"
              "every checkpoint): %d trials per row, %d bootstrap resamples, %.0f%% intervals\n",
              trials, options.bootstrapSamples, 100 * options.confidence);
  std::printf("window: detected inside the true one / exactly it / mean share of the true window detected;\n"
              "withheld: trials whose predicted loss exponent was withheld (an assumption failed)\n"
              "per exponent: bias, spread, trials whose interval holds the truth / trials with an estimate\n\n");
  for (const Job& job : jobs) {
    const auto& r = job.result;
    const auto& s = job.scenario;
    std::printf("%s (true window: checkpoints %d..%d), B = %d, noise %.2f\n", r.scenario.c_str(), s.windowFirst,
                s.windowLast, r.batches, r.noise);
    std::printf("  window inside %d/%d, exact %d/%d, share %.2f; prediction withheld %d/%d (assumptions %s)\n",
                r.windowInside, r.trials, r.windowExact, r.trials, r.meanWindowShare, r.predictionWithheld, r.trials,
                s.assumptionsHold ? "hold" : "fail");
    std::printf("  %-9s | %-26s | %-26s | %-26s | %-26s | %-26s\n", "window", "λ* exponent", "κ exponent",
                "loss exponent", "c0", "predicted loss exp.");
    printTrendChecks("detected", r.detected);
    printTrendChecks("true", r.given);
  }
  return 0;
}

}  // namespace

int benchAnalysisCommand(const Arguments& args) {
  CommandLine cl("bench-analysis", "bench-analysis [--trends] [--trials 200] [--bootstrap 200] [--batches 16] [--noise 0.15]",
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
  cl.option("shape", "TEXT", "only shapes (or with --trends scenarios) whose name contains TEXT", only).defaultText("all");
  cl.option("seed", "N", "seed of the trials", seed);
  cl.option("threads", "N", "worker threads, 0 = all cores", threads).setting("threads");
  bool trends = false;
  cl.flag("trends", "validate the trends over a window instead (synthetic checkpoint series, docs/analysis.md)", trends);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  if (trials < 1) throw UsageError("--trials must be at least 1");
  const auto batchCounts = parseNumberList<int>(batchesText, "batches");
  const auto noises = parseNumberList<double>(noiseText, "noise");
  const int workers = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (trends) return benchTrends(trials, batchCounts, noises, only, options, seed, workers);

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
  const bool finished = runJobs(
      jobs.size(), workers,
      [&](std::size_t i) {
        Job& job = jobs[i];
        job.result = analysis::validateFrontier(job.shape, job.batches, job.noise, trials, options, seed);
      },
      [&](std::size_t i) { return jobs[i].shape.name; });
  if (!finished) {
    std::cerr << "cancelled\n";
    return kExitCancelled;
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
