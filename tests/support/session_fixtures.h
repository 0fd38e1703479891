#pragma once
// Sessions for the GUI tests: models whose profiles follow the theory curve with a frontier that
// moves with training, and a larger model that is the smaller one shifted by known factors in λ
// and E (so overlays have a known alignment).

#include <QSignalSpy>
#include <QString>

#include "shellscope/session/session_file.h"
#include "synthetic_runs.h"
#include "ui/document/session_document.h"

namespace shellscope::testing {

/// λ-scale and energy factor of model "large" against model "small".
inline constexpr double kLargeLambdaFactor = 2.0;
inline constexpr double kLargeEnergyFactor = 3.0;

/// `models` models ("small", "large", "model-2", ...) at `steps` each (0, 1, 2, 4, ...), with
/// `batches` batches per run.
inline Session fixtureSession(int models = 2, int steps = 5, int batches = 6) {
  Session session;
  for (int m = 0; m < models; ++m) {
    const std::string name = m == 0 ? "small" : m == 1 ? "large" : "model-" + std::to_string(m);
    const double lambdaFactor = std::pow(kLargeLambdaFactor, m), energyFactor = std::pow(kLargeEnergyFactor, m);
    for (int i = 0; i < steps; ++i) {
      const std::int64_t step = i == 0 ? 0 : (std::int64_t{1} << (i - 1)) * 100;
      const double kappa = 2.0 / (1.0 + static_cast<double>(step) / 100.0);  // the frontier moves up with training
      const auto truth = theoryCurve(0.0, 0.5, kappa);
      const auto shifted = [=](double lambda) { return energyFactor * truth(lambda / lambdaFactor); };
      Run run = syntheticRun(shifted, 0.1, batches, static_cast<std::uint64_t>(1000 * m + i + 1), -16, 32, name, step);
      run.meta.nParams = 1000 * (m + 1) * (m + 1);
      run.id.clear();  // fresh ids in the session
      session.addRun(std::move(run));
    }
  }
  return session;
}

/// Opens `path` in `document` and waits for the open and the analysis to finish.
inline bool openAndAnalyse(ui::SessionDocument& document, const QString& path, int timeoutMs = 60000) {
  QSignalSpy opened(&document, &ui::SessionDocument::opened);
  QSignalSpy failed(&document, &ui::SessionDocument::openFailed);
  QSignalSpy analysed(&document, &ui::SessionDocument::analysisChanged);
  document.open(path);
  if (!opened.wait(timeoutMs) || !failed.isEmpty()) return false;
  if (document.isBusy() && !analysed.wait(timeoutMs)) return false;
  return !document.analysis().runs.empty();
}

}  // namespace shellscope::testing
