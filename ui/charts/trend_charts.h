#pragma once
// Trends across training (paper §5, §7): λ*, κ, p, the low-λ amplitude or the loss of each
// checkpoint against training step or accumulated learning rate, one series per model, with the
// fitted power law of the session analysis drawn over the points it was fitted to.

#include <QColor>
#include <QString>
#include <string>
#include <vector>

#include "shellscope/analysis/session_analysis.h"
#include "ui/charts/chart_builders.h"

namespace shellscope::ui {

enum class TrendQuantity { Frontier, Kappa, P, Amplitude, Loss };

/// The key of the quantity in the analysis (trends.h): frontier_lambda, kappa, p, amplitude, loss.
std::string trendKey(TrendQuantity quantity);
/// A label for axes and menus, e.g. "frontier λ*".
QString trendLabel(TrendQuantity quantity);
/// All quantities, in menu order.
std::vector<TrendQuantity> trendQuantities();

struct TrendPoint {
  double time = 0, value = 0;
  std::int64_t step = 0;
};

/// The quantity of each analysed checkpoint of `model` against `axis` ("step" or "accumulated_lr"),
/// leaving out points a log axis cannot show (time <= 0) and runs without that quantity.
std::vector<TrendPoint> trendPoints(const Session& session, const analysis::SessionAnalysis& analysis,
                                    const std::string& model, TrendQuantity quantity, const std::string& axis);

/// One series of points per model (in `colors`), and the fitted power law where the fit is ok,
/// drawn across the model's trend window; checkpoints outside the window are hollow and the
/// window is a faint band (when it leaves some checkpoint out). The legend gives each exponent
/// with its bootstrap interval. The y axis is logarithmic unless some value is <= 0 (p can be).
QChart* trendChart(const Session& session, const analysis::SessionAnalysis& analysis,
                   const std::vector<std::string>& models, const std::vector<QColor>& colors, TrendQuantity quantity,
                   const std::string& axis, const ChartStyle& style = {});

}  // namespace shellscope::ui
