#pragma once
// The pinned linked cursors (ui/document/cursor_model.h) drawn into an exported figure: on screen
// InteractiveChartView paints them over the chart, which an export does not see, so a figure gets
// them as series of its own: one thin black line per pinned cursor across the plot, named in the
// legend with its full value ("cursor 1: λ = 0.000316"), in SVG and PDF as vectors.

#include <vector>

#include "ui/charts/chart_builders.h"
#include "ui/document/cursor_model.h"

QT_BEGIN_NAMESPACE
class QChart;
QT_END_NAMESPACE

namespace shellscope::ui {

/// Adds `pinned` (values of `axis`) to `chart`: along Qt::Horizontal the values lie on the bottom
/// axis and the lines are vertical; along Qt::Vertical on the left axis, horizontal. Values outside
/// the shown range, and charts without a numeric axis there, get nothing. The axis ranges stay.
/// Returns how many lines were added.
int addCursorMarks(QChart* chart, CursorAxis axis, const std::vector<double>& pinned, Qt::Orientation along,
                   const ChartStyle& style);

}  // namespace shellscope::ui
