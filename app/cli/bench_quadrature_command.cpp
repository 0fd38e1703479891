// bench-quadrature: how many Lanczos steps the shell energies need, against the exact energies of
// a dense eigendecomposition of M on a small built-in model (engine/benchmark.h), for sharp and
// smooth shells and the Gauss-Radau bounds: the table of docs/analysis.md ("Quadrature error").
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/engine/benchmark.h"
#include "shellscope/engine/runtime.h"

namespace shellscope::cli {

namespace {

std::string joined(const std::vector<int>& values) {
  std::string text;
  for (int v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
  return text;
}

void printDetail(const QuadratureBenchmarkRow& row) {
  std::printf("  n = %lld, m = %d%s: per scored shell (λ centre, relative error sharp / smooth, bound width)\n",
              static_cast<long long>(row.n), row.m, row.adaptiveTolerance > 0 ? " (adaptive)" : "");
  for (std::size_t i = 0; i < row.centres.size(); ++i) {
    std::printf("    %10.3e  %9.4f  %9.4f  %9.4f\n", row.centres[i], row.sharpErrors[i], row.smoothErrors[i],
                row.boundWidths[i]);
  }
}

}  // namespace

int benchQuadratureCommand(const Arguments& args) {
  CommandLine cl("bench-quadrature", "bench-quadrature [--batch-sizes 4,8] [--seq-len 64] [--steps 16,32,...]",
                 "Quadrature error of the shell energies against the truth on a small built-in model: the exact\n"
                 "energies from an explicit Jacobian and a dense eigendecomposition of M (float64), against\n"
                 "Gauss quadrature after m Lanczos steps, for sharp and smooth shells, with the width of the\n"
                 "Gauss-Radau bounds. Shells holding at least --mass-fraction of mean(e²) are scored. Rows\n"
                 "with a tolerance are adaptive m: Lanczos stopped once every shell that may hold the mass\n"
                 "fraction has bounds narrower than tolerance x its energy. The last columns: the largest error of a\n"
                 "shell's dissipation, D = sum theta m from e and the cross-entropy one (polarisation, e +- 1),\n"
                 "relative to the sum of |D| over the shells.");
  QuadratureBenchmarkOptions options;
  std::string batchText = joined(options.batchSizes), stepsText = joined(options.steps);
  std::string adaptiveText;
  for (double t : options.adaptiveTolerances) adaptiveText += (adaptiveText.empty() ? "" : ",") + std::to_string(t).substr(0, 4);
  bool detail = false;
  cl.option("model", "NAME", "built-in model", options.model);
  cl.option("batch-sizes", "LIST", "windows per batch, comma-separated (n = windows x seq-len)", batchText);
  cl.option("seq-len", "L", "tokens per window", options.seqLen).setting("seq_len");
  cl.option("steps", "LIST", "Lanczos steps m, comma-separated", stepsText);
  cl.option("shells-per-decade", "K", "shell resolution", options.shellsPerDecade).setting("shells_per_decade");
  cl.option("mass-fraction", "F", "score shells holding at least this share of mean(e²)", options.massFraction);
  cl.option("tolerance", "T", "relative error counted as within", options.tolerance);
  cl.option("adaptive", "LIST", "adaptive-m tolerances to run, comma-separated (none: 0)", adaptiveText);
  cl.option("adaptive-min-steps", "M", "steps before the adaptive test is first asked", options.adaptiveMinSteps);
  cl.option("seed", "N", "seed of the model and the tokens", options.seed);
  cl.option("threads", "N", "CPU threads, 0 = all cores", options.threads).setting("threads");
  cl.flag("detail", "print every scored shell's errors too", detail);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  cl.noPositionals();
  if (options.model.rfind("builtin:", 0) != 0) options.model = "builtin:" + options.model;
  options.batchSizes = parseNumberList<int>(batchText, "batch-sizes");
  options.steps = parseNumberList<int>(stepsText, "steps");
  options.adaptiveTolerances.clear();
  for (double t : parseNumberList<double>(adaptiveText, "adaptive")) {
    if (t < 0) throw UsageError("--adaptive: tolerances must be positive (0: none)");
    if (t > 0) options.adaptiveTolerances.push_back(t);
  }
  for (int b : options.batchSizes) {
    if (b < 1) throw UsageError("--batch-sizes: every value must be at least 1");
  }
  for (int m : options.steps) {
    if (m < 2) throw UsageError("--steps: every value must be at least 2");
  }
  if (!(options.massFraction > 0 && options.massFraction < 1)) throw UsageError("--mass-fraction must lie in (0, 1)");
  if (!(options.tolerance > 0)) throw UsageError("--tolerance must be positive");

  std::vector<QuadratureBenchmarkRow> rows;
  {
    TerminalProgress progress;
    try {
      rows = runQuadratureBenchmark(options, progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled\n";
      return kExitCancelled;
    }
  }
  std::cout << versionLine() << "\n";
  std::printf("%s, seq-len %d, %d shells per decade, float64; scored: shells with >= %.1f%% of mean(e²); "
              "within: relative error <= %.0f%%\n\n",
              options.model.c_str(), options.seqLen, options.shellsPerDecade, 100 * options.massFraction,
              100 * options.tolerance);
  std::printf("%6s %5s %5s | %-24s | %-24s %-13s | %-18s | %s\n", "n", "m", "tol", "sharp: within  worst",
              "smooth: within  worst", "within from λ", "bounds: hold width", "D err  D_ce err");
  for (const auto& row : rows) {
    char tolerance[16];
    if (row.adaptiveTolerance > 0) std::snprintf(tolerance, sizeof tolerance, "%5.2f", row.adaptiveTolerance);
    else std::snprintf(tolerance, sizeof tolerance, "%5s", "-");
    char from[32];
    if (std::isnan(row.smoothWithinFrom)) std::snprintf(from, sizeof from, "%13s", "-");
    else std::snprintf(from, sizeof from, "%13.2e", row.smoothWithinFrom);
    std::printf("%6lld %5d %s | %6d/%-3d %12.4f | %6d/%-3d %12.4f %s | %6s %10.3f | %6.3f %8.3f\n",
                static_cast<long long>(row.n), row.m, tolerance, row.withinSharp, row.scoredSharp, row.worstSharp,
                row.withinSmooth, row.scoredSmooth, row.worstSmooth, from, row.boundsHold ? "yes" : "NO",
                row.worstBoundWidth, row.dissipationError, row.crossDissipationError);
  }
  if (detail) {
    std::printf("\n");
    for (const auto& row : rows) printDetail(row);
  }
  return 0;
}

}  // namespace shellscope::cli
