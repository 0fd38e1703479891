#pragma once
// A heatmap inside a Qt Chart, for the theory lab's flux pictures (paper §3.1-3.5, §4.2-4.3): a
// grid of cells painted in the chart's plot area through the chart's own axes (so zoom, pan,
// hover and the PNG/SVG/PDF export treat it like any other series), in a diverging colour map
// with white at zero and a symmetric range, and a colour bar beside the plot area.

#include <Eigen/Core>
#include <QColor>
#include <QGraphicsObject>
#include <QPointer>
#include <QString>
#include <vector>

#include "ui/charts/chart_builders.h"

QT_BEGIN_NAMESPACE
class QAbstractAxis;
class QChart;
class QXYSeries;
QT_END_NAMESPACE

namespace shellscope::ui {

/// ColorBrewer's RdBu reversed at t in [-1, 1]: -1 dark blue, 0 white, +1 dark red (NaN: grey).
QColor divergingColor(double t);

/// The cells of a heatmap: cell (row r, column c) spans [xEdges[c], xEdges[c+1]] x [yEdges[r],
/// yEdges[r+1]] in axis units (edges ascending, as the chart's bottom and left axes place them).
struct HeatmapGrid {
  std::vector<double> xEdges, yEdges;
  Eigen::MatrixXd values;  ///< [rows = yEdges - 1, columns = xEdges - 1]; NaN cells are grey
  /// Cells drawn lighter (an error interval that contains zero); empty: none.
  Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> faint;
  QString colorBarTitle;
  /// Colours on a signed log scale over kLogDecades below the range (small values stay visible
  /// beside large ones), else linear.
  bool logColor = false;
  static constexpr double kLogDecades = 3;
  /// Where `value` sits on the colour map, in [-1, 1].
  double colorPosition(double value) const;
  /// max |value| over finite cells (1 when there are none): the colour range is [-range, range].
  double symmetricRange() const;
  /// The cell under (x, y) in axis units: {row, column}, or {-1, -1} outside the grid.
  std::pair<int, int> cellAt(double x, double y) const;
  /// The colour a cell is drawn in.
  QColor cellColor(int row, int column) const;
};

/// Paints a HeatmapGrid into the plot area of the chart it is a child of, and its colour bar in the
/// chart's right margin. Created by attachHeatmap; follows the chart's axes.
class HeatmapItem : public QGraphicsObject {
  Q_OBJECT
 public:
  HeatmapItem(QChart* chart, QXYSeries* frame, HeatmapGrid grid, const ChartStyle& style);
  const HeatmapGrid& grid() const { return grid_; }
  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  void paintColorBar(QPainter* painter) const;
  QChart* chart_;
  QPointer<QXYSeries> frame_;
  HeatmapGrid grid_;
  ChartStyle style_;
};

/// Puts `grid` into `chart`: an invisible frame series spanning the grid (the chart's first series,
/// so hover values are in its axis units) attached to `xAxis` and `yAxis` (the chart takes them),
/// the cells and the colour bar, and room for the bar in the right margin. Returns the item.
HeatmapItem* attachHeatmap(QChart* chart, HeatmapGrid grid, QAbstractAxis* xAxis, QAbstractAxis* yAxis,
                           const ChartStyle& style);
/// The heatmap of a chart made by attachHeatmap (null for other charts).
const HeatmapItem* heatmapOf(const QChart* chart);

}  // namespace shellscope::ui
