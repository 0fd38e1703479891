#pragma once
// Colours for series: a perceptually uniform sequential map (viridis) for checkpoints of one model
// ordered by step, and a qualitative palette for different models.

#include <QColor>

namespace shellscope::ui {

/// Viridis at t in [0, 1] (dark purple to yellow), interpolated between 9 anchors.
QColor sequentialColor(double t);
/// Perceptually uniform sequential maps for several models at once: viridis, plasma, cividis.
QColor sequentialColor(int map, double t);
/// A colour-blind-safe qualitative colour (Okabe-Ito) for series `index`.
QColor categoricalColor(int index);

}  // namespace shellscope::ui
