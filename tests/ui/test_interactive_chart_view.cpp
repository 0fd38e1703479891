// The interactive chart view on a hand-made log-log chart with two entries: wheel, rubber band,
// key and drag zooms keep their anchor values, reset restores the exact ranges, legend clicks hide
// a whole entry, hover reports values in range, and a rebuilt chart keeps the user's zoom.
#include <QLineSeries>
#include <QPointer>
#include <QSignalSpy>
#include <QToolTip>
#include <QValueAxis>
#include <QWheelEvent>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtTest/QtTest>
#include <cmath>
#include <memory>

#include "ui/charts/chart_builders.h"
#include "ui/charts/interactive_chart_view.h"

using shellscope::ui::AxisRanges;
using shellscope::ui::InteractiveChartView;

namespace {

constexpr double kXLow = 1e-2, kXHigh = 1e2, kYLow = 1e-3, kYHigh = 1e1;

/// Two entries, each a named line (legend marker shown) and a "smoothed" line without a marker.
QChart* twoEntryChart() {
  const shellscope::ui::ChartStyle style;
  QChart* chart = shellscope::ui::newStyledChart("test", style);
  for (int entry = 0; entry < 2; ++entry) {
    auto* raw = new QLineSeries;
    auto* smooth = new QLineSeries;
    raw->setName(QString("run %1").arg(entry));
    smooth->setName(QString("run %1 smoothed").arg(entry));
    for (int i = 0; i <= 40; ++i) {
      const double x = std::pow(10.0, -2.0 + 4.0 * i / 40);
      raw->append(x, std::pow(10.0, -2.0 + entry + std::sin(i * 0.3)));
      smooth->append(x, std::pow(10.0, -2.0 + entry));
    }
    for (QLineSeries* s : {raw, smooth}) {
      s->setProperty("entry", entry);
      chart->addSeries(s);
    }
    for (QLegendMarker* m : chart->legend()->markers(smooth)) m->setVisible(false);
  }
  shellscope::ui::attachLogAxes(chart, "x", "y", kXLow, kXHigh, kYLow, kYHigh, style);
  return chart;
}

/// Same data, linear axes: a chart whose axis types differ from twoEntryChart's.
QChart* linearChart() {
  auto* chart = new QChart;
  auto* line = new QLineSeries;
  line->append(0, 0);
  line->append(10, 5);
  chart->addSeries(line);
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  x->setRange(0, 10);
  y->setRange(0, 5);
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  line->attachAxis(x);
  line->attachAxis(y);
  return chart;
}

double decades(double a, double b) { return std::abs(std::log10(a) - std::log10(b)); }
double span(double lo, double hi) { return std::log10(hi) - std::log10(lo); }

}  // namespace

class TestInteractiveChartView : public QObject {
  Q_OBJECT
 private:
  std::unique_ptr<InteractiveChartView> view_;

  QChart* chart() const { return view_->chart(); }
  QRectF plot() const { return chart()->plotArea(); }
  /// Viewport pixel of a point given as fractions of the plot area (0,0 = top left).
  QPoint at(double fx, double fy) const {
    const QRectF p = plot();
    return view_->mapFromScene(chart()->mapToScene(QPointF(p.left() + fx * p.width(), p.top() + fy * p.height())));
  }
  QPointF valueAt(const QPoint& viewportPos) const {
    return chart()->mapToValue(chart()->mapFromScene(view_->mapToScene(viewportPos)), chart()->series().first());
  }
  /// The anchor of a zoom or pan keeps its value to within 3 pixels: new axis labels can change
  /// their width and so move the plot area by a pixel or two.
  double anchorTolerance() const { return 3 * 4.0 / plot().width(); }
  void wheel(const QPoint& pos, int angle) {
    QWheelEvent event(pos, view_->viewport()->mapToGlobal(pos), QPoint(), QPoint(0, angle), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view_->viewport(), &event);
  }
  QLegendMarker* markerOf(int entry, bool smoothed) const {
    const QList<QAbstractSeries*> series = chart()->series();
    return chart()->legend()->markers(series.at(2 * entry + (smoothed ? 1 : 0))).first();
  }

 private Q_SLOTS:
  void init() {
    view_ = std::make_unique<InteractiveChartView>();
    view_->setChartOwned(twoEntryChart());
    view_->resize(800, 600);
    view_->show();
    QVERIFY(QTest::qWaitForWindowExposed(view_.get()));
    QVERIFY(plot().width() > 200 && plot().height() > 200);
  }
  void cleanup() { view_.reset(); }

  void startsAtTheChartsRanges() {
    const AxisRanges r = view_->currentRanges();
    QVERIFY(r.valid());
    QCOMPARE(r.xMin, kXLow);
    QCOMPARE(r.xMax, kXHigh);
    QCOMPARE(r.yMin, kYLow);
    QCOMPARE(r.yMax, kYHigh);
    QVERIFY(!view_->isZoomed());
    QVERIFY(view_->renderHints().testFlag(QPainter::Antialiasing));
  }

  void wheelZoomsAroundTheCursor() {
    QSignalSpy zoomed(view_.get(), &InteractiveChartView::zoomChanged);
    const QPoint cursor = at(0.3, 0.6);
    const QPointF before = valueAt(cursor);
    wheel(cursor, 120);
    QCOMPARE(zoomed.count(), 1);
    QVERIFY(view_->isZoomed());
    const AxisRanges r = view_->currentRanges();
    QVERIFY(std::abs(span(r.xMin, r.xMax) - InteractiveChartView::kZoomStep * 4.0) < 1e-9);
    QVERIFY(std::abs(span(r.yMin, r.yMax) - InteractiveChartView::kZoomStep * 4.0) < 1e-9);
    const QPointF after = valueAt(cursor);
    QVERIFY2(decades(after.x(), before.x()) < anchorTolerance(), qPrintable(QString("x %1 -> %2").arg(before.x()).arg(after.x())));
    QVERIFY2(decades(after.y(), before.y()) < anchorTolerance(), qPrintable(QString("y %1 -> %2").arg(before.y()).arg(after.y())));

    wheel(cursor, -120);  // back out: the original spans again
    const AxisRanges back = view_->currentRanges();
    QVERIFY(std::abs(span(back.xMin, back.xMax) - 4.0) < 1e-9);
    QCOMPARE(zoomed.count(), 2);

    wheel(at(0.5, 0.5) + QPoint(0, int(plot().height())), 120);  // below the plot area: ignored
    QCOMPARE(zoomed.count(), 2);
  }

  void resetRestoresExactRanges() {
    wheel(at(0.2, 0.2), 360);
    QTest::keyClick(view_.get(), Qt::Key_Right);
    QVERIFY(view_->isZoomed());
    QSignalSpy zoomed(view_.get(), &InteractiveChartView::zoomChanged);
    view_->resetZoom();
    QCOMPARE(zoomed.count(), 1);
    const AxisRanges r = view_->currentRanges();
    QCOMPARE(r.xMin, kXLow);
    QCOMPARE(r.xMax, kXHigh);
    QCOMPARE(r.yMin, kYLow);
    QCOMPARE(r.yMax, kYHigh);
    QVERIFY(!view_->isZoomed());
    view_->resetZoom();  // nothing changes: no signal
    QCOMPARE(zoomed.count(), 1);
  }

  void rubberBandZoomsToTheDraggedRectangle() {
    QSignalSpy zoomed(view_.get(), &InteractiveChartView::zoomChanged);
    const QPoint from = at(0.25, 0.25), to = at(0.75, 0.5);
    const QPointF low = valueAt(QPoint(from.x(), to.y())), high = valueAt(QPoint(to.x(), from.y()));
    QTest::mousePress(view_->viewport(), Qt::LeftButton, {}, from);
    QTest::mouseMove(view_->viewport(), to);
    QTest::mouseRelease(view_->viewport(), Qt::LeftButton, {}, to);
    QCOMPARE(zoomed.count(), 1);
    const AxisRanges r = view_->currentRanges();
    // The rubber band is whole pixels: allow about two pixels of a four-decade axis.
    const double pixel = 4.0 / plot().width();
    QVERIFY2(decades(r.xMin, low.x()) < 3 * pixel && decades(r.xMax, high.x()) < 3 * pixel,
             qPrintable(QString("x [%1, %2], expected [%3, %4]").arg(r.xMin).arg(r.xMax).arg(low.x()).arg(high.x())));
    QVERIFY2(decades(r.yMin, low.y()) < 3 * pixel && decades(r.yMax, high.y()) < 3 * pixel,
             qPrintable(QString("y [%1, %2], expected [%3, %4]").arg(r.yMin).arg(r.yMax).arg(low.y()).arg(high.y())));

    // A drag of a few pixels is a slip, not a zoom.
    const AxisRanges before = view_->currentRanges();
    QTest::mousePress(view_->viewport(), Qt::LeftButton, {}, at(0.5, 0.5));
    QTest::mouseMove(view_->viewport(), at(0.5, 0.5) + QPoint(2, 80));
    QTest::mouseRelease(view_->viewport(), Qt::LeftButton, {}, at(0.5, 0.5) + QPoint(2, 80));
    QCOMPARE(view_->currentRanges().xMin, before.xMin);
    QCOMPARE(view_->currentRanges().yMax, before.yMax);
    QCOMPARE(zoomed.count(), 1);
  }

  void keysZoomPanAndReset() {
    QSignalSpy zoomed(view_.get(), &InteractiveChartView::zoomChanged);
    const QPoint centre = at(0.5, 0.5);
    const QPointF centreValue = valueAt(centre);
    QTest::keyClick(view_.get(), Qt::Key_Plus);
    AxisRanges r = view_->currentRanges();
    QVERIFY(std::abs(span(r.xMin, r.xMax) - 4.0 * InteractiveChartView::kZoomStep) < 1e-9);
    QVERIFY(decades(valueAt(centre).x(), centreValue.x()) < anchorTolerance());
    QTest::keyClick(view_.get(), Qt::Key_Minus);
    r = view_->currentRanges();
    QVERIFY(std::abs(span(r.xMin, r.xMax) - 4.0) < 1e-9);
    QVERIFY(std::abs(span(r.yMin, r.yMax) - 4.0) < 1e-9);

    QTest::keyClick(view_.get(), Qt::Key_Left);  // a tenth of the x span towards lower values
    r = view_->currentRanges();
    QVERIFY(std::abs(std::log10(r.xMin) - (-2.4)) < 1e-9);
    QVERIFY(std::abs(std::log10(r.xMax) - 1.6) < 1e-9);
    QTest::keyClick(view_.get(), Qt::Key_Up);  // a tenth of the y span towards higher values
    r = view_->currentRanges();
    QVERIFY(std::abs(std::log10(r.yMin) - (-2.6)) < 1e-9);
    QVERIFY(std::abs(std::log10(r.yMax) - 1.4) < 1e-9);
    QCOMPARE(zoomed.count(), 4);

    QTest::keyClick(view_.get(), Qt::Key_0);
    r = view_->currentRanges();
    QCOMPARE(r.xMin, kXLow);
    QCOMPARE(r.yMax, kYHigh);
    QTest::keyClick(view_.get(), Qt::Key_Down);
    QTest::keyClick(view_.get(), Qt::Key_Home);
    QVERIFY(!view_->isZoomed());
    QCOMPARE(zoomed.count(), 7);
  }

  void dragPansWithTheHand_data() {
    QTest::addColumn<int>("button");
    QTest::addColumn<int>("modifiers");
    QTest::newRow("middle") << int(Qt::MiddleButton) << int(Qt::NoModifier);
    QTest::newRow("shift+left") << int(Qt::LeftButton) << int(Qt::ShiftModifier);
  }
  void dragPansWithTheHand() {
    QFETCH(int, button);
    QFETCH(int, modifiers);
    const auto b = Qt::MouseButton(button);
    const auto m = Qt::KeyboardModifiers(modifiers);
    QSignalSpy zoomed(view_.get(), &InteractiveChartView::zoomChanged);
    const QPoint from = at(0.4, 0.4), to = from + QPoint(100, 60);
    const QPointF grabbed = valueAt(from);
    QTest::mousePress(view_->viewport(), b, m, from);
    QTest::mouseMove(view_->viewport(), from + QPoint(50, 30));
    QTest::mouseMove(view_->viewport(), to);
    QTest::mouseRelease(view_->viewport(), b, m, to);
    QCOMPARE(zoomed.count(), 1);  // once per drag
    const QPointF under = valueAt(to);
    QVERIFY2(decades(under.x(), grabbed.x()) < anchorTolerance() && decades(under.y(), grabbed.y()) < anchorTolerance(),
             qPrintable(QString("(%1, %2) -> (%3, %4)").arg(grabbed.x()).arg(grabbed.y()).arg(under.x()).arg(under.y())));
    const AxisRanges r = view_->currentRanges();
    QVERIFY(r.xMin < kXLow && r.yMax > kYHigh);  // moved right and down: lower x, higher y shown
    QVERIFY(std::abs(span(r.xMin, r.xMax) - 4.0) < 1e-9);  // a pan keeps the span
  }

  void rightClickZoomsOutAroundTheCursor() {
    QSignalSpy zoomed(view_.get(), &InteractiveChartView::zoomChanged);
    const QPoint cursor = at(0.7, 0.3);
    const QPointF before = valueAt(cursor);
    QTest::mouseClick(view_->viewport(), Qt::RightButton, {}, cursor);
    QCOMPARE(zoomed.count(), 1);
    const AxisRanges r = view_->currentRanges();
    QVERIFY(std::abs(span(r.xMin, r.xMax) - 4.0 / InteractiveChartView::kZoomStep) < 1e-9);
    QVERIFY(decades(valueAt(cursor).x(), before.x()) < anchorTolerance());

    view_->setContextMenuPolicy(Qt::CustomContextMenu);  // the right button belongs to the menu
    QTest::ignoreMessage(QtWarningMsg, "Mouse event \"MousePress\" not accepted by receiving widget");
    QTest::mouseClick(view_->viewport(), Qt::RightButton, {}, cursor);
    QCOMPARE(zoomed.count(), 1);
    QCOMPARE(view_->currentRanges().xMin, r.xMin);
  }

  void legendClickTogglesTheWholeEntry() {
    QSignalSpy changed(view_.get(), &InteractiveChartView::entryVisibilityChanged);
    const QList<QAbstractSeries*> series = chart()->series();
    QLegendMarker* marker0 = markerOf(0, false);
    QVERIFY(marker0->isVisible());
    QVERIFY(!markerOf(0, true)->isVisible());
    const int labelAlpha = marker0->labelBrush().color().alpha();
    const QColor brushColor = marker0->brush().color();

    Q_EMIT marker0->clicked();
    QVERIFY(!series[0]->isVisible() && !series[1]->isVisible());
    QVERIFY(series[2]->isVisible() && series[3]->isVisible());
    QVERIFY(!view_->isEntryVisible(0));
    QVERIFY(view_->isEntryVisible(1));
    QVERIFY(marker0->isVisible());  // kept, to click again
    QVERIFY(marker0->labelBrush().color().alpha() <= 60);
    QVERIFY(marker0->brush().color().alpha() <= 60);
    QVERIFY(!markerOf(0, true)->isVisible());
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.last().at(0).toInt(), 0);
    QCOMPARE(changed.last().at(1).toBool(), false);

    Q_EMIT marker0->clicked();
    for (QAbstractSeries* s : series) QVERIFY(s->isVisible());
    QVERIFY(marker0->isVisible());
    QCOMPARE(marker0->labelBrush().color().alpha(), labelAlpha);
    QCOMPARE(marker0->brush().color(), brushColor);
    QVERIFY(!markerOf(0, true)->isVisible());  // Qt shows it with its series; the view hides it again
    QCOMPARE(changed.count(), 2);
    QCOMPARE(changed.last().at(1).toBool(), true);

    view_->setEntryVisible(1, false);
    QVERIFY(!series[2]->isVisible() && !series[3]->isVisible() && series[0]->isVisible());
    QVERIFY(markerOf(1, false)->isVisible());
    view_->setEntryVisible(1, false);  // no change: no signal
    QCOMPARE(changed.count(), 3);
    view_->setEntryVisible(1, true);
    QVERIFY(view_->isEntryVisible(1));
    QVERIFY(!markerOf(1, true)->isVisible());
  }

  void hoverReportsTheValueUnderTheCursor() {
    int calls = 0;
    QPointF seen;
    view_->setHoverText([&](const QPointF& value, const QPointF&) {
      ++calls;
      seen = value;
      return QString("x = %1").arg(value.x());
    });
    QSignalSpy hovered(view_.get(), &InteractiveChartView::hovered);
    QTest::mouseMove(view_->viewport(), at(0.5, 0.5));
    QCOMPARE(calls, 1);
    QCOMPARE(hovered.count(), 1);
    QVERIFY(seen.x() > kXLow && seen.x() < kXHigh && seen.y() > kYLow && seen.y() < kYHigh);
    QVERIFY(decades(seen.x(), 1.0) < 0.02);  // the middle of a 1e-2..1e2 axis is 1
    QVERIFY(QToolTip::isVisible());
    QCOMPARE(QToolTip::text(), QString("x = %1").arg(seen.x()));

    QTest::mouseMove(view_->viewport(), QPoint(3, 3));  // outside the plot area
    QCOMPARE(calls, 1);
    QTRY_VERIFY_WITH_TIMEOUT(!QToolTip::isVisible(), 2000);  // Qt hides tooltips after a short delay
  }

  void rebuiltChartKeepsTheZoom() {
    view_->setKeepZoomOnReplace(true);
    QTest::keyClick(view_.get(), Qt::Key_Plus);
    QTest::keyClick(view_.get(), Qt::Key_Left);
    const AxisRanges zoomed = view_->currentRanges();
    QPointer<QChart> old = chart();
    view_->setChartOwned(twoEntryChart());
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QVERIFY(old.isNull());
    AxisRanges r = view_->currentRanges();
    QCOMPARE(r.xMin, zoomed.xMin);
    QCOMPARE(r.xMax, zoomed.xMax);
    QCOMPARE(r.yMin, zoomed.yMin);
    QCOMPARE(r.yMax, zoomed.yMax);
    QVERIFY(view_->isZoomed());
    view_->resetZoom();  // the new chart's own ranges
    QCOMPARE(view_->currentRanges().xMin, kXLow);

    // The legend of the new chart is wired too.
    Q_EMIT markerOf(1, false)->clicked();
    QVERIFY(!view_->isEntryVisible(1));

    // Other axis types: the new chart keeps its own ranges.
    QTest::keyClick(view_.get(), Qt::Key_Plus);
    view_->setChartOwned(linearChart());
    r = view_->currentRanges();
    QCOMPARE(r.xMin, 0.0);
    QCOMPARE(r.xMax, 10.0);

    // Without keepZoom, a new chart shows its own ranges.
    view_->setChartOwned(twoEntryChart());
    QTest::keyClick(view_.get(), Qt::Key_Plus);
    view_->setKeepZoomOnReplace(false);
    view_->setChartOwned(twoEntryChart());
    QCOMPARE(view_->currentRanges().xMin, kXLow);
    QVERIFY(!view_->isZoomed());
  }
};

QTEST_MAIN(TestInteractiveChartView)
#include "test_interactive_chart_view.moc"
