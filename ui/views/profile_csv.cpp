#include "ui/views/profile_csv.h"

#include <cmath>
#include <optional>
#include <sstream>

#include "shellscope/base/csv.h"
#include "shellscope/spectral/profile.h"

namespace shellscope::ui {

QString profileCsv(const std::vector<ProfileEntry>& entries) {
  if (entries.empty()) return {};
  std::ostringstream text;
  CsvWriter csv(text);
  csv.header({"model", "step", "run_id", "label", "shell", "lambda_low", "lambda_high", "lambda_centre", "energy",
              "spread", "band_low", "band_high", "batch_minimum", "smoothed_energy", "quadrature_lower",
              "quadrature_upper", "unconverged", "smooth_shell_energy", "shift_decades", "amplitude_decades",
              "piecewise_fit", "theory_fit"});
  for (const ProfileEntry& e : entries) {
    const analysis::RunAnalysis* a = e.analysis;
    const bool stats = a && a->statistics.bootstrapLow.size() == e.run->shellCount();
    const bool smooth = a && a->frontier.smoothedLogEnergy.size() == e.run->shellCount();
    // Values the analysis does not have are empty fields.
    auto fromStats = [&](const Eigen::VectorXd analysis::ProfileStatistics::*values, int shell) {
      return stats ? std::optional<double>((a->statistics.*values)(shell)) : std::nullopt;
    };
    const bool bounds = e.run->hasQuadratureBounds();
    const std::vector<bool> unresolved = e.run->unconvergedShells();
    const bool smoothShells = e.run->smoothShellEnergy.size() == e.run->shellCount();
    for (const ProfilePoint& p : profilePoints(*e.run)) {
      csv.text(e.run->meta.modelName).integer(e.run->meta.step).text(e.run->id).text(e.label.toStdString());
      csv.integer(p.shell).number(p.lambdaLow).number(p.lambdaHigh).number(p.lambdaCentre).number(p.energy);
      csv.number(p.spread).optionalNumber(fromStats(&analysis::ProfileStatistics::bootstrapLow, p.shell));
      csv.optionalNumber(fromStats(&analysis::ProfileStatistics::bootstrapHigh, p.shell));
      csv.optionalNumber(fromStats(&analysis::ProfileStatistics::batchMinimum, p.shell));
      csv.optionalNumber(smooth ? std::optional<double>(std::pow(10.0, a->frontier.smoothedLogEnergy(p.shell)))
                                : std::nullopt);
      csv.optionalNumber(bounds ? std::optional<double>(e.run->shellEnergyLower(p.shell)) : std::nullopt);
      csv.optionalNumber(bounds ? std::optional<double>(e.run->shellEnergyUpper(p.shell)) : std::nullopt);
      if (bounds) csv.integer(unresolved[static_cast<std::size_t>(p.shell)] ? 1 : 0);
      else csv.text("");
      csv.optionalNumber(smoothShells ? std::optional<double>(e.run->smoothShellEnergy(p.shell)) : std::nullopt);
      csv.number(e.shiftDecades).number(e.amplitudeDecades);
      // The fitted curves at the shell centre, inside the range each was fitted over.
      const auto fitted = [&](const auto& fit) -> std::optional<double> {
        if (!a || !fit.fit.ok() || p.lambdaCentre < fit.lambdaMin || p.lambdaCentre > fit.lambdaMax) return std::nullopt;
        return std::pow(10.0, fit.evaluate(std::log10(p.lambdaCentre)));
      };
      csv.optionalNumber(a ? fitted(a->piecewise) : std::nullopt).optionalNumber(a ? fitted(a->theory) : std::nullopt);
      csv.endRow();
    }
  }
  return QString::fromStdString(text.str());
}

}  // namespace shellscope::ui
