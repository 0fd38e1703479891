#include "ui/views/profile_csv.h"

#include <cmath>

#include "shellscope/spectral/profile.h"

namespace shellscope::ui {

namespace {

QString number(double value) { return std::isfinite(value) ? QString::number(value, 'g', 10) : QString(); }

/// RFC 4180: quote fields with commas or quotes.
QString field(const QString& text) {
  if (!text.contains(',') && !text.contains('"')) return text;
  QString quoted = text;
  quoted.replace('"', "\"\"");
  return '"' + quoted + '"';
}

}  // namespace

QString profileCsv(const std::vector<ProfileEntry>& entries) {
  if (entries.empty()) return {};
  QString csv = QStringLiteral(
      "model,step,run_id,label,shell,lambda_low,lambda_high,lambda_centre,energy,spread,band_low,band_high,"
      "batch_minimum,smoothed_energy,shift_decades,amplitude_decades\n");
  for (const ProfileEntry& e : entries) {
    const analysis::RunAnalysis* a = e.analysis;
    const bool stats = a && a->statistics.bootstrapLow.size() == e.run->shellCount();
    const bool smooth = a && a->frontier.smoothedLogEnergy.size() == e.run->shellCount();
    for (const ProfilePoint& p : profilePoints(*e.run)) {
      QStringList row{field(QString::fromStdString(e.run->meta.modelName)), QString::number(e.run->meta.step),
                      field(QString::fromStdString(e.run->id)), field(e.label), QString::number(p.shell),
                      number(p.lambdaLow), number(p.lambdaHigh), number(p.lambdaCentre), number(p.energy),
                      number(p.spread)};
      row << (stats ? number(a->statistics.bootstrapLow(p.shell)) : QString())
          << (stats ? number(a->statistics.bootstrapHigh(p.shell)) : QString())
          << (stats ? number(a->statistics.batchMinimum(p.shell)) : QString())
          << (smooth ? number(std::pow(10.0, a->frontier.smoothedLogEnergy(p.shell))) : QString())
          << number(e.shiftDecades) << number(e.amplitudeDecades);
      csv += row.join(',') + '\n';
    }
  }
  return csv;
}

}  // namespace shellscope::ui
