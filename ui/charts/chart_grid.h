#pragma once
// Several charts as one figure: a chart whose only content is other charts laid out in a grid, so
// a view with several panels (the theory lab's) exports them together through figure_export like
// any single chart (PNG, SVG, PDF), at the size asked for.

#include <QtCharts/QChart>
#include <vector>

namespace shellscope::ui {

class ChartGrid : public QChart {
  Q_OBJECT
 public:
  explicit ChartGrid(int columns);
  /// Adds `chart` as the next cell (row by row); the grid owns it.
  void addChart(QChart* chart);
  const std::vector<QChart*>& charts() const { return charts_; }

 protected:
  void resizeEvent(QGraphicsSceneResizeEvent* event) override;

 private:
  void layoutCells();
  int columns_;
  std::vector<QChart*> charts_;
};

}  // namespace shellscope::ui
