#include "cli/session_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "shellscope/session/provenance.h"

namespace shellscope::cli {

namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

}  // namespace

void printSessionSummary(std::ostream& out, const std::string& path, const Session& session) {
  out << path << ": ShellScope session, format version 1, " << session.runs.size() << " run(s)\n";
  if (session.runs.empty()) return;
  char line[512];
  std::snprintf(line, sizeof line, "%-9s %-14s %6s %-10s %-7s %-11s %4s %-12s %9s %9s %10s %9s %9s\n", "run", "model",
                "step", "observable", "dtype", "lanczos", "m", "batches", "loss", "mean e2", "peak lam", "peak E",
                "mass err");
  out << line;
  for (const Run& run : session.runs) {
    const RunMetadata& m = run.meta;
    const int peak = run.peakShell();
    double meanSteps = 0;
    for (auto s : run.stepsTaken) meanSteps += static_cast<double>(s);
    meanSteps /= std::max<double>(1.0, static_cast<double>(run.stepsTaken.size()));
    const std::string batches = std::to_string(run.batchCount()) + "x" + std::to_string(m.batchSize) + "x" +
                                std::to_string(m.seqLen);
    std::snprintf(line, sizeof line, "%-9s %-14s %6lld %-10s %-7s %-11s %4.0f %-12s %9.4g %9.4g %10s %9s %9.1e\n",
                  run.id.c_str(), m.modelName.c_str(), static_cast<long long>(m.step), m.observable.c_str(),
                  m.dtype.c_str(), m.lanczosMode.c_str(), meanSteps, batches.c_str(), run.loss.mean(),
                  run.meanErrorNorm2(), peak >= 0 ? format("%.3g", run.window.centre(peak)).c_str() : "-",
                  peak >= 0 ? format("%.3g", run.shellEnergy(peak)).c_str() : "-", run.massIdentityResidual());
    out << line;
  }
}

void printRunInputs(std::ostream& out, const Run& run, const std::string& sessionPath) {
  const RunMetadata& m = run.meta;
  const RunInputs inputs = checkRunInputs(m, sessionPath);
  auto line = [&](const char* name, const std::string& value) {
    if (!value.empty()) out << "    " << name << std::string(name ? 18 - std::string(name).size() : 0, ' ') << value << "\n";
  };
  out << "  checkpoint: " << toString(inputs.checkpoint.state) << ": " << inputs.checkpoint.message << "\n";
  line("as given", m.checkpoint);
  line("absolute", m.checkpointAbsolute);
  line("session-relative", m.checkpointRelative);
  line("sha256", m.checkpointSha256);
  out << "  data: " << toString(inputs.data.state) << ": " << inputs.data.message << "\n";
  line("as given", m.dataPath);
  line("absolute", m.dataAbsolute);
  line("session-relative", m.dataRelative);
  line("format", m.dataFormat);
  line("sha256", m.dataSha256);
  line("batches sha256", m.batchesSha256);
}

void printRunProfile(std::ostream& out, const Run& run) {
  const RunMetadata& m = run.meta;
  out << run.id << ": " << m.modelName << " (" << m.checkpoint << "), step " << m.step << ", " << m.nParams
      << " parameters, " << m.observable << ", " << m.device << " " << m.dtype << "\n"
      << "  data " << m.dataSource << ", " << run.batchCount() << " batches of " << m.batchSize << "x" << m.seqLen
      << " points\n"
      << "  Lanczos " << m.lanczosMode << " (vectors " << m.vectorDtype << "), " << run.lanczosStepsText() << ", JVP "
      << m.jvpMethod << (m.recomputeActivations ? " (activations recomputed)" : " (activations kept)") << ", "
      << m.shellsPerDecade << " shells per decade, created " << m.createdAt << " by " << m.softwareVersion << "\n";
  const double underflow = run.underflow.mean(), overflow = run.overflow.mean();
  const double maxEnergy = run.shellEnergy.size() ? run.shellEnergy.maxCoeff() : 0.0;
  char line[256];
  std::snprintf(line, sizeof line, "  %-23s %12s %12s  %s\n", "shell [lambda)", "E mean", "E spread", "log10 E");
  out << line;
  for (Eigen::Index j = 0; j < run.shellCount(); ++j) {
    const double energy = run.shellEnergy(j);
    const Eigen::VectorXd column = run.shellEnergyBatches.col(j);
    const double spread = column.size() > 1
                              ? std::sqrt((column.array() - column.mean()).square().sum() / (column.size() - 1))
                              : 0.0;
    // Bar length: decades below the peak, 4 characters per decade, over 8 decades.
    int bar = 0;
    if (energy > 0 && maxEnergy > 0) bar = std::max(0, 32 + static_cast<int>(4 * std::log10(energy / maxEnergy)));
    std::snprintf(line, sizeof line, "  [%9.3g, %9.3g) %12.4g %12.4g  %s\n", run.window.edge(static_cast<int>(j)),
                  run.window.edge(static_cast<int>(j) + 1), energy, spread, std::string(static_cast<size_t>(bar), '#').c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "  underflow (below %.3g): %.4g   overflow: %.4g   mean e^2: %.6g   residual: %.1e\n",
                run.window.edge(0), underflow, overflow, run.meanErrorNorm2(), run.massIdentityResidual());
  out << line;
  if (!run.heldOut.empty()) {
    // Held-out points paired with the batches (docs/generalisation.md): R_α per shell, + raises L'.
    const HeldOutSpectra& h = run.heldOut;
    out << "  held-out: " << m.heldOutDataSource << " (" << m.heldOutBatchOrder << ")\n";
    std::snprintf(line, sizeof line, "    loss %.4g (training %.4g), mean e'^2 %.4g, dL'/dtau %.4g (mean over %lld pairs)\n",
                  h.loss.mean(), run.loss.mean(), h.errorNorm2.mean(), h.rateDirect.mean(),
                  static_cast<long long>(h.rateDirect.size()));
    out << line;
    const HeldOutSpectra::CrossEntropy& c = h.crossEntropy;
    const bool ce = !c.empty();
    if (ce) {
      // Training rate of mean(e) under the same flow: −Σ θ_j w_j of the quadrature from 1, per pair.
      const Eigen::ArrayXXd products = c.ritzValues.array() * c.ritzWeights.array();
      const double training = -products.isNaN().select(0.0, products).rowwise().sum().mean();
      std::snprintf(line, sizeof line, "    cross-entropy flow: dL'/dtau %.4g, training dL/dtau %.4g\n", c.rateDirect.mean(),
                    training);
      out << line;
    }
    std::snprintf(line, sizeof line, "    %-23s %12s %12s%s\n", "shell [lambda)", "E' mean", "R mean (mse)",
                  ce ? "   R mean (cross-entropy)" : "");
    out << line;
    for (Eigen::Index j = 0; j < run.shellCount(); ++j) {
      const double rCe = ce ? c.shellRate(j) : 0.0;
      if (h.shellEnergy(j) == 0 && h.shellRate(j) == 0 && rCe == 0) continue;
      std::snprintf(line, sizeof line, "    [%9.3g, %9.3g) %12.4g %+12.4g", run.window.edge(static_cast<int>(j)),
                    run.window.edge(static_cast<int>(j) + 1), h.shellEnergy(j), h.shellRate(j));
      out << line;
      if (ce) {
        std::snprintf(line, sizeof line, " %+24.4g", rCe);
        out << line;
      }
      out << (h.shellRate(j) > 0 || rCe > 0 ? "  raises L'" : "") << "\n";
    }
  }
}

}  // namespace shellscope::cli
