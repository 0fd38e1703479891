#include "ui/charts/chart_grid.h"

#include <QCoreApplication>
#include <QGraphicsLayout>
#include <QGraphicsSceneResizeEvent>
#include <QtCharts/QLegend>
#include <algorithm>

namespace shellscope::ui {

ChartGrid::ChartGrid(int columns) : columns_(std::max(1, columns)) {
  legend()->setVisible(false);
  setBackgroundRoundness(0);
  setMargins(QMargins(0, 0, 0, 0));
}

void ChartGrid::addChart(QChart* chart) {
  chart->setParentItem(this);
  charts_.push_back(chart);
  layoutCells();
}

void ChartGrid::resizeEvent(QGraphicsSceneResizeEvent* event) {
  QChart::resizeEvent(event);
  layoutCells();
}

void ChartGrid::layoutCells() {
  if (charts_.empty()) return;
  const int rows = static_cast<int>((charts_.size() + columns_ - 1) / columns_);
  const QSizeF cell(size().width() / columns_, size().height() / rows);
  for (std::size_t i = 0; i < charts_.size(); ++i) {
    const int row = static_cast<int>(i) / columns_, column = static_cast<int>(i) % columns_;
    charts_[i]->setGeometry(QRectF(QPointF(column * cell.width(), row * cell.height()), cell));
    // An export paints without running the event loop: lay the cell out now, as it does the grid.
    QCoreApplication::sendPostedEvents(charts_[i], QEvent::LayoutRequest);
    if (charts_[i]->layout()) charts_[i]->layout()->activate();
  }
}

}  // namespace shellscope::ui
