#include "ui/charts/interactive_chart_view.h"

#include <QKeyEvent>
#include <QPainter>
#include <QMouseEvent>
#include <QRubberBand>
#include <QToolTip>
#include <QWheelEvent>
#include <QtCharts/QAbstractSeries>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>
#include <utility>

namespace shellscope::ui {

namespace {

constexpr int kFadedAlpha = 60;
constexpr int kMinRubberBandPixels = 5;  // smaller drags are slips of the hand, not zooms
constexpr double kPanStep = 0.1;          // arrow keys move a tenth of the plot area

bool isLog(const QAbstractAxis* axis) { return axis->type() == QAbstractAxis::AxisTypeLogValue; }

/// The range of a value or log axis; false for other axis types (categories, dates).
bool rangeOf(const QAbstractAxis* axis, double& min, double& max) {
  if (const auto* value = qobject_cast<const QValueAxis*>(axis)) {
    min = value->min();
    max = value->max();
    return true;
  }
  if (const auto* log = qobject_cast<const QLogValueAxis*>(axis)) {
    min = log->min();
    max = log->max();
    return true;
  }
  return false;
}

void setRangeOf(QAbstractAxis* axis, double min, double max) {
  if (auto* value = qobject_cast<QValueAxis*>(axis)) value->setRange(min, max);
  if (auto* log = qobject_cast<QLogValueAxis*>(axis)) log->setRange(min, max);
}

// Zoom and pan work in the space where the axis is linear: log space on log axes.
double toSpace(const QAbstractAxis* axis, double v) { return isLog(axis) ? std::log(v) : v; }
double fromSpace(const QAbstractAxis* axis, double s) { return isLog(axis) ? std::exp(s) : s; }

/// The axis at `alignment` (bottom or left), else the first of that orientation.
QAbstractAxis* axisAt(const QChart* chart, Qt::Orientation orientation, Qt::Alignment alignment) {
  const QList<QAbstractAxis*> axes = chart->axes(orientation);
  for (QAbstractAxis* axis : axes) {
    if (axis->alignment() == alignment) return axis;
  }
  return axes.isEmpty() ? nullptr : axes.first();
}
QAbstractAxis* bottomAxis(const QChart* chart) { return axisAt(chart, Qt::Horizontal, Qt::AlignBottom); }
QAbstractAxis* leftAxis(const QChart* chart) { return axisAt(chart, Qt::Vertical, Qt::AlignLeft); }

std::pair<QAbstractAxis::AxisType, QAbstractAxis::AxisType> axisTypes(const QChart* chart) {
  const QAbstractAxis* x = bottomAxis(chart);
  const QAbstractAxis* y = leftAxis(chart);
  return {x ? x->type() : QAbstractAxis::AxisTypeNoAxis, y ? y->type() : QAbstractAxis::AxisTypeNoAxis};
}

bool nearlyEqual(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)); }

QBrush faded(QBrush brush) {
  QColor color = brush.color();
  color.setAlpha(std::min(color.alpha(), kFadedAlpha));
  brush.setColor(color);
  return brush;
}

}  // namespace

InteractiveChartView::InteractiveChartView(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setRubberBand(QChartView::RectangleRubberBand);
  setMouseTracking(true);
  viewport()->setMouseTracking(true);  // mouse events of a QGraphicsView come from its viewport
  setFocusPolicy(Qt::StrongFocus);
}

void InteractiveChartView::setChartOwned(QChart* newChart) {
  if (!newChart) newChart = new QChart;
  QChart* old = chart();
  if (newChart == old) return;
  hideHover();
  panning_ = false;
  if (spanning_) {  // a drag across a chart replacement would map onto the new axes: dropped
    spanning_ = false;
    if (spanBand_) spanBand_->hide();
    viewport()->unsetCursor();
  }

  // The zoom to carry over, read before the old chart goes.
  const bool carry = keepZoomOnReplace_ && old && isZoomed();
  const AxisRanges previous = carry ? currentRanges() : AxisRanges{};
  const auto previousTypes = old ? axisTypes(old) : axisTypes(newChart);

  if (old) {
    for (QLegendMarker* marker : old->legend()->markers()) marker->disconnect(this);
  }
  home_.clear();
  legendless_.clear();
  faded_.clear();
  setChart(newChart);  // releases the old chart without deleting it
  // Later, not now: this may run inside a signal of the old chart (a legend click).
  if (old) old->deleteLater();

  // QChart::zoomReset() only undoes its own zoom steps, not setRange: keep the ranges ourselves.
  for (QAbstractAxis* axis : newChart->axes()) {
    double min = 0, max = 0;
    if (rangeOf(axis, min, max)) home_.push_back({axis, min, max});
  }
  wireLegend();

  if (carry && previous.valid() && axisTypes(newChart) == previousTypes) {
    setRangeOf(bottomAxis(newChart), previous.xMin, previous.xMax);
    setRangeOf(leftAxis(newChart), previous.yMin, previous.yMax);
  }
}

void InteractiveChartView::linkCursor(CursorModel* cursors, CursorAxis axis, Qt::Orientation along, bool pinOnClick) {
  links_.erase(std::remove_if(links_.begin(), links_.end(), [&](const CursorLink& l) { return l.along == along; }),
               links_.end());
  if (cursors) links_.push_back({axis, along, pinOnClick});
  if (cursors == cursors_ && (cursors || links_.empty())) {
    viewport()->update();
    return;
  }
  if (cursors_) cursors_->disconnect(this);
  if (!cursors) {  // unlinking one orientation keeps the model of the other
    if (links_.empty()) cursors_ = nullptr;
    viewport()->update();
    return;
  }
  cursors_ = cursors;
  const auto repaint = [this](CursorAxis changed) {
    if (isCursorLinked(changed)) viewport()->update();
  };
  connect(cursors_, &CursorModel::hoverChanged, this, repaint);
  connect(cursors_, &CursorModel::pinnedChanged, this, repaint);
  connect(cursors_, &QObject::destroyed, this, [this] {
    cursors_ = nullptr;
    links_.clear();
  });
  viewport()->update();
}

bool InteractiveChartView::isCursorLinked(CursorAxis axis, Qt::Orientation* along) const {
  for (const CursorLink& link : links_) {
    if (link.axis != axis) continue;
    if (along) *along = link.along;
    return true;
  }
  return false;
}

namespace {

/// The value at fraction `t` (0: low end) of `axis`'s shown range, NaN outside it.
double valueAtFraction(const QAbstractAxis* axis, double t) {
  double min = 0, max = 0;
  if (!axis || !rangeOf(axis, min, max) || !(t >= 0 && t <= 1)) return NAN;
  if (isLog(axis) && !(min > 0)) return NAN;
  return fromSpace(axis, toSpace(axis, min) + t * (toSpace(axis, max) - toSpace(axis, min)));
}

/// The fraction of `axis`'s shown range at which `value` lies, NaN when outside it.
double fractionOf(const QAbstractAxis* axis, double value) {
  double min = 0, max = 0;
  if (!axis || !rangeOf(axis, min, max) || !(max > min) || !std::isfinite(value)) return NAN;
  if (isLog(axis) && (!(min > 0) || !(value > 0))) return NAN;
  if (value < min || value > max) return NAN;
  return (toSpace(axis, value) - toSpace(axis, min)) / (toSpace(axis, max) - toSpace(axis, min));
}

}  // namespace

double InteractiveChartView::bottomValueAt(double chartX) const {
  const QRectF plot = chart()->plotArea();
  if (plot.width() <= 0) return NAN;
  return valueAtFraction(bottomAxis(chart()), (chartX - plot.left()) / plot.width());
}

double InteractiveChartView::chartXOf(double value) const {
  const QRectF plot = chart()->plotArea();
  return plot.left() + fractionOf(bottomAxis(chart()), value) * plot.width();
}

double InteractiveChartView::leftValueAt(double chartY) const {
  const QRectF plot = chart()->plotArea();
  if (plot.height() <= 0) return NAN;
  return valueAtFraction(leftAxis(chart()), (plot.bottom() - chartY) / plot.height());
}

double InteractiveChartView::chartYOf(double value) const {
  const QRectF plot = chart()->plotArea();
  return plot.bottom() - fractionOf(leftAxis(chart()), value) * plot.height();
}

double InteractiveChartView::cursorValueAt(const CursorLink& link, const QPointF& chartPos) const {
  return link.along == Qt::Horizontal ? bottomValueAt(chartPos.x()) : leftValueAt(chartPos.y());
}

void InteractiveChartView::drawForeground(QPainter* painter, const QRectF& rect) {
  QChartView::drawForeground(painter, rect);
  if (!cursors_ || links_.empty()) return;
  const QRectF plot = chart()->mapRectToScene(chart()->plotArea());
  const QColor ink = palette().color(QPalette::WindowText);
  painter->save();
  painter->setRenderHint(QPainter::Antialiasing, false);
  for (const CursorLink& link : links_) {
    const bool vertical = link.along == Qt::Horizontal;  // a bottom-axis cursor is a vertical line
    const auto line = [&](double value, Qt::PenStyle style, const QString& label) {
      const double at = vertical ? chartXOf(value) : chartYOf(value);
      if (!std::isfinite(at)) return;
      painter->setPen(QPen(ink, 1, style));
      if (vertical) {
        const double sceneX = chart()->mapToScene(QPointF(at, 0)).x();
        painter->drawLine(QPointF(sceneX, plot.top()), QPointF(sceneX, plot.bottom()));
        if (!label.isEmpty()) painter->drawText(QPointF(sceneX + 3, plot.top() + 12), label);
      } else {
        const double sceneY = chart()->mapToScene(QPointF(0, at)).y();
        painter->drawLine(QPointF(plot.left(), sceneY), QPointF(plot.right(), sceneY));
        if (!label.isEmpty()) painter->drawText(QPointF(plot.right() - 10, sceneY - 3), label);
      }
    };
    const std::vector<double>& pinned = cursors_->pinned(link.axis);
    for (std::size_t i = 0; i < pinned.size(); ++i) line(pinned[i], Qt::SolidLine, QString::number(i + 1));
    line(cursors_->hover(link.axis), Qt::DashLine, QString());
  }
  painter->restore();
}

void InteractiveChartView::leaveEvent(QEvent* event) {
  if (cursors_) {
    for (const CursorLink& link : links_) cursors_->setHover(link.axis, NAN);
  }
  QChartView::leaveEvent(event);
}

void InteractiveChartView::setRanges(const AxisRanges& ranges) {
  if (!ranges.valid() || !std::isfinite(ranges.xMin) || !std::isfinite(ranges.xMax) || !std::isfinite(ranges.yMin) ||
      !std::isfinite(ranges.yMax)) {
    return;
  }
  QAbstractAxis* x = bottomAxis(chart());
  QAbstractAxis* y = leftAxis(chart());
  if (!x || !y) return;
  const auto usable = [](QAbstractAxis* axis, double min) { return !qobject_cast<QLogValueAxis*>(axis) || min > 0; };
  if (!usable(x, ranges.xMin) || !usable(y, ranges.yMin)) return;
  const AxisRanges before = currentRanges();
  setRangeOf(x, ranges.xMin, ranges.xMax);
  setRangeOf(y, ranges.yMin, ranges.yMax);
  emitIfChanged(before);
}

AxisRanges InteractiveChartView::currentRanges() const {
  AxisRanges ranges;
  const QAbstractAxis* x = bottomAxis(chart());
  const QAbstractAxis* y = leftAxis(chart());
  if (!x || !y || !rangeOf(x, ranges.xMin, ranges.xMax) || !rangeOf(y, ranges.yMin, ranges.yMax)) return {};
  return ranges;
}

bool InteractiveChartView::isZoomed() const {
  for (const AxisHome& home : home_) {
    double min = 0, max = 0;
    if (home.axis && rangeOf(home.axis, min, max) && (!nearlyEqual(min, home.min) || !nearlyEqual(max, home.max))) {
      return true;
    }
  }
  return false;
}

void InteractiveChartView::resetZoom() {
  const AxisRanges before = currentRanges();
  for (const AxisHome& home : home_) {
    if (home.axis) setRangeOf(home.axis, home.min, home.max);
  }
  emitIfChanged(before);
}

void InteractiveChartView::zoomBy(double factor) {
  const AxisRanges before = currentRanges();
  zoomAround(chart()->plotArea().center(), factor);
  emitIfChanged(before);
}

// ---- zoom and pan -------------------------------------------------------------------------------

QPointF InteractiveChartView::toChart(const QPoint& viewportPos) const {
  return chart()->mapFromScene(mapToScene(viewportPos));
}

// Scales every axis range by `factor` around the value at `chartPos`, which keeps its pixel.
void InteractiveChartView::zoomAround(const QPointF& chartPos, double factor) {
  const QRectF plot = chart()->plotArea();
  if (plot.isEmpty() || !(factor > 0) || !std::isfinite(factor)) return;
  const double fx = (chartPos.x() - plot.left()) / plot.width();
  const double fy = (plot.bottom() - chartPos.y()) / plot.height();
  for (QAbstractAxis* axis : chart()->axes()) {
    double min = 0, max = 0;
    if (!rangeOf(axis, min, max)) continue;
    double f = axis->orientation() == Qt::Horizontal ? fx : fy;
    if (axis->isReverse()) f = 1 - f;
    const double lo = toSpace(axis, min), hi = toSpace(axis, max), centre = lo + f * (hi - lo);
    const double newLo = centre - (centre - lo) * factor, newHi = centre + (hi - centre) * factor;
    const double newMin = fromSpace(axis, newLo), newMax = fromSpace(axis, newHi);
    // Stop before the range collapses below double precision or overflows.
    const bool usable = std::isfinite(newMin) && std::isfinite(newMax) && newMax > newMin &&
                        newHi - newLo > 1e-12 * std::max({1.0, std::abs(newLo), std::abs(newHi)});
    if (usable) setRangeOf(axis, newMin, newMax);
  }
}

// Moves the contents by `delta` pixels (the plot follows the hand).
void InteractiveChartView::panByPixels(const QPointF& delta) {
  const QRectF plot = chart()->plotArea();
  if (plot.isEmpty()) return;
  for (QAbstractAxis* axis : chart()->axes()) {
    double min = 0, max = 0;
    if (!rangeOf(axis, min, max)) continue;
    double f = axis->orientation() == Qt::Horizontal ? -delta.x() / plot.width() : delta.y() / plot.height();
    if (axis->isReverse()) f = -f;
    const double lo = toSpace(axis, min), hi = toSpace(axis, max), shift = f * (hi - lo);
    const double newMin = fromSpace(axis, lo + shift), newMax = fromSpace(axis, hi + shift);
    if (std::isfinite(newMin) && std::isfinite(newMax) && newMax > newMin) setRangeOf(axis, newMin, newMax);
  }
}

void InteractiveChartView::emitIfChanged(const AxisRanges& before) {
  const AxisRanges now = currentRanges();
  if (now.xMin != before.xMin || now.xMax != before.xMax || now.yMin != before.yMin || now.yMax != before.yMax) {
    Q_EMIT zoomChanged();
  }
}

// ---- events ------------------------------------------------------------------------------------

bool InteractiveChartView::onBottomAxis(const QPoint& viewportPos) const {
  const QRectF plot = chart()->plotArea();
  const QPointF at = toChart(viewportPos);
  constexpr double kAxisStrip = 48;  // pixels under the plot: the axis line, its labels and title
  double bottom = plot.bottom() + kAxisStrip;
  // A legend under the plot keeps its clicks.
  QLegend* legend = chart()->legend();
  if (legend && legend->isVisible() && legend->alignment() == Qt::AlignBottom && legend->isAttachedToChart()) {
    bottom = std::min(bottom, legend->geometry().top());
  }
  return at.x() >= plot.left() && at.x() <= plot.right() && at.y() > plot.bottom() && at.y() <= bottom;
}

void InteractiveChartView::showSpan(const QPoint& to) {
  if (!spanBand_) spanBand_ = new QRubberBand(QRubberBand::Rectangle, viewport());
  const QRectF plot = chart()->plotArea();
  // Plot coordinates are the viewport's for an untransformed chart view (see toChart).
  const double lo = std::clamp(static_cast<double>(std::min(spanStart_.x(), to.x())), plot.left(), plot.right());
  const double hi = std::clamp(static_cast<double>(std::max(spanStart_.x(), to.x())), plot.left(), plot.right());
  spanBand_->setGeometry(mapFromScene(QPointF(lo, plot.top())).x(), mapFromScene(plot.topLeft()).y(),
                         std::max(1, static_cast<int>(hi - lo)), static_cast<int>(plot.height()));
  spanBand_->show();
}

void InteractiveChartView::mousePressEvent(QMouseEvent* event) {
  hideHover();
  const QPoint pos = event->position().toPoint();
  rangesAtPress_ = currentRanges();
  if (spanSelection_ && event->button() == Qt::LeftButton && onBottomAxis(pos)) {
    spanning_ = true;
    spanStart_ = pos;
    showSpan(pos);
    viewport()->setCursor(Qt::SizeHorCursor);
    event->accept();
    return;
  }
  const bool panButton = event->button() == Qt::MiddleButton ||
                         (event->button() == Qt::LeftButton && event->modifiers().testFlag(Qt::ShiftModifier));
  if (panButton && chart()->plotArea().contains(toChart(pos))) {
    panning_ = true;
    lastPanPos_ = pos;
    viewport()->setCursor(Qt::ClosedHandCursor);
    event->accept();
    return;
  }
  if (event->button() == Qt::RightButton && rightClickZooms()) {
    event->accept();  // the zoom happens on release
    return;
  }
  pressPos_ = pos;
  QChartView::mousePressEvent(event);  // starts the rubber band inside the plot area
}

void InteractiveChartView::mouseMoveEvent(QMouseEvent* event) {
  const QPoint pos = event->position().toPoint();
  if (spanning_) {
    showSpan(pos);
    event->accept();
    return;
  }
  if (panning_) {
    panByPixels(pos - lastPanPos_);
    lastPanPos_ = pos;
    event->accept();
    return;
  }
  QChartView::mouseMoveEvent(event);
  if (event->buttons() == Qt::NoButton) updateHover(pos);
  if (cursors_) {
    for (const CursorLink& link : links_) cursors_->setHover(link.axis, cursorValueAt(link, toChart(pos)));
  }
}

void InteractiveChartView::mouseReleaseEvent(QMouseEvent* event) {
  const QPoint pos = event->position().toPoint();
  if (spanning_ && event->button() == Qt::LeftButton) {
    spanning_ = false;
    if (spanBand_) spanBand_->hide();
    viewport()->unsetCursor();
    event->accept();
    if (std::abs(pos.x() - spanStart_.x()) < kMinRubberBandPixels) return;
    const QRectF plot = chart()->plotArea();
    const auto valueAt = [&](int x) {
      const double clamped = std::clamp(toChart(QPoint(x, 0)).x(), plot.left(), plot.right());
      return chart()->mapToValue(QPointF(clamped, plot.center().y())).x();
    };
    const double a = valueAt(spanStart_.x()), b = valueAt(pos.x());
    Q_EMIT axisSpanSelected(std::min(a, b), std::max(a, b));
    return;
  }
  if (panning_ && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
    panning_ = false;
    viewport()->unsetCursor();
    event->accept();
    emitIfChanged(rangesAtPress_);
    return;
  }
  if (event->button() == Qt::RightButton) {
    if (!rightClickZooms()) {
      QGraphicsView::mouseReleaseEvent(event);  // not QChartView's, which would zoom out
      return;
    }
    // QChartView would zoom out by 2 around the centre; one step around the cursor matches the wheel.
    const QRectF plot = chart()->plotArea();
    const QPointF at = plot.contains(toChart(pos)) ? toChart(pos) : plot.center();
    const AxisRanges before = currentRanges();
    zoomAround(at, 1.0 / kZoomStep);
    emitIfChanged(before);
    event->accept();
    return;
  }
  if (event->button() == Qt::LeftButton) {
    QRubberBand* band = nullptr;  // QChartView's zoom band, not the span band
    for (QRubberBand* candidate : findChildren<QRubberBand*>()) {
      if (candidate != spanBand_) band = candidate;
    }
    const QPoint drag = pos - pressPos_;
    const bool click = std::abs(drag.x()) < kMinRubberBandPixels && std::abs(drag.y()) < kMinRubberBandPixels;
    if (click && cursors_) {  // a click pins the linked cursors that pin
      for (const CursorLink& link : links_) {
        const double value = cursorValueAt(link, toChart(pos));
        if (link.pinOnClick && std::isfinite(value)) cursors_->pin(link.axis, value);
      }
    }
    if (band && band->isVisible() &&
        (std::abs(drag.x()) < kMinRubberBandPixels || std::abs(drag.y()) < kMinRubberBandPixels)) {
      band->hide();
      event->accept();
      return;
    }
    QChartView::mouseReleaseEvent(event);  // zooms to the rubber band
    emitIfChanged(rangesAtPress_);
    return;
  }
  QChartView::mouseReleaseEvent(event);
}

bool InteractiveChartView::rightClickZooms() const {
  const Qt::ContextMenuPolicy menu = contextMenuPolicy();
  return menu != Qt::CustomContextMenu && menu != Qt::ActionsContextMenu;
}

void InteractiveChartView::wheelEvent(QWheelEvent* event) {
  const QPointF at = toChart(event->position().toPoint());
  const int delta = event->angleDelta().y();
  if (delta == 0 || !chart()->plotArea().contains(at)) {
    event->ignore();  // a scroll area around the view may want it
    return;
  }
  const AxisRanges before = currentRanges();
  zoomAround(at, std::pow(kZoomStep, delta / 120.0));  // 120 = one notch
  emitIfChanged(before);
  event->accept();
}

void InteractiveChartView::keyPressEvent(QKeyEvent* event) {
  const QSizeF plot = chart()->plotArea().size();
  const auto pan = [&](double dx, double dy) {
    const AxisRanges before = currentRanges();
    panByPixels({dx * plot.width(), dy * plot.height()});
    emitIfChanged(before);
  };
  switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:  // the + key without Shift on most layouts
      zoomBy(kZoomStep);
      break;
    case Qt::Key_Minus:
      zoomBy(1.0 / kZoomStep);
      break;
    case Qt::Key_Left:  // show lower x: the contents move right
      pan(kPanStep, 0);
      break;
    case Qt::Key_Right:
      pan(-kPanStep, 0);
      break;
    case Qt::Key_Up:  // show higher y: the contents move down
      pan(0, kPanStep);
      break;
    case Qt::Key_Down:
      pan(0, -kPanStep);
      break;
    case Qt::Key_0:
    case Qt::Key_Home:
      resetZoom();
      break;
    case Qt::Key_Escape:
      if (!cursors_ || (cursors_->pinned(CursorAxis::Lambda).empty() && cursors_->pinned(CursorAxis::Step).empty())) {
        QChartView::keyPressEvent(event);
        return;
      }
      cursors_->clearPinned();
      break;
    default:
      QChartView::keyPressEvent(event);
      return;
  }
  event->accept();
}

// ---- legend ------------------------------------------------------------------------------------

void InteractiveChartView::wireLegend() {
  QLegend* legend = chart()->legend();
  // A marker reads as hidden while its legend is: show the legend briefly to see which markers
  // the builder hid on purpose.
  const bool legendShown = legend->isVisible();
  if (!legendShown) legend->setVisible(true);
  for (QAbstractSeries* series : chart()->series()) {
    const QList<QLegendMarker*> markers = legend->markers(series);
    const bool anyShown = std::any_of(markers.begin(), markers.end(), [](QLegendMarker* m) { return m->isVisible(); });
    if (series->isVisible() && !markers.isEmpty() && !anyShown) legendless_.insert(series);
  }
  if (!legendShown) legend->setVisible(false);

  for (QLegendMarker* marker : legend->markers()) {
    connect(marker, &QLegendMarker::clicked, this, [this, marker] { toggleMarker(marker); });
  }
  for (QAbstractSeries* series : chart()->series()) {
    if (!series->isVisible()) syncMarkers(series);  // hidden by the builder: fade its marker
  }
}

void InteractiveChartView::toggleMarker(QLegendMarker* marker) {
  QAbstractSeries* series = marker->series();
  if (!series) return;
  bool ok = false;
  const int entry = series->property("entry").toInt(&ok);
  if (ok) {
    setEntryVisible(entry, !isEntryVisible(entry));
    return;
  }
  series->setVisible(!series->isVisible());
  syncMarkers(series);
}

void InteractiveChartView::setEntryVisible(int entry, bool visible) {
  bool changed = false;
  for (QAbstractSeries* series : chart()->series()) {
    bool ok = false;
    if (series->property("entry").toInt(&ok) != entry || !ok) continue;
    if (series->isVisible() != visible) {
      series->setVisible(visible);
      changed = true;
    }
    syncMarkers(series);
  }
  if (changed) Q_EMIT entryVisibilityChanged(entry, visible);
}

bool InteractiveChartView::isEntryVisible(int entry) const {
  for (QAbstractSeries* series : chart()->series()) {
    bool ok = false;
    if (series->property("entry").toInt(&ok) == entry && ok && series->isVisible()) return true;
  }
  return false;
}

// Qt hides a series' markers with it and shows them all again with it: undo both where unwanted.
void InteractiveChartView::syncMarkers(QAbstractSeries* series) {
  for (QLegendMarker* marker : chart()->legend()->markers(series)) {
    if (legendless_.contains(series)) {
      marker->setVisible(false);
      continue;
    }
    marker->setVisible(true);  // stays clickable to show the series again
    setFaded(marker, !series->isVisible());
  }
}

void InteractiveChartView::setFaded(QLegendMarker* marker, bool fade) {
  if (fade) {
    if (faded_.contains(marker)) return;
    const MarkerLook look{marker->labelBrush(), marker->brush(), marker->pen()};
    faded_.insert(marker, look);
    marker->setLabelBrush(faded(look.label));
    marker->setBrush(faded(look.brush));
    QPen pen = look.pen;
    pen.setBrush(faded(pen.brush()));
    marker->setPen(pen);
    return;
  }
  const auto it = faded_.find(marker);
  if (it == faded_.end()) return;
  marker->setLabelBrush(it->label);
  marker->setBrush(it->brush);
  marker->setPen(it->pen);
  faded_.erase(it);
}

// ---- hover -------------------------------------------------------------------------------------

void InteractiveChartView::updateHover(const QPoint& viewportPos) {
  QChart* c = chart();
  const QPointF at = toChart(viewportPos);
  const QList<QAbstractSeries*> series = c->series();
  if (series.isEmpty() || !c->plotArea().contains(at)) {
    hideHover();
    return;
  }
  const QPointF value = c->mapToValue(at, series.first());
  Q_EMIT hovered(value);
  if (!hoverText_) return;
  const QString text = hoverText_(value, at);
  if (text.isEmpty()) {
    hideHover();
    return;
  }
  // The rect makes Qt hide the tip once the cursor leaves the plot area.
  const QRect plotRect = mapFromScene(c->mapToScene(c->plotArea())).boundingRect();
  QToolTip::showText(viewport()->mapToGlobal(viewportPos), text, viewport(), plotRect);
  tipShown_ = true;
}

void InteractiveChartView::hideHover() {
  if (!tipShown_) return;
  QToolTip::hideText();
  tipShown_ = false;
}

}  // namespace shellscope::ui
