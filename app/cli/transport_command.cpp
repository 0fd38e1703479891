// shellscope-cli transport: the energy flux between shells of a checkpoint series, by difference
// (docs/lab.md, "Flux at scale"; shellscope/transport/series_transport.h). For every model of the
// session (or the one chosen) it estimates the cumulative flux J_{<=b} across every shell edge of
// every interval between consecutive checkpoints, prints where it is largest and in which
// direction, stores the estimate under /transport (unless --no-store) and writes every cell to a
// CSV on request.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "shellscope/base/csv.h"
#include "shellscope/base/setting_error.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/series_transport.h"
#include "shellscope/transport/transport_file.h"

namespace shellscope::cli {

namespace {

using transport::SeriesTransport;
using transport::TransportInterval;

std::string number(double value, const char* format = "%.4g") {
  if (std::isnan(value)) return "nan";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

/// The λ of the edge above bin b, "0.0562".
std::string edgeText(const SeriesTransport& t, int b) { return number(t.edgeLambda(b), "%.3g"); }

void printEstimate(std::ostream& out, const SeriesTransport& t, bool everyEdge) {
  const std::string rate = t.time.unit() == "steps" ? "per step" : "per unit tau";
  out << (t.id.empty() ? std::string("estimate") : t.id) << ": " << t.modelName << ", " << t.steps.size()
      << " checkpoints (steps " << t.steps.front() << " .. " << t.steps.back() << "), " << t.batchIndex.size()
      << " batches each\n";
  out << "  dissipation: "
      << (t.dissipationKind == transport::DissipationKind::CrossEntropy
              ? "sum lambda g c (cross-entropy's, from the e +- 1 quadratures)"
              : "sum theta m (Lanczos on e; the mse-of-error flow's: for cross-entropy training compute with "
                "--cross-dissipation)")
      << "\n";
  out << "  time: " << t.time.description << (t.time.unit() == "steps" ? "; rates are per step, not per unit tau" : "")
      << "\n";
  for (const std::string& why : t.skipped) out << "  skipped " << why << "\n";
  out << "  window: " << t.window.shellsPerDecade << " shells/decade, " << edgeText(t, 0) << " .. "
      << edgeText(t, t.window.shellCount) << " (" << t.window.shellCount << " shells + underflow + overflow)\n";
  out << "  J_{<=b} (" << rate << ", units of e^2): > 0 moves energy across edge b toward small lambda; intervals are "
      << number(100 * t.confidence, "%.0f") << "% (bootstrap over batches, widened by the trapezoid's estimated bias)\n";
  out << "  interval  steps              dtau   largest |J| at edge      J   [low, high]          edges >0/<0   closure\n";
  for (std::size_t k = 0; k < t.intervals.size(); ++k) {
    const TransportInterval& v = t.intervals[k];
    const int edges = t.binCount() - 1;  // the last entry is the closure, not an edge
    int at = 0, positive = 0, negative = 0;
    for (int b = 0; b < edges; ++b) {
      if (std::abs(v.cumulativeFlux(b)) > std::abs(v.cumulativeFlux(at))) at = b;
      if (v.low(b) > 0) ++positive;
      if (v.high(b) < 0) ++negative;
    }
    char line[256];
    std::snprintf(line, sizeof line, "  %8zu  %6lld-%-8lld %10.4g   %-12s %11.4g [%.3g, %.3g] %6d/%-4d %10.3g\n", k + 1,
                  static_cast<long long>(v.fromStep), static_cast<long long>(v.toStep), v.dtau, edgeText(t, at).c_str(),
                  v.cumulativeFlux(at), v.low(at), v.high(at), positive, negative, v.relativeClosure());
    out << line;
    if (everyEdge) {
      for (int b = 0; b < edges; ++b) {
        std::snprintf(line, sizeof line, "            edge %-10s J %11.4g  se %10.3g  [%.3g, %.3g]  bias %10.3g\n",
                      edgeText(t, b).c_str(), v.cumulativeFlux(b), v.standardError(b), v.low(b), v.high(b),
                      v.discretisation(b));
        out << line;
      }
    }
  }
  const bool crossEntropy = t.dissipationKind == transport::DissipationKind::CrossEntropy;
  out << "  closure = J above the last edge / sum of dissipation: 0 for " << (crossEntropy ? "cross-entropy" : "mse-of-error")
      << " gradient flow (up to the trapezoid's\n  O(dtau^2)); away from 0 when de/dtau is not " << (crossEntropy ? "-M 1" : "-M e")
      << " (another objective or optimiser, held-out batches, long intervals).\n  Largest |closure| "
      << number(t.maxRelativeClosure(), "%.3g") << "\n";
}

/// Writes the CSV beside `path` and renames it into place, so a failed write leaves no partial file.
void writeCsv(const std::string& path, const std::string& sessionPath, const std::vector<SeriesTransport>& estimates) {
  const std::string temporary = path + ".partial";
  std::ofstream file(temporary);
  if (!file) throw std::runtime_error(path + ": cannot be written");
  file << "# shellscope transport: by-difference cumulative flux J_{<=b} across the edge above bin b, " << sessionPath << "\n";
  CsvWriter csv(file);
  csv.header({"estimate", "model", "interval", "from_step", "to_step", "from_tau", "to_tau", "time_unit", "edge_index",
              "edge_lambda", "J", "J_se", "J_low", "J_high", "J_discretisation", "relative_closure"});
  for (const SeriesTransport& t : estimates) {
    for (std::size_t k = 0; k < t.intervals.size(); ++k) {
      const TransportInterval& v = t.intervals[k];
      for (int b = 0; b + 1 < t.binCount(); ++b) {
        csv.text(t.id).text(t.modelName).integer(static_cast<std::int64_t>(k + 1)).integer(v.fromStep).integer(v.toStep);
        csv.number(t.time.tau[k]).number(t.time.tau[k + 1]).text(t.time.unit()).integer(b).number(t.edgeLambda(b));
        csv.number(v.cumulativeFlux(b)).number(v.standardError(b)).number(v.low(b)).number(v.high(b));
        csv.number(v.discretisation(b)).number(v.relativeClosure());
        csv.endRow();
      }
    }
  }
  if (!file.flush()) {
    std::remove(temporary.c_str());
    throw std::runtime_error(path + ": write failed");
  }
  file.close();
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error(path + ": cannot be written");
  }
}

}  // namespace

int transportCommand(const Arguments& args) {
  CommandLine cl("transport",
                 "transport SESSION.h5 [--model NAME] [--run ID]... [--schedule S | --steps] [--csv FILE] [--no-store]",
                 "Estimates the energy flux between shells on each model's checkpoint series, by difference:\n"
                 "J_{<=b} = 1/2 sum_{shells <= b} (dE/dtau + 2 Dbar) across every shell edge and interval between\n"
                 "consecutive checkpoints measured on the same batches (docs/lab.md, \"Flux at scale\"). tau comes from\n"
                 "the session's training log, or from --schedule, e.g. Pythia-70M's\n"
                 "  cosine:peak=1e-3,warmup=1430,total=143000,final=0.1   (also pairs:STEP=LR,... and constant:LR),\n"
                 "or is counted in steps when neither is known. The estimate is stored under /transport.");
  transport::TransportSettings s;
  std::string csvPath;
  bool noStore = false, edges = false;
  std::vector<std::string> models;
  cl.option("model", "NAME", "only this model's series (repeatable; default: every model)", models);
  cl.option("run", "ID", "exactly these runs as the series (repeatable; sorted by step)", s.runIds);
  cl.option("schedule", "S", "learning-rate schedule for tau (see above)", s.schedule).defaultText("the training log").setting("schedule");
  cl.flag("steps", "count time in steps even when a log or schedule is known", s.forceSteps);
  cl.choice("dissipation", "D",
            "auto | error (sum theta m from Lanczos on e: the mse-of-error flow's) | cross-entropy (sum lambda g c "
            "from runs computed with --cross-dissipation); auto: cross-entropy when every run has it",
            s.dissipation, transport::parseDissipationKind,
            static_cast<std::string (*)(transport::DissipationKind)>(transport::toString));
  cl.option("bootstrap", "N", "bootstrap resamples of the batches", s.bootstrapSamples).setting("bootstrap_samples");
  cl.option("confidence", "C", "of the intervals", s.confidence).setting("confidence");
  cl.option("seed", "N", "of the bootstrap", s.seed);
  cl.option("csv", "FILE", "write every interval x edge cell to FILE", csvPath);
  cl.flag("edges", "print every edge of every interval", edges);
  cl.flag("no-store", "do not add the estimate to the session", noStore);
  if (!cl.parse(args)) {
    std::cout << cl.help();
    return 0;
  }
  const std::string& path = cl.singlePositional("session file");
  s.validate();
  const Session session = readSession(path);
  if (models.empty() && s.runIds.empty()) {
    std::set<std::string> names;
    for (const Run& run : session.runs) names.insert(run.meta.modelName);
    models.assign(names.begin(), names.end());
    if (models.empty()) throw std::runtime_error(path + ": the session has no runs");
  }
  std::vector<SeriesTransport> estimates;
  if (!s.runIds.empty()) models = {""};
  for (const std::string& model : models) {
    transport::TransportSettings one = s;
    one.modelName = model;
    try {
      estimates.push_back(transport::estimateTransport(session, one));
    } catch (const SettingError&) {
      throw;
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ": " + (model.empty() ? std::string() : model + ": ") + e.what());
    }
  }
  // A CSV that cannot be written fails before the session changes; every estimate in one edit.
  if (!csvPath.empty() && !std::ofstream(csvPath + ".partial")) throw std::runtime_error(csvPath + ": cannot be written");
  if (!noStore) {
    const std::vector<std::string> ids = transport::appendTransports(path, estimates);
    for (std::size_t i = 0; i < estimates.size(); ++i) estimates[i].id = ids[i];
  }
  if (!csvPath.empty()) writeCsv(csvPath, path, estimates);
  for (std::size_t i = 0; i < estimates.size(); ++i) {
    if (i) std::cout << "\n";
    printEstimate(std::cout, estimates[i], edges);
  }
  if (!noStore) std::cout << "\nstored under /transport in " << path << "\n";
  if (!csvPath.empty()) std::cout << "wrote " << csvPath << "\n";
  return 0;
}

}  // namespace shellscope::cli
