#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/analysis/analysis_file.h"
#include "shellscope/session/session_file.h"

namespace shellscope::cli {

namespace {

using nlohmann::ordered_json;

/// JSON has no NaN: numbers that are not finite become null.
ordered_json number(double value) { return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr); }

ordered_json toJson(const analysis::SessionAnalysis& a) {
  ordered_json runs = ordered_json::array();
  for (const auto& r : a.runs) {
    const auto& f = r.frontier;
    ordered_json run = {
        {"run_id", r.runId},
        {"model_name", r.modelName},
        {"step", r.step},
        {"frontier_lambda", f.status.ok() ? number(f.lambda) : ordered_json(nullptr)},
        {"frontier_lambda_ci", f.status.ok() ? ordered_json::array({number(f.ciLow), number(f.ciHigh)}) : ordered_json(nullptr)},
        {"frontier_status", f.status.text()},
        {"cutoff_lambda", number(f.cutoffLambda)},
        {"peak_width_decades", number(f.widthDecades)},
        {"frontier_shape", number(f.peakShape)},
        {"cutoff_lambda_ci", ordered_json::array({number(f.cutoffCiLow), number(f.cutoffCiHigh)})},
        {"peak_width_ci", ordered_json::array({number(f.widthCiLow), number(f.widthCiHigh)})},
        {"loss", number(r.loss)},
        {"piecewise",
         {{"slope", number(r.piecewise.slope)},
          {"slope_err", number(r.piecewise.slopeError)},
          {"kappa", number(r.piecewise.kappa)},
          {"kappa_err", number(r.piecewise.kappaError)},
          {"blend_lambda", number(r.piecewise.blendLambda)},
          {"blend_width_decades", number(r.piecewise.blendWidth)},
          {"chi_square", number(r.piecewise.fit.chiSquare)},
          {"dof", r.piecewise.fit.degreesOfFreedom},
          {"status", r.piecewise.fit.status.text()}}},
        {"theory",
         {{"p", number(r.theory.p)},
          {"p_err", number(r.theory.pError)},
          {"kappa", number(r.theory.kappa)},
          {"kappa_err", number(r.theory.kappaError)},
          {"C", number(std::pow(10.0, r.theory.logC))},
          {"peak_lambda", number(r.theory.peakLambda)},
          {"chi_square", number(r.theory.fit.chiSquare)},
          {"dof", r.theory.fit.degreesOfFreedom},
          {"status", r.theory.fit.status.text()}}},
        {"better_model", r.betterModel},
        {"aic_difference", number(r.aicDifference)},
    };
    runs.push_back(run);
  }
  ordered_json trends = ordered_json::array();
  for (const auto& m : a.trends) {
    for (const auto& t : m.trends) {
      if (t.timeAxis != "step") continue;
      ordered_json entry = {{"model_name", m.modelName},   {"quantity", t.quantity},
                            {"exponent", number(t.exponent)}, {"exponent_err", number(t.exponentError)},
                            {"points", t.points},            {"status", t.status.text()}};
      if (const auto* lr = m.find(t.quantity, "accumulated_lr")) {
        entry["exponent_vs_accumulated_lr"] = number(lr->exponent);
        entry["exponent_vs_accumulated_lr_err"] = number(lr->exponentError);
      }
      trends.push_back(entry);
    }
  }
  ordered_json theory = ordered_json::array();
  for (const auto& m : a.trends) {
    theory.push_back({{"model_name", m.modelName},
                      {"time_axis", m.timeAxis},
                      {"c0", number(m.c0)},
                      {"c0_err", number(m.c0Error)},
                      {"c0_status", m.c0Status.text()},
                      {"predicted_loss_exponent", number(m.predictedLossExponent)},
                      {"predicted_loss_exponent_err", number(m.predictedLossExponentError)},
                      {"measured_loss_exponent", number(m.measuredLossExponent)},
                      {"measured_loss_exponent_err", number(m.measuredLossExponentError)},
                      {"loss_exponent_status", m.lossExponentStatus.text()}});
  }
  ordered_json alignments = ordered_json::array();
  for (const auto& al : a.alignments) {
    alignments.push_back({{"reference", al.reference},
                          {"other", al.other},
                          {"step", al.step},
                          {"amplitude_shift_decades", number(al.amplitudeShift)},
                          {"amplitude_shift_err", number(al.amplitudeShiftError)},
                          {"peak_displacement_decades", number(al.peakDisplacement)},
                          {"peak_displacement_err", number(al.peakDisplacementError)},
                          {"status", al.status.text()}});
  }
  return {{"runs", runs}, {"trends", trends}, {"transport", theory}, {"alignments", alignments}};
}

std::string withError(double value, double error, const char* format = "%.3g") {
  if (!std::isfinite(value)) return "-";
  char a[32], b[32];
  std::snprintf(a, sizeof a, format, value);
  if (!std::isfinite(error)) return a;
  std::snprintf(b, sizeof b, format, error);
  return std::string(a) + "±" + b;
}

void printTable(std::ostream& out, const analysis::SessionAnalysis& a) {
  char line[256];
  std::snprintf(line, sizeof line, "%-9s %-12s %6s %22s %9s %15s %15s %15s %15s %10s\n", "run", "model", "step",
                "frontier λ* [95% CI]", "cut-off", "slope (low)", "κ (piecewise)", "p (theory)", "κ (theory)", "better");
  out << line;
  for (const auto& r : a.runs) {
    const auto& f = r.frontier;
    char frontier[64];
    if (f.status.ok()) {
      std::snprintf(frontier, sizeof frontier, "%.3g [%.3g, %.3g]", f.lambda, f.ciLow, f.ciHigh);
    } else {
      std::snprintf(frontier, sizeof frontier, "no peak");
    }
    std::snprintf(line, sizeof line, "%-9s %-12s %6lld %22s %9s %15s %15s %15s %15s %10s\n", r.runId.c_str(),
                  r.modelName.c_str(), static_cast<long long>(r.step), frontier,
                  std::isfinite(f.cutoffLambda) ? withError(f.cutoffLambda, NAN).c_str() : "-",
                  r.piecewise.fit.ok() ? withError(r.piecewise.slope, r.piecewise.slopeError).c_str() : "no fit",
                  r.piecewise.fit.ok() ? withError(r.piecewise.kappa, r.piecewise.kappaError).c_str() : "no fit",
                  r.theory.fit.ok() ? withError(r.theory.p, r.theory.pError).c_str() : "no fit",
                  r.theory.fit.ok() ? withError(r.theory.kappa, r.theory.kappaError).c_str() : "no fit",
                  r.betterModel.c_str());
    out << line;
  }
  for (const auto& m : a.trends) {
    out << "\n" << m.modelName << ": log-log slopes against training step (and accumulated learning rate)\n";
    for (const auto& t : m.trends) {
      if (t.timeAxis != "step") continue;
      const auto* lr = m.find(t.quantity, "accumulated_lr");
      std::snprintf(line, sizeof line, "  %-16s %18s  %18s  %s\n", t.quantity.c_str(),
                    t.status.ok() ? withError(t.exponent, t.exponentError).c_str() : "-",
                    lr && lr->status.ok() ? withError(lr->exponent, lr->exponentError).c_str() : "-",
                    t.status.ok() ? "" : t.status.text().c_str());
      out << line;
    }
    out << "  transport exponent c0 = " << withError(m.c0, m.c0Error) << " (" << m.c0Status.text() << ")\n";
    out << "  loss exponent: predicted (1+c0)p+1 = " << withError(m.predictedLossExponent, m.predictedLossExponentError)
        << ", measured = " << withError(m.measuredLossExponent, m.measuredLossExponentError) << " ("
        << m.lossExponentStatus.text() << ", time = " << m.timeAxis << ")\n";
  }
  for (const auto& al : a.alignments) {
    out << "\n" << al.other << " against " << al.reference << " at step " << al.step << ": ";
    if (!al.status.ok()) {
      out << al.status.text() << "\n";
      continue;
    }
    out << "amplitude shift " << withError(al.amplitudeShift, al.amplitudeShiftError) << " decades, peak displacement "
        << withError(al.peakDisplacement, al.peakDisplacementError) << " decades\n";
  }
}

}  // namespace

int analyzeCommand(const Arguments& args) {
  CommandLine cl("analyze", "analyze SESSION.h5 [--json] [--smoothing W] [--bootstrap N] [--lambda-min X] [--lambda-max X]",
                 "Frontier, piecewise and theory fits of every run, trends across checkpoints and the\n"
                 "alignment of model sizes; writes the results into the session (under /analysis) and prints\n"
                 "a table, or JSON with --json. docs/analysis.md explains every quantity.");
  analysis::AnalysisOptions options;
  bool json = false, noWrite = false;
  cl.flag("json", "print JSON instead of a table", json);
  cl.option("smoothing", "W", "smoothing width in decades of λ", options.smoothingWidth);
  cl.option("bootstrap", "N", "bootstrap resamples of the batches", options.bootstrapSamples);
  cl.option("seed", "N", "bootstrap seed", options.seed);
  cl.option("lambda-min", "X", "lower end of the fitted range", options.lambdaMin).defaultText("whole profile");
  cl.option("lambda-max", "X", "upper end of the fitted range", options.lambdaMax).defaultText("whole profile");
  cl.option("collapse-factor", "F", "the cut-off: where energy falls to F times the peak", options.collapseFactor);
  cl.flag("no-write", "leave the session file unchanged", noWrite);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  if (!(options.collapseFactor > 0 && options.collapseFactor < 1)) throw UsageError("--collapse-factor must lie in (0, 1)");
  if (options.smoothingWidth < 0) throw UsageError("--smoothing must be >= 0");
  const Session session = readSession(path);
  analysis::SessionAnalysis result;
  {
    TerminalProgress progress;
    try {
      result = analysis::analyzeSession(session, options, &progress.token());
    } catch (const CancelledError&) {
      std::cerr << "cancelled: " << path << " was not modified\n";
      return kExitCancelled;
    }
  }
  if (!noWrite) analysis::writeAnalysis(path, result);
  if (json) {
    std::cout << toJson(result).dump(2) << "\n";
  } else {
    printTable(std::cout, result);
    if (!noWrite) std::cout << "\nresults written to " << path << " (/analysis)\n";
  }
  return 0;
}

}  // namespace shellscope::cli
