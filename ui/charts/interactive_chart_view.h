#pragma once
// A chart view for the log-log charts of chart_builders: zoom, pan and reset, a hover read-out,
// and legend clicks that hide a whole run ("entry") at once. The view owns the chart it shows.

#include <QHash>
#include <QPointer>
#include <QSet>
#include <QtCharts/QChartView>
#include <functional>
#include <utility>
#include <vector>

#include "ui/charts/chart_builders.h"
#include "ui/document/cursor_model.h"

QT_BEGIN_NAMESPACE
class QRubberBand;
class QAbstractAxis;
class QAbstractSeries;
class QLegendMarker;
QT_END_NAMESPACE

namespace shellscope::ui {

/// Mouse and keys (linear and logarithmic value axes alike):
/// - left drag: rubber-band zoom (drags under 5 px are ignored);
/// - middle drag or Shift+left drag: pan;
/// - wheel over the plot area: zoom around the value under the cursor (elsewhere it goes to the parent);
/// - right click: zoom out one step around the cursor, unless contextMenuPolicy() is
///   Qt::CustomContextMenu or Qt::ActionsContextMenu (then the right button is left to the menu);
/// - + / -: zoom around the centre; arrow keys: pan by a tenth; 0 or Home: reset.
/// - with setAxisSpanSelection(true), a left drag on the strip under the plot area (the x axis and
///   its labels) selects a range of x: a band follows the mouse and axisSpanSelected() reports it.
/// - with linkCursor(), the mouse moves that axis's shared cursor (a dashed line in every linked
///   view), a click without dragging pins a cursor there (two at most; then the nearer moves), Esc
///   unpins them; pinned cursors are solid lines labelled 1 and 2. A view may link its bottom and
///   its left axis (the transport heatmap: steps across, λ up).
/// Legend clicks toggle every series whose "entry" property equals the clicked series' one; the
/// hidden entry's markers stay in the legend, faded.
class InteractiveChartView : public QChartView {
  Q_OBJECT
 public:
  /// Rich text for the tooltip at `value` (axis units); `widgetPos` is in chart pixels (the
  /// viewport's coordinates, those of QChart::mapToPosition). An empty string shows no tooltip.
  using HoverText = std::function<QString(const QPointF& value, const QPointF& widgetPos)>;

  /// Each wheel notch or key press scales the visible range (in log space on log axes) by this.
  static constexpr double kZoomStep = 0.8;

  explicit InteractiveChartView(QWidget* parent = nullptr);

  /// Shows `chart` (the view takes it; the previous chart is deleted later) and wires its legend.
  /// With keepZoomOnReplace() and a zoomed view, the new chart gets the previous bottom and left
  /// axis ranges when its axes are of the same types; resetZoom() still returns to its own ranges.
  /// A null chart shows an empty one.
  void setChartOwned(QChart* chart);
  void setKeepZoomOnReplace(bool keep) { keepZoomOnReplace_ = keep; }
  bool keepZoomOnReplace() const { return keepZoomOnReplace_; }

  void setHoverText(HoverText text) { hoverText_ = std::move(text); }
  void setAxisSpanSelection(bool enabled) { spanSelection_ = enabled; }
  bool axisSpanSelection() const { return spanSelection_; }

  /// The ranges of the bottom and left axes as shown (invalid when the chart has no such axes).
  AxisRanges currentRanges() const;
  /// Whether any axis range differs from the one the chart had when it was set.
  bool isZoomed() const;
  /// Shows `ranges` on the bottom and left axes (a saved view state); invalid ranges, or ranges
  /// a logarithmic axis cannot show, change nothing. Emits zoomChanged when something changed.
  void setRanges(const AxisRanges& ranges);

  /// Links an axis to `cursors`' `axis`: the bottom one (`along` Qt::Horizontal, cursors drawn as
  /// vertical lines) or the left one (Qt::Vertical, horizontal lines; the transport heatmap's λ).
  /// Null `cursors` unlinks that orientation. The view draws the hover and pinned positions and
  /// moves the hover with the mouse; a click pins on the links made with `pinOnClick`.
  void linkCursor(CursorModel* cursors, CursorAxis axis, Qt::Orientation along = Qt::Horizontal, bool pinOnClick = true);
  CursorModel* linkedCursors() const { return links_.empty() ? nullptr : cursors_; }
  /// Whether `axis` is linked, and along which orientation.
  bool isCursorLinked(CursorAxis axis, Qt::Orientation* along = nullptr) const;
  /// The bottom-axis value at chart x `chartX` (plot-area pixels), NaN outside the plot area.
  double bottomValueAt(double chartX) const;
  /// The chart x (pixels) of the bottom-axis value `value`, NaN when it is not inside the shown range.
  double chartXOf(double value) const;
  /// The same for the left axis and chart y.
  double leftValueAt(double chartY) const;
  double chartYOf(double value) const;

  /// Shows or hides every series of `entry`; emits entryVisibilityChanged when something changed.
  void setEntryVisible(int entry, bool visible);
  /// Whether any series of `entry` is visible.
  bool isEntryVisible(int entry) const;

 public Q_SLOTS:
  /// Restores the axis ranges the chart had when it was set.
  void resetZoom();
  /// Scales the visible ranges by `factor` (< 1 zooms in) around the centre of the plot area.
  void zoomBy(double factor);

 Q_SIGNALS:
  /// The axis ranges changed through this view (mouse, keys, resetZoom, zoomBy); once per drag.
  void zoomChanged();
  /// The value under the cursor, on every mouse move over the plot area.
  void hovered(QPointF value);
  void entryVisibilityChanged(int entry, bool visible);
  /// A range of the bottom axis chosen by a drag along it (axis units, from <= to).
  void axisSpanSelected(double from, double to);

 protected:
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void drawForeground(QPainter* painter, const QRectF& rect) override;

 private:
  struct AxisHome {
    QPointer<QAbstractAxis> axis;
    double min, max;
  };
  struct MarkerLook {
    QBrush label, brush;
    QPen pen;
  };

  QPointF toChart(const QPoint& viewportPos) const;
  void zoomAround(const QPointF& chartPos, double factor);
  void panByPixels(const QPointF& delta);
  void emitIfChanged(const AxisRanges& before);
  bool rightClickZooms() const;
  void wireLegend();
  void toggleMarker(QLegendMarker* marker);
  void syncMarkers(QAbstractSeries* series);
  void setFaded(QLegendMarker* marker, bool faded);
  void updateHover(const QPoint& viewportPos);
  void hideHover();

  struct CursorLink {
    CursorAxis axis;
    Qt::Orientation along;
    bool pinOnClick;
  };
  /// The value of `link`'s axis at chart position `chartPos`, NaN outside the plot area.
  double cursorValueAt(const CursorLink& link, const QPointF& chartPos) const;

  CursorModel* cursors_ = nullptr;
  std::vector<CursorLink> links_;  // at most one per orientation
  bool keepZoomOnReplace_ = false;
  HoverText hoverText_;
  std::vector<AxisHome> home_;
  QSet<QAbstractSeries*> legendless_;  // series whose markers the builder hid: never shown
  QHash<QLegendMarker*, MarkerLook> faded_;  // original looks of faded markers
  bool panning_ = false;
  QPoint lastPanPos_, pressPos_;
  AxisRanges rangesAtPress_;
  bool tipShown_ = false;
  bool spanSelection_ = false;
  bool spanning_ = false;
  QPoint spanStart_;
  QRubberBand* spanBand_ = nullptr;
  /// Whether `viewportPos` lies on the strip under the plot area where a span drag starts.
  bool onBottomAxis(const QPoint& viewportPos) const;
  void showSpan(const QPoint& to);
};

}  // namespace shellscope::ui
