#include "ui/charts/heatmap.h"

#include <QFontInfo>
#include <QFontMetricsF>
#include <QLinearGradient>
#include <QPainter>
#include <QtCharts/QAbstractAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <array>
#include <cmath>

namespace shellscope::ui {

namespace {

/// RdBu (ColorBrewer, 11 classes), blue end first.
const std::array<QColor, 11> kRdBu{QColor(0x05, 0x30, 0x61), QColor(0x21, 0x66, 0xac), QColor(0x43, 0x93, 0xc3),
                                   QColor(0x92, 0xc5, 0xde), QColor(0xd1, 0xe5, 0xf0), QColor(0xf7, 0xf7, 0xf7),
                                   QColor(0xfd, 0xdb, 0xc7), QColor(0xf4, 0xa5, 0x82), QColor(0xd6, 0x60, 0x4d),
                                   QColor(0xb2, 0x18, 0x2b), QColor(0x67, 0x00, 0x1f)};

constexpr double kColorBarWidth = 14;

/// Index of the interval of ascending `edges` that holds v, -1 outside.
int intervalOf(const std::vector<double>& edges, double v) {
  if (edges.size() < 2 || !(v >= edges.front()) || !(v <= edges.back())) return -1;
  const auto it = std::upper_bound(edges.begin(), edges.end(), v);
  return std::min(static_cast<int>(it - edges.begin()) - 1, static_cast<int>(edges.size()) - 2);
}

QString tickText(double v) { return v == 0 ? QStringLiteral("0") : QString::number(v, 'g', 2); }

}  // namespace

QColor divergingColor(double t) {
  if (!std::isfinite(t)) return QColor(190, 190, 190);
  // Pure white at zero (RdBu's middle class is a light grey).
  const double x = (std::clamp(t, -1.0, 1.0) + 1.0) / 2.0 * (kRdBu.size() - 1);
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), kRdBu.size() - 2);
  const double f = x - static_cast<double>(i);
  QColor a = kRdBu[i], b = kRdBu[i + 1];
  if (i == 4) b = Qt::white;
  if (i == 5) a = Qt::white;
  return QColor::fromRgbF(static_cast<float>(a.redF() + f * (b.redF() - a.redF())),
                          static_cast<float>(a.greenF() + f * (b.greenF() - a.greenF())),
                          static_cast<float>(a.blueF() + f * (b.blueF() - a.blueF())));
}

double HeatmapGrid::symmetricRange() const {
  double range = 0;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (std::isfinite(values.data()[i])) range = std::max(range, std::abs(values.data()[i]));
  }
  return range > 0 ? range : 1.0;
}

std::pair<int, int> HeatmapGrid::cellAt(double x, double y) const {
  const int column = intervalOf(xEdges, x), row = intervalOf(yEdges, y);
  if (column < 0 || row < 0 || row >= values.rows() || column >= values.cols()) return {-1, -1};
  return {row, column};
}

double HeatmapGrid::colorPosition(double value) const {
  const double range = symmetricRange();
  if (!logColor) return value / range;
  // Signed log over kLogDecades: ±range at ±1, ±range·10^-d at ±(1 - d/kLogDecades), 0 at 0.
  const double floor = range * std::pow(10.0, -kLogDecades);
  const double t = std::log10(1.0 + std::abs(value) / floor) / std::log10(1.0 + range / floor);
  return std::copysign(t, value);
}

QColor HeatmapGrid::cellColor(int row, int column) const {
  QColor c = divergingColor(colorPosition(values(row, column)));
  if (faint.size() && faint(row, column)) {
    // Half way to white: the value's sign is still readable, its weight is not claimed.
    c = QColor::fromRgbF(static_cast<float>(0.45 * c.redF() + 0.55), static_cast<float>(0.45 * c.greenF() + 0.55),
                         static_cast<float>(0.45 * c.blueF() + 0.55));
  }
  return c;
}

HeatmapItem::HeatmapItem(QChart* chart, QXYSeries* frame, HeatmapGrid grid, const ChartStyle& style)
    : QGraphicsObject(chart), chart_(chart), frame_(frame), grid_(std::move(grid)), style_(style) {
  setObjectName("heatmap");
  setZValue(1.5);  // Qt Charts: plot area 0, shades 1, grid 2, axes 3, series 4
  setFlag(QGraphicsItem::ItemUsesExtendedStyleOption, false);
  connect(chart, &QChart::plotAreaChanged, this, [this] {
    prepareGeometryChange();
    update();
  });
  for (QAbstractAxis* axis : chart->axes()) {
    if (auto* value = qobject_cast<QValueAxis*>(axis)) connect(value, &QValueAxis::rangeChanged, this, [this] { update(); });
    if (auto* log = qobject_cast<QLogValueAxis*>(axis)) connect(log, &QLogValueAxis::rangeChanged, this, [this] { update(); });
  }
}

QRectF HeatmapItem::boundingRect() const {
  const QRectF plot = chart_->plotArea();
  return plot.adjusted(0, -20, chart_->margins().right() + 80, 20);
}

void HeatmapItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  if (!frame_) return;
  const QRectF plot = chart_->plotArea();
  painter->save();
  painter->setClipRect(plot);
  painter->setPen(Qt::NoPen);
  // Cell corners through the chart's own mapping: log and category axes and zoom come for free.
  std::vector<double> xs(grid_.xEdges.size()), ys(grid_.yEdges.size());
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = chart_->mapToPosition(QPointF(grid_.xEdges[i], grid_.yEdges.front()), frame_).x();
  for (std::size_t j = 0; j < ys.size(); ++j) ys[j] = chart_->mapToPosition(QPointF(grid_.xEdges.front(), grid_.yEdges[j]), frame_).y();
  for (Eigen::Index r = 0; r < grid_.values.rows(); ++r) {
    for (Eigen::Index c = 0; c < grid_.values.cols(); ++c) {
      const QRectF cell = QRectF(QPointF(xs[c], ys[r + 1]), QPointF(xs[c + 1], ys[r])).normalized();
      if (!cell.intersects(plot)) continue;
      painter->setBrush(grid_.cellColor(static_cast<int>(r), static_cast<int>(c)));
      // A hairline of the cell's own colour closes the antialiasing seams between cells.
      painter->setPen(QPen(painter->brush().color(), 0.6));
      painter->drawRect(cell);
    }
  }
  painter->restore();
  paintColorBar(painter);
}

void HeatmapItem::paintColorBar(QPainter* painter) const {
  const QRectF plot = chart_->plotArea();
  const double range = grid_.symmetricRange();
  const QRectF bar(plot.right() + 18, plot.top(), kColorBarWidth, plot.height());
  QLinearGradient gradient(bar.bottomLeft(), bar.topLeft());
  for (int i = 0; i <= 20; ++i) gradient.setColorAt(i / 20.0, divergingColor(-1.0 + i / 10.0));
  painter->save();
  painter->setPen(QPen(style_.dark ? QColor(200, 200, 200) : QColor(90, 90, 90), 0.8));
  painter->setBrush(gradient);
  painter->drawRect(bar);
  // Fonts in pixels of the scene, as the chart's own text: a point size would be resolved again at
  // the painter's device resolution, and an export at 150 dpi (already scaled) would draw it twice as large.
  auto inScenePixels = [](QFont f) {
    f.setPixelSize(QFontInfo(f).pixelSize());
    return f;
  };
  QFont font = chart_->legend()->font();
  font.setPointSize(style_.fontPointSize - 1);
  font = inScenePixels(font);
  painter->setFont(font);
  const QFontMetricsF metrics(font);
  painter->setPen(style_.dark ? QColor(225, 225, 225) : QColor(40, 40, 40));
  std::vector<double> ticks;
  if (grid_.logColor) {
    for (int d = 0; d < static_cast<int>(HeatmapGrid::kLogDecades); ++d) {
      ticks.push_back(range * std::pow(10.0, -d));
      ticks.push_back(-range * std::pow(10.0, -d));
    }
    ticks.push_back(0);
  } else {
    for (int i = -2; i <= 2; ++i) ticks.push_back(range * i / 2.0);
  }
  double widest = 0;
  for (double v : ticks) {
    const double y = bar.center().y() - grid_.colorPosition(v) / 2.0 * bar.height();
    painter->drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y));
    painter->drawText(QPointF(bar.right() + 6, y + metrics.ascent() / 2 - 1), tickText(v));
    widest = std::max(widest, metrics.horizontalAdvance(tickText(v)));
  }
  // The bar's title, vertical, beyond its widest label (on a log scale "-0.00088", not "-0.088").
  painter->translate(bar.right() + 12 + widest + metrics.height(), bar.center().y());
  painter->rotate(-90);
  QFont titleFont = chart_->legend()->font();
  titleFont.setPointSize(style_.fontPointSize);
  titleFont = inScenePixels(titleFont);
  painter->setFont(titleFont);
  const QFontMetricsF titleMetrics(titleFont);
  const QString title = titleMetrics.elidedText(grid_.colorBarTitle, Qt::ElideRight, bar.height());
  painter->drawText(QPointF(-titleMetrics.horizontalAdvance(title) / 2, 0), title);
  painter->restore();
}

HeatmapItem* attachHeatmap(QChart* chart, HeatmapGrid grid, QAbstractAxis* xAxis, QAbstractAxis* yAxis,
                           const ChartStyle& style) {
  auto* frame = new QLineSeries;
  frame->setName(QStringLiteral("heatmap-frame"));
  frame->setPen(Qt::NoPen);
  frame->append(grid.xEdges.front(), grid.yEdges.front());
  frame->append(grid.xEdges.back(), grid.yEdges.back());
  chart->addSeries(frame);
  for (QLegendMarker* marker : chart->legend()->markers(frame)) marker->setVisible(false);
  chart->addAxis(xAxis, Qt::AlignBottom);
  chart->addAxis(yAxis, Qt::AlignLeft);
  frame->attachAxis(xAxis);
  frame->attachAxis(yAxis);
  xAxis->setRange(grid.xEdges.front(), grid.xEdges.back());
  yAxis->setRange(grid.yEdges.front(), grid.yEdges.back());
  for (QAbstractAxis* axis : {xAxis, yAxis}) {
    axis->setGridLineVisible(false);  // lines across the cells would read as cell borders
    axis->setMinorGridLineVisible(false);
  }
  // Room for the colour bar, its labels and its title.
  QFont font = chart->legend()->font();
  font.setPointSize(style.fontPointSize);
  const QFontMetricsF metrics(font);
  QMargins margins = chart->margins();
  margins.setRight(static_cast<int>(18 + kColorBarWidth + 12 + metrics.horizontalAdvance("-0.00e-00") + 2 * metrics.height()));
  chart->setMargins(margins);
  chart->legend()->setVisible(false);
  return new HeatmapItem(chart, frame, std::move(grid), style);
}

const HeatmapItem* heatmapOf(const QChart* chart) {
  if (!chart) return nullptr;
  // A child item of the chart, not a child object.
  for (QGraphicsItem* item : chart->childItems()) {
    if (const auto* heatmap = dynamic_cast<const HeatmapItem*>(item)) return heatmap;
  }
  return nullptr;
}

}  // namespace shellscope::ui
