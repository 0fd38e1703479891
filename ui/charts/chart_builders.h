#pragma once
// Qt Charts for sessions: the figures of the paper, built from runs (the GUI shows them, the
// command line exports them). Axes are logarithmic; empty shells are left out (log scale).

#include <QString>
#include <vector>

#include "shellscope/analysis/trends.h"
#include "shellscope/session.h"

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace shellscope::ui {

/// Looks of a figure meant for a paper or the screen.
struct ChartStyle {
  int fontPointSize = 10;
  double lineWidth = 2.0;
  bool legend = true;
};

/// Paper Fig. 1/2: E_α against λ for `runs` (one model: coloured by step along viridis).
QChart* profileChart(const std::vector<const Run*>& runs, const QString& title, const ChartStyle& style = {});
/// The frontier λ* (peak shell centre) against training step, one line per model.
QChart* frontierChart(const Session& session, const ChartStyle& style = {});
/// Paper Fig. 3: the profiles of every model at one step.
QChart* overlayChart(const Session& session, std::int64_t step, const ChartStyle& style = {});

/// One run with its analysis (paper Fig. 1): the mean profile with its bootstrap band, the minimum
/// over batches, the smoothed profile and the frontier λ*, and the piecewise and theory fits with
/// the piecewise fit's two sides.
QChart* analysisChart(const Run& run, const analysis::RunAnalysis& analysis, const ChartStyle& style = {});

/// The runs of one model, ordered by step.
std::vector<const Run*> runsOfModel(const Session& session, const std::string& model);
/// Model names in order of parameter count.
std::vector<std::string> modelsBySize(const Session& session);

}  // namespace shellscope::ui
