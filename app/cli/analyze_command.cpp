#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/terminal_progress.h"
#include "shellscope/analysis/analysis_file.h"
#include "shellscope/analysis/generalisation.h"
#include "shellscope/session/session_file.h"

namespace shellscope::cli {

namespace {

using nlohmann::ordered_json;

/// JSON has no NaN: numbers that are not finite become null.
ordered_json number(double value) { return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr); }

/// Centres of the shells whose quadrature bounds are wider than their energy (run.h).
std::vector<double> unconvergedCentres(const Session& session, const std::string& runId) {
  std::vector<double> centres;
  if (const Run* run = session.findRun(runId)) {
    const std::vector<bool> flags = run->unconvergedShells();
    for (std::size_t j = 0; j < flags.size(); ++j) {
      if (flags[j]) centres.push_back(run->window.centre(static_cast<int>(j)));
    }
  }
  return centres;
}

ordered_json numbers(const Eigen::VectorXd& v) {
  ordered_json out = ordered_json::array();
  for (Eigen::Index i = 0; i < v.size(); ++i) out.push_back(number(v(i)));
  return out;
}

/// Runs with held-out points and the per-model window (docs/generalisation.md).
ordered_json heldOutJson(const Session& session, const analysis::SessionAnalysis& a) {
  const std::vector<analysis::HeldOutRunAnalysis>& runs = a.heldOut;
  ordered_json runList = ordered_json::array();
  for (const auto& r : runs) {
    const Run* run = session.findRun(r.runId);
    const std::vector<double> edges = run->window.edges();
    runList.push_back({{"run_id", r.runId},
                       {"model_name", r.modelName},
                       {"objective", analysis::toString(r.objective)},
                       {"step", r.step},
                       {"batch_pairs", r.pairs},
                       {"held_out_data_source", run->meta.heldOutDataSource},
                       {"loss", number(r.loss)},
                       {"loss_err", number(r.lossError)},
                       {"held_out_loss", number(r.heldOutLoss)},
                       {"held_out_loss_err", number(r.heldOutLossError)},
                       {"held_out_loss_rate", number(r.rate)},
                       {"held_out_loss_rate_ci", ordered_json::array({number(r.rateLow), number(r.rateHigh)})},
                       {"shell_edges", edges},
                       {"shell_rate", numbers(r.shellRate)},
                       {"shell_rate_ci_low", numbers(r.shellRateLow)},
                       {"shell_rate_ci_high", numbers(r.shellRateHigh)},
                       {"rate_below_window", number(r.rateBelow)},
                       {"rate_above_window", number(r.rateAbove)},
                       {"raising_shells", r.raisingShells},
                       {"raising_lambda", ordered_json::array({number(r.lambdaLow), number(r.lambdaHigh)})}});
  }
  ordered_json models = ordered_json::array();
  for (const auto& w : a.heldOutWindows) {
    ordered_json rises = ordered_json::array();
    for (const auto& [from, to] : w.rises) rises.push_back(ordered_json::array({from, to}));
    ordered_json heldLoss = ordered_json::array(), loss = ordered_json::array(), rate = ordered_json::array();
    for (std::size_t k = 0; k < w.steps.size(); ++k) {
      heldLoss.push_back(number(w.heldOutLoss[k]));
      loss.push_back(number(w.loss[k]));
      rate.push_back(number(w.rate[k]));
    }
    models.push_back({{"model_name", w.modelName},
                      {"objective", analysis::toString(w.objective)},
                      {"steps", w.steps},
                      {"loss", loss},
                      {"held_out_loss", heldLoss},
                      {"held_out_loss_rate", rate},
                      {"held_out_loss_rises", rises},
                      {"window",
                       {{"first_step", w.firstStep},
                        {"last_step", w.lastStep},
                        {"lambda", ordered_json::array({number(w.lambdaLow), number(w.lambdaHigh)})},
                        {"reason", w.reason}}}});
  }
  return {{"runs", runList}, {"models", models}};
}

ordered_json toJson(const analysis::SessionAnalysis& a, const Session& session) {
  ordered_json runs = ordered_json::array();
  for (const auto& r : a.runs) {
    const auto& f = r.frontier;
    const Run* source = session.findRun(r.runId);
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
        {"quadrature_bounds", source && source->hasQuadratureBounds()},
        {"unconverged_shell_centres", unconvergedCentres(session, r.runId)},
    };
    runs.push_back(run);
  }
  ordered_json trends = ordered_json::array();
  auto interval = [](double low, double high) { return ordered_json::array({number(low), number(high)}); };
  for (const auto& m : a.trends) {
    for (const auto& t : m.trends) {
      if (t.timeAxis != "step") continue;
      ordered_json entry = {{"model_name", m.modelName},
                            {"quantity", t.quantity},
                            {"exponent", number(t.exponent)},
                            {"exponent_err", number(t.exponentError)},
                            {"exponent_ci", interval(t.ciLow, t.ciHigh)},
                            {"points", t.points},
                            {"window_steps", ordered_json::array({m.window.firstStep, m.window.lastStep})},
                            {"status", t.status.text()}};
      if (const auto* lr = m.find(t.quantity, "accumulated_lr")) {
        entry["exponent_vs_accumulated_lr"] = number(lr->exponent);
        entry["exponent_vs_accumulated_lr_err"] = number(lr->exponentError);
        entry["exponent_vs_accumulated_lr_ci"] = interval(lr->ciLow, lr->ciHigh);
      }
      trends.push_back(entry);
    }
  }
  ordered_json theory = ordered_json::array();
  for (const auto& m : a.trends) {
    theory.push_back({{"model_name", m.modelName},
                      {"time_axis", m.timeAxis},
                      {"window",
                       {{"first_step", m.window.firstStep},
                        {"last_step", m.window.lastStep},
                        {"checkpoints", m.window.checkpoints},
                        {"of", m.window.available},
                        {"choice", m.window.choice},
                        {"reason", m.window.reason}}},
                      {"batch_pairing", m.batchPairing},
                      {"c0", number(m.c0)},
                      {"c0_err", number(m.c0Error)},
                      {"c0_ci", interval(m.c0CiLow, m.c0CiHigh)},
                      {"c0_status", m.c0Status.text()},
                      {"mean_p", number(m.meanP)},
                      {"mean_p_ci", interval(m.meanPCiLow, m.meanPCiHigh)},
                      {"predicted_loss_exponent", number(m.predictedLossExponent)},
                      {"predicted_loss_exponent_err", number(m.predictedLossExponentError)},
                      {"predicted_loss_exponent_ci", interval(m.predictedCiLow, m.predictedCiHigh)},
                      {"prediction_status", m.predictionStatus.text()},
                      {"measured_loss_exponent", number(m.measuredLossExponent)},
                      {"measured_loss_exponent_err", number(m.measuredLossExponentError)},
                      {"measured_loss_exponent_ci", interval(m.measuredCiLow, m.measuredCiHigh)},
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
  return {{"runs", runs}, {"trends", trends}, {"transport", theory}, {"alignments", alignments},
          {"held_out", heldOutJson(session, a)}};
}

std::string withError(double value, double error, const char* format = "%.3g") {
  if (!std::isfinite(value)) return "-";
  char a[32], b[32];
  std::snprintf(a, sizeof a, format, value);
  if (!std::isfinite(error)) return a;
  std::snprintf(b, sizeof b, format, error);
  return std::string(a) + "±" + b;
}

/// "v [lo, hi]", or "v" without an interval, or "-".
std::string withInterval(double value, double low, double high) {
  if (!std::isfinite(value)) return "-";
  char text[96];
  if (std::isfinite(low) && std::isfinite(high)) {
    std::snprintf(text, sizeof text, "%.3g [%.3g, %.3g]", value, low, high);
  } else {
    std::snprintf(text, sizeof text, "%.3g", value);
  }
  return text;
}

/// --trend-window: "[MODEL=]FIRST:LAST" or "[MODEL=]auto"; the window of every model without "MODEL=".
void applyTrendWindow(const std::string& spec, const Session& session, analysis::AnalysisOptions& options) {
  const std::size_t equals = spec.rfind('=');
  const std::string model = equals == std::string::npos ? "" : spec.substr(0, equals);
  const std::string range = equals == std::string::npos ? spec : spec.substr(equals + 1);
  std::vector<std::string> models;
  for (const Run& run : session.runs) {
    if ((model.empty() || run.meta.modelName == model) &&
        std::find(models.begin(), models.end(), run.meta.modelName) == models.end()) {
      models.push_back(run.meta.modelName);
    }
  }
  if (models.empty()) throw UsageError("--trend-window " + spec + ": the session has no model '" + model + "'");
  if (range == "auto") {
    for (const std::string& m : models) options.trendWindows.erase(m);
    return;
  }
  const std::size_t colon = range.find(':');
  analysis::StepRange steps;
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no colon");
    std::size_t used = 0;
    steps.first = std::stoll(range.substr(0, colon), &used);
    if (used != colon) throw std::invalid_argument("first");
    const std::string lastText = range.substr(colon + 1);
    steps.last = std::stoll(lastText, &used);
    if (used != lastText.size()) throw std::invalid_argument("last");
  } catch (const std::exception&) {
    throw UsageError("--trend-window " + spec + ": expected [MODEL=]FIRST:LAST (training steps) or [MODEL=]auto");
  }
  if (steps.first > steps.last) throw UsageError("--trend-window " + spec + ": the first step is after the last");
  for (const std::string& m : models) options.trendWindows[m] = steps;
}

/// Runs with held-out points: both losses, dL'/dτ and the shells that raise the held-out loss.
void printHeldOut(std::ostream& out, const analysis::SessionAnalysis& a) {
  const std::vector<analysis::HeldOutRunAnalysis>& runs = a.heldOut;
  if (runs.empty()) return;
  out << "\nheld-out points (docs/generalisation.md): losses, dL'/dtau [95% CI] and the shells raising L'\n";
  char line[256];
  for (const auto& r : runs) {
    char window[96] = "none";
    if (!r.raisingShells.empty()) {
      std::snprintf(window, sizeof window, "%zu shell(s), lambda %.3g..%.3g", r.raisingShells.size(), r.lambdaLow, r.lambdaHigh);
    }
    std::snprintf(line, sizeof line, "  %-9s %-12s %6lld %-18s  loss %s  held-out %s  dL'/dtau %s  raising: %s\n",
                  r.runId.c_str(), r.modelName.c_str(), static_cast<long long>(r.step),
                  analysis::describe(r.objective).c_str(), withError(r.loss, r.lossError).c_str(),
                  withError(r.heldOutLoss, r.heldOutLossError).c_str(), withInterval(r.rate, r.rateLow, r.rateHigh).c_str(),
                  window);
    out << line;
  }
  for (const auto& w : a.heldOutWindows) {
    out << "  " << w.modelName << " (" << analysis::describe(w.objective) << "): held-out loss rises between "
        << w.rises.size() << " of "
        << (w.steps.empty() ? 0 : w.steps.size() - 1) << " consecutive checkpoints; window: ";
    if (w.firstStep < 0) {
      out << "none (" << w.reason << ")\n";
    } else {
      std::snprintf(line, sizeof line, "steps %lld..%lld, lambda %.3g..%.3g (", static_cast<long long>(w.firstStep),
                    static_cast<long long>(w.lastStep), w.lambdaLow, w.lambdaHigh);
      out << line << w.reason << ")\n";
    }
  }
}

void printTable(std::ostream& out, const analysis::SessionAnalysis& a, const Session& session) {
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
  // Shells the Lanczos steps did not resolve (their Gauss-Radau bounds are wider than their energy).
  for (const auto& r : a.runs) {
    const std::vector<double> centres = unconvergedCentres(session, r.runId);
    if (centres.empty()) continue;
    char note[160], where[64];
    if (centres.size() == 1) {
      std::snprintf(where, sizeof where, "at λ %.3g", centres.front());
    } else {
      std::snprintf(where, sizeof where, "λ %.3g to %.3g", centres.front(), centres.back());
    }
    std::snprintf(note, sizeof note, "  %s: %zu shell(s) unconverged (quadrature bounds wider than the energy), %s\n",
                  r.runId.c_str(), centres.size(), where);
    out << note;
  }
  for (const auto& m : a.trends) {
    out << "\n" << m.modelName << ": log-log slopes [95% CI] against training step (and accumulated learning rate)\n";
    out << "  window: steps " << m.window.firstStep << " to " << m.window.lastStep << ", " << m.window.checkpoints << " of "
        << m.window.available << " checkpoints; " << m.window.reason << "\n";
    if (!m.batchPairing.empty()) out << "  intervals: bootstrap over batches, " << m.batchPairing << "\n";
    for (const auto& t : m.trends) {
      if (t.timeAxis != "step") continue;
      const auto* lr = m.find(t.quantity, "accumulated_lr");
      std::snprintf(line, sizeof line, "  %-16s %30s  %30s  %s\n", t.quantity.c_str(),
                    t.status.ok() ? withInterval(t.exponent, t.ciLow, t.ciHigh).c_str() : "-",
                    lr && lr->status.ok() ? withInterval(lr->exponent, lr->ciLow, lr->ciHigh).c_str() : "-",
                    t.status.ok() ? "" : t.status.text().c_str());
      out << line;
    }
    out << "  transport exponent c0 = " << withInterval(m.c0, m.c0CiLow, m.c0CiHigh) << " (" << m.c0Status.text() << ")\n";
    out << "  loss exponent: predicted (1+c0)p+1 = " << withInterval(m.predictedLossExponent, m.predictedCiLow, m.predictedCiHigh)
        << (m.predictionStatus.ok() ? "" : " (" + m.predictionStatus.text() + ")") << "\n";
    out << "                 measured = " << withInterval(m.measuredLossExponent, m.measuredCiLow, m.measuredCiHigh) << " ("
        << m.lossExponentStatus.text() << ", time = " << m.timeAxis << ", same window)\n";
  }
  printHeldOut(out, a);
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
  CommandLine cl("analyze",
                 "analyze SESSION.h5 [--json] [--smoothing W] [--bootstrap N] [--lambda-min X] [--lambda-max X]\n"
                 "        [--trend-window [MODEL=]FIRST:LAST|auto]...",
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
  std::vector<std::string> windows;
  cl.option("trend-window", "[MODEL=]FIRST:LAST",
            "fit the trends over the checkpoints of steps FIRST..LAST (repeatable; 'auto' detects the window; a "
            "window stored in the session by an earlier analyze or the GUI is kept)",
            windows)
      .defaultText("stored, else auto");
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  if (!(options.collapseFactor > 0 && options.collapseFactor < 1)) throw UsageError("--collapse-factor must lie in (0, 1)");
  if (options.smoothingWidth < 0) throw UsageError("--smoothing must be >= 0");
  const Session session = readSession(path);
  try {
    options.trendWindows = analysis::readAnalysis(path, session).options.trendWindows;
  } catch (const SessionFileError&) {
    // An unreadable earlier analysis is replaced; its windows are lost with it.
  }
  for (const std::string& spec : windows) applyTrendWindow(spec, session, options);
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
    std::cout << toJson(result, session).dump(2) << "\n";
  } else {
    printTable(std::cout, result, session);
    if (!noWrite) std::cout << "\nresults written to " << path << " (/analysis)\n";
  }
  return 0;
}

}  // namespace shellscope::cli
