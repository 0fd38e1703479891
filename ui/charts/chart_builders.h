#pragma once
// Qt Charts for sessions: the figures of the paper, built from runs (the GUI shows them, the
// command line and the export dialog render them). Axes are logarithmic; empty shells are left
// out. Every builder returns a new chart, so exports never disturb what is on screen.

#include <QColor>
#include <QString>
#include <optional>
#include <vector>

#include "shellscope/analysis/trends.h"
#include "shellscope/session/session.h"

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace shellscope::ui {

/// Looks of a figure for a paper or the screen.
struct ChartStyle {
  int fontPointSize = 10;
  double lineWidth = 2.0;
  bool legend = true;
  Qt::Alignment legendAlignment = Qt::AlignRight;
  bool dark = false;  ///< dark theme (the screen follows the system palette; exports are light)
};

/// What a profile chart draws for each run.
struct ProfileLayers {
  bool raw = true;          ///< the mean shell energies
  bool smoothed = false;    ///< the smoothed profile
  bool band = false;        ///< the 95% bootstrap band over batches
  bool quadrature = false;  ///< the Gauss-Radau bounds on each shell (quadrature error, not noise)
  bool unconverged = true;  ///< rings on shells whose quadrature bounds are wider than their energy
  bool smoothShells = false;  ///< energies in the smooth windows (shell_grid.h), a dashed line
  bool minimum = false;     ///< the minimum over batches
  bool frontier = true;     ///< a marker at λ*
  bool piecewise = false;   ///< the piecewise fit
  bool theory = false;      ///< the theory fit
  bool components = false;  ///< the piecewise fit's power law and exponential sides
};

/// One run of a profile chart, drawn in `color` and named `label`; `analysis` may be null.
struct ProfileEntry {
  const Run* run = nullptr;
  const analysis::RunAnalysis* analysis = nullptr;
  QColor color;
  QString label;
  double shiftDecades = 0;     ///< drawn at λ·10^shift (alignment of models)
  double amplitudeDecades = 0; ///< and E·10^amplitude
};

/// Optional fixed axis ranges (a zoomed view exported as shown).
struct AxisRanges {
  double xMin = 0, xMax = 0, yMin = 0, yMax = 0;
  bool valid() const { return xMax > xMin && yMax > yMin; }
};

/// Paper Fig. 1/2: E_α against λ for the entries, with the chosen layers. Series of one entry
/// share the property "entry" (its index), so a legend click can hide them together.
QChart* layeredProfileChart(const std::vector<ProfileEntry>& entries, const ProfileLayers& layers, const QString& title,
                            const ChartStyle& style = {}, const AxisRanges& ranges = {});

/// The mean shell energy each entry draws at λ (its shell's E_α, shifted and scaled as drawn: an
/// aligned overlay entry at λ reads the shell of λ·10^(−shift), times 10^amplitude); NaN outside
/// its shells. For the linked cursors' read-out.
double drawnEnergyAt(const ProfileEntry& entry, double lambda);

/// The checkpoints of one model coloured by step along viridis (raw profiles).
QChart* profileChart(const std::vector<const Run*>& runs, const QString& title, const ChartStyle& style = {});
/// One run with all its analysis layers.
QChart* analysisChart(const Run& run, const analysis::RunAnalysis& analysis, const ChartStyle& style = {});
/// The frontier λ* (peak shell centre) against training step, one line per model.
QChart* frontierChart(const Session& session, const ChartStyle& style = {});
/// Paper Fig. 3: the profiles of every model at one step.
QChart* overlayChart(const Session& session, std::int64_t step, const ChartStyle& style = {});

/// A parameter count for labels: 148800 -> "149k", 1544640 -> "1.5M", 6.9e9 -> "6.9B".
QString compactCount(std::int64_t count);

/// A model's legend entry in size overlays: its name and parameter count, "pythia-70m (70.4M)".
QString modelSizeLabel(const Run& run);
/// The runs of one model, ordered by step.
std::vector<const Run*> runsOfModel(const Session& session, const std::string& model);
/// Model names in order of parameter count.
std::vector<std::string> modelsBySize(const Session& session);

// Building blocks shared by the views.
/// A new chart with the title, fonts, theme and legend of `style`.
QChart* newStyledChart(const QString& title, const ChartStyle& style);
/// Sets the ranges of the bottom and left axes (a zoomed view exported as shown).
void applyRanges(QChart* chart, const AxisRanges& ranges);
/// Logarithmic axes spanning the data, attached to every series of the chart. Points a log axis
/// cannot place (non-finite, or <= 0; on y only when `logY`) are removed from every series first,
/// ranges that are not finite are taken from what remains, and the chart's title says how many
/// points are not shown (Qt Charts recurses without end on an infinite range).
void attachLogAxes(QChart* chart, const QString& xTitle, const QString& yTitle, double xLow, double xHigh, double yLow,
                   double yHigh, const ChartStyle& style, bool logY = true);
/// Removes from every XY series of `chart` the points it cannot draw (non-finite coordinates, and
/// <= 0 ones on a log axis); an area series loses the same index from both edges. Returns how many
/// points went (also kept in the chart's "undrawnPoints" property).
int dropUndrawablePoints(QChart* chart, bool logX, bool logY);
/// Adds "(note)" under the chart's title, e.g. "3 shells with non-finite energy not shown".
void addChartNote(QChart* chart, const QString& note);

}  // namespace shellscope::ui
