// The chart views on a session with known profiles: series, axes and legend of the profile view;
// the animation's interpolation and its timeline through every checkpoint; the overlay's alignment
// against the shifts the session was built with; trends; and every export format written at the
// size asked for, with the data shown as CSV.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTest>
#include <QTemporaryDir>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <QtCharts/QXYSeries>
#include <cmath>
#include <memory>

#include "session_fixtures.h"
#include "test_support.h"
#include "ui/charts/animation_chart.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/charts/profile_animation.h"
#include "ui/figures/animation_export_job.h"
#include "ui/figures/figure_export.h"
#include "ui/views/animation_view.h"
#include "ui/views/overlay_view.h"
#include "ui/views/profile_view.h"
#include "ui/views/trends_view.h"
#include "shellscope/analysis/validation.h"
#include "shellscope/spectral/profile.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

QStringList visibleLegendNames(QChart* chart) {
  QStringList names;
  for (QLegendMarker* marker : chart->legend()->markers()) {
    if (marker->isVisible()) names << marker->label();
  }
  return names;
}

QList<QLineSeries*> seriesNamed(QChart* chart, const QString& name) {
  QList<QLineSeries*> found;
  for (QAbstractSeries* s : chart->series()) {
    if (auto* line = qobject_cast<QLineSeries*>(s); line && line->name() == name) found << line;
  }
  return found;
}

}  // namespace

class TestViews : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString path_;
  std::unique_ptr<SessionDocument> document_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    path_ = dir_.filePath("fixture.h5");
    writeSession(path_.toStdString(), testing::fixtureSession());
    document_ = std::make_unique<SessionDocument>();
    QVERIFY(testing::openAndAnalyse(*document_, path_));
    QCOMPARE(document_->session().runs.size(), size_t(10));
  }

  void profileViewShowsCheckedRunsOnLogAxes() {
    ProfileView view(document_.get());
    view.resize(900, 600);
    view.rebuildNow();
    QChart* chart = view.chartView()->chart();
    QVERIFY(chart);
    // By default the first model's checkpoints are checked: one named raw profile each.
    const std::vector<const Run*> runs = document_->runsOf("small");
    QCOMPARE(visibleLegendNames(chart), (QStringList{"step 0", "step 100", "step 200", "step 400", "step 800"}));
    auto* x = qobject_cast<QLogValueAxis*>(chart->axes(Qt::Horizontal).value(0));
    auto* y = qobject_cast<QLogValueAxis*>(chart->axes(Qt::Vertical).value(0));
    QVERIFY(x && y);
    QVERIFY(x->titleText().contains(QString::fromUtf8("λ")));
    QVERIFY(y->titleText().contains("E<sub>"));
    // The axes hold every drawn point down to nine decades below the top (deeper shells are
    // clipped on purpose), and the raw series are the runs' profiles point by point.
    for (const Run* run : runs) {
      const QString name = QString("step %1").arg(run->meta.step);
      const QList<QLineSeries*> raw = seriesNamed(chart, name);
      QCOMPARE(raw.size(), 1);
      const std::vector<ProfilePoint> points = profilePoints(*run);
      QCOMPARE(raw.front()->count(), static_cast<int>(points.size()));
      for (int i = 0; i < raw.front()->count(); ++i) {
        QCOMPARE(raw.front()->at(i).x(), points[i].lambdaCentre);
        QCOMPARE(raw.front()->at(i).y(), points[i].energy);
        QVERIFY(raw.front()->at(i).x() >= x->min() && raw.front()->at(i).x() <= x->max());
        QVERIFY(raw.front()->at(i).y() <= y->max());
        QVERIFY(raw.front()->at(i).y() >= y->min() || raw.front()->at(i).y() < 1e-8 * y->max());
      }
      QCOMPARE(raw.front()->pen().color(), document_->colorOf(*run));
    }
    // Colours run along the map by step: all different.
    QCOMPARE(document_->colorOf(*runs.front()) == document_->colorOf(*runs.back()), false);
  }

  void aBaseCheckpointShowsTheDifferencesWithPairedBands() {
    ProfileView view(document_.get());
    view.resize(900, 600);
    const std::vector<const Run*> runs = document_->runsOf("small");
    std::vector<std::string> all;
    for (const Run& r : document_->session().runs) all.push_back(r.id);
    document_->setChecked(all, false);
    document_->setChecked(std::vector<std::string>{runs[1]->id, runs[3]->id}, true);
    QVERIFY(!view.setBaseRun("no-such-run"));
    QVERIFY(view.setBaseRun(runs.front()->id));  // offered although not checked: a run of the checked model
    view.rebuildNow();
    const std::vector<DifferenceEntry> diffs = view.differences();
    QCOMPARE(static_cast<int>(diffs.size()), 2);
    // ΔE against the per-batch arrays directly, on the common shells.
    for (const DifferenceEntry& e : diffs) {
      const Run* run = document_->session().findRun(e.difference.runId);
      const Run& base = *runs.front();
      QCOMPARE(e.difference.baseRunId, base.id);
      QCOMPARE(e.difference.paired, run->batchIndex == base.batchIndex);
      for (int j = 0; j < e.difference.window.shellCount; ++j) {
        const double direct = run->shellEnergyBatches.col(e.difference.runFirstShell + j).mean() -
                              base.shellEnergyBatches.col(e.difference.baseFirstShell + j).mean();
        QVERIFY(std::abs(e.difference.delta(j) - direct) <= 1e-12 * std::max(1.0, std::abs(direct)));
      }
    }
    QChart* chart = view.chartView()->chart();
    QVERIFY(chart && chart->title().contains("since small step 0"));
    auto* y = qobject_cast<QValueAxis*>(chart->axes(Qt::Vertical).value(0));
    QVERIFY(y && y->min() <= 0 && y->max() >= 0);
    QCOMPARE(visibleLegendNames(chart), (QStringList{QString("step %1").arg(runs[1]->meta.step), QString("step %1").arg(runs[3]->meta.step)}));
    // The CSV holds exactly the drawn points.
    const QStringList lines = view.shownDataCsv().trimmed().split('\n');
    int drawn = 0;
    for (QAbstractSeries* s : chart->series()) {
      auto* line = qobject_cast<QLineSeries*>(s);
      if (line && line->property("entry").isNull() && visibleLegendNames(chart).contains(line->name())) drawn += line->count();
    }
    QCOMPARE(lines.size() - 1, drawn);
    QVERIFY(lines.front().startsWith("run_id,base_run_id,paired,shell"));
    // The ratio on a log axis, and back to the profiles.
    view.setDifferenceQuantity(DifferenceQuantity::Ratio);
    view.rebuildNow();
    QVERIFY(qobject_cast<QLogValueAxis*>(view.chartView()->chart()->axes(Qt::Vertical).value(0)));
    QVERIFY(view.setBaseRun(""));
    view.rebuildNow();
    QVERIFY(qobject_cast<QLogValueAxis*>(view.chartView()->chart()->axes(Qt::Vertical).value(0)));
    QVERIFY(!view.chartView()->chart()->title().contains("since"));
    document_->setChecked(all, false);
    document_->setChecked(std::vector<std::string>{runs.front()->id, runs[1]->id, runs[2]->id, runs[3]->id, runs[4]->id}, true);
  }

  void oneRunShowsEveryLayerAndLegendClicksHideSeries() {
    ProfileView view(document_.get());
    const Run* run = document_->runsOf("small").back();
    std::vector<std::string> all;
    for (const Run& r : document_->session().runs) all.push_back(r.id);
    document_->setChecked(all, false);
    document_->setChecked(run->id, true);
    ProfileLayers layers;
    layers.smoothed = layers.band = layers.minimum = layers.piecewise = layers.theory = layers.components = true;
    view.setLayers(layers);
    view.rebuildNow();
    QChart* chart = view.chartView()->chart();
    const QStringList names = visibleLegendNames(chart);
    for (const QString& expected : {QString("95% bootstrap band"), QString("minimum over batches"), QString("smoothed"),
                                    QString("piecewise fit"), QString("power law (low side)")}) {
      QVERIFY2(names.contains(expected), qPrintable(names.join(", ")));
    }
    QVERIFY(names.filter("theory").size() == 1);
    QVERIFY(names.filter(QString::fromUtf8("frontier λ*")).size() == 1);
    // The frontier line sits at the analysed λ*.
    const analysis::RunAnalysis* a = document_->analysisOf(run->id);
    QVERIFY(a && a->frontier.status.ok());
    for (QAbstractSeries* s : chart->series()) {
      if (s->name().startsWith(QString::fromUtf8("frontier λ*"))) {
        QCOMPARE(qobject_cast<QLineSeries*>(s)->at(0).x(), a->frontier.lambda);
      }
    }
    // One entry: hiding it hides every series of the run.
    view.chartView()->setEntryVisible(0, false);
    for (QAbstractSeries* s : chart->series()) QVERIFY(!s->isVisible());
    view.chartView()->setEntryVisible(0, true);
    for (QAbstractSeries* s : chart->series()) QVERIFY(s->isVisible());
    document_->setChecked(all, false);
    document_->setChecked(std::vector<std::string>{document_->runsOf("small").front()->id}, true);
  }

  void quadratureBoundsAndUnconvergedShellsAreDrawn() {
    // A run whose lowest three non-empty shells have bounds wider than their energy.
    Run run = *document_->runsOf("small").back();
    const std::vector<ProfilePoint> points = profilePoints(run);
    QVERIFY(points.size() > 5);
    run.shellEnergyLower = run.shellEnergy * 0.9;
    run.shellEnergyUpper = run.shellEnergy * 1.1;
    for (int i = 0; i < 3; ++i) {
      run.shellEnergyLower(points[static_cast<size_t>(i)].shell) = 0;
      run.shellEnergyUpper(points[static_cast<size_t>(i)].shell) = 2.5 * points[static_cast<size_t>(i)].energy + 1e-3 * run.meanErrorNorm2();
    }
    const std::vector<bool> marked = run.unconvergedShells();
    QCOMPARE(std::count(marked.begin(), marked.end(), true), 3);
    ProfileLayers layers;
    layers.quadrature = true;
    std::unique_ptr<QChart> chart(layeredProfileChart({{&run, nullptr, Qt::black, "run"}}, layers, "t"));
    QAreaSeries* bounds = nullptr;
    QScatterSeries* rings = nullptr;
    for (QAbstractSeries* series : chart->series()) {
      if (series->name() == "quadrature bounds (Gauss-Radau)") bounds = qobject_cast<QAreaSeries*>(series);
      if (series->name().startsWith("unconverged")) rings = qobject_cast<QScatterSeries*>(series);
    }
    QVERIFY(bounds && rings);
    QCOMPARE(bounds->upperSeries()->count(), static_cast<int>(points.size()));
    QCOMPARE(bounds->upperSeries()->at(0).y(), run.shellEnergyUpper(points[0].shell));
    QCOMPARE(rings->count(), 3);
    QCOMPARE(rings->at(0).x(), points[0].lambdaCentre);
    // A run without bounds (an older session) draws neither.
    Run old = *document_->runsOf("small").back();
    old.shellEnergyLower.resize(0);
    old.shellEnergyUpper.resize(0);
    std::unique_ptr<QChart> plain(layeredProfileChart({{&old, nullptr, Qt::black, "run"}}, layers, "t"));
    for (QAbstractSeries* series : plain->series()) {
      QVERIFY(!series->name().startsWith("quadrature") && !series->name().startsWith("unconverged"));
    }
  }

  void valuesALogAxisCannotDrawAreLeftOutAndSaidSo() {
    // +inf once sent Qt Charts into an endless setRange recursion; NaN and negative energies
    // were drawn as garbage. They are left out, and the chart says how many.
    Run run = *document_->runsOf("small").back();
    const std::vector<ProfilePoint> before = profilePoints(run);
    run.shellEnergy(before[1].shell) = INFINITY;
    run.shellEnergy(before[2].shell) = std::nan("");
    run.shellEnergy(before[3].shell) = -1.0;
    run.shellEnergyUpper = run.shellEnergy * 1.1;  // bounds inherit the bad values
    run.shellEnergyLower = run.shellEnergy * 0.9;
    QCOMPARE(undrawableShellCount(run), 3);
    QCOMPARE(profilePoints(run).size(), before.size() - 3);
    const analysis::RunAnalysis a = analysis::analyzeRun(run, analysis::AnalysisOptions{});
    for (QChart* chart : {analysisChart(run, a), profileChart({&run}, QStringLiteral("bad values"))}) {
      std::unique_ptr<QChart> owned(chart);
      QVERIFY2(chart->title().contains(QStringLiteral("3 shell(s) with non-finite or negative energy not shown")),
               qPrintable(chart->title()));
      for (QAbstractSeries* s : chart->series()) {
        auto* xy = qobject_cast<QXYSeries*>(s);
        if (!xy) continue;
        for (const QPointF& p : xy->points()) QVERIFY(std::isfinite(p.x()) && std::isfinite(p.y()) && p.x() > 0 && p.y() > 0);
      }
      for (QAbstractAxis* axis : chart->axes()) {
        auto* log = qobject_cast<QLogValueAxis*>(axis);
        QVERIFY(log && std::isfinite(log->min()) && std::isfinite(log->max()) && log->min() > 0);
      }
      // And it exports (this is what crashed `render`).
      const QString file = dir_.filePath("bad-values.png");
      ExportOptions options;
      options.size = QSize(600, 400);
      exportChart(chart, file, options);
      QVERIFY(QImage(file).width() > 0);
    }
  }

  void animationInterpolatesInLogSpace() {
    const std::vector<const Run*> runs = document_->runsOf("small");
    const ProfileAnimation animation(runs, {}, 0.25);
    QCOMPARE(animation.checkpointCount(), 5);
    // At a checkpoint the frame is that checkpoint's profile.
    const AnimationFrame atSecond = animation.frameAt(1.0);
    const std::vector<QPointF> second = animation.checkpointProfile(1);
    QCOMPARE(atSecond.raw.size(), second.size());
    for (std::size_t i = 0; i < second.size(); ++i) {
      QCOMPARE(atSecond.raw[i].x(), second[i].x());
      QVERIFY(std::abs(atSecond.raw[i].y() / second[i].y() - 1) < 1e-12);
    }
    // Half-way: geometric means of the energies of shells both have, and of the steps.
    const AnimationFrame half = animation.frameAt(1.5);
    QCOMPARE(half.lower, 1);
    QCOMPARE(half.upper, 2);
    QCOMPARE(half.step, std::sqrt(100.0 * 200.0));
    const Run& a = *runs[1];
    const Run& b = *runs[2];
    int compared = 0;
    for (const QPointF& p : half.raw) {
      const int ia = a.window.locate(p.x()), ib = b.window.locate(p.x());
      if (ia < 0 || ia >= a.shellCount() || ib < 0 || ib >= b.shellCount()) continue;
      const double ea = a.shellEnergy(ia), eb = b.shellEnergy(ib);
      if (!(ea > 0 && eb > 0)) continue;
      QVERIFY(std::abs(p.y() / std::sqrt(ea * eb) - 1) < 1e-9);
      ++compared;
    }
    QVERIFY(compared > 10);
    // The frontier moves between the two checkpoints' frontiers (in log space), and the trail
    // holds the passed checkpoints plus the current point.
    const AnimationFrame fa = animation.frameAt(1.0), fb = animation.frameAt(2.0);
    QVERIFY(half.hasFrontier && fa.hasFrontier && fb.hasFrontier);
    QVERIFY(std::abs(std::log10(half.frontier.x()) - 0.5 * (std::log10(fa.frontier.x()) + std::log10(fb.frontier.x()))) < 1e-12);
    QCOMPARE(animation.trail(1.5).size(), size_t(3));
    // Positions outside the timeline are clamped.
    QCOMPARE(animation.frameAt(-3).position, 0.0);
    QCOMPARE(animation.frameAt(99).position, 4.0);
  }

  void animationStepsThroughEveryCheckpoint() {
    AnimationView view(document_.get());
    view.resize(1100, 650);
    view.setModel("small");
    QCOMPARE(view.checkpointCount(), 5);
    view.setPosition(0);
    std::vector<double> steps{view.currentStep()};
    for (int i = 1; i < view.checkpointCount(); ++i) {
      view.stepForward();
      QCOMPARE(view.position(), double(i));
      steps.push_back(view.currentStep());
    }
    QCOMPARE(steps, (std::vector<double>{0, 100, 200, 400, 800}));
    view.stepForward();  // stays at the end
    QCOMPARE(view.position(), 4.0);
    view.stepBackward();
    QCOMPARE(view.position(), 3.0);
    // The chart's title follows the timeline.
    QVERIFY(view.chartView()->chart()->title().contains("step 400"));

    // Playing runs the timeline to the end through increasing positions, then stops.
    QSignalSpy moved(&view, &AnimationView::positionChanged);
    view.setPosition(0);
    view.play();
    QVERIFY(view.isPlaying());
    QTRY_VERIFY_WITH_TIMEOUT(!view.isPlaying(), 15000);
    QCOMPARE(view.position(), 4.0);
    QVERIFY(moved.count() >= 4);
    for (int i = 1; i < moved.count(); ++i) QVERIFY(moved.at(i).at(0).toDouble() >= moved.at(i - 1).at(0).toDouble());
  }

  void overlayAlignsModelsByTheKnownShift() {
    OverlayView view(document_.get());
    QSignalSpy ready(&view, &OverlayView::alignmentsReady);
    view.setModelsChecked({"small", "large"});
    view.setStep(800);
    view.setAligned(true);
    QTRY_VERIFY_WITH_TIMEOUT(!view.isAligning() && !view.alignments().empty(), 30000);
    const analysis::Alignment& a = view.alignments().front();
    QVERIFY2(a.status.ok(), a.status.text().c_str());
    QCOMPARE(a.reference, std::string("small"));
    QCOMPARE(a.other, std::string("large"));
    QVERIFY2(std::abs(a.peakDisplacement - std::log10(testing::kLargeLambdaFactor)) < 0.05, qPrintable(QString::number(a.peakDisplacement)));
    QVERIFY2(std::abs(a.amplitudeShift - std::log10(testing::kLargeEnergyFactor)) < 0.05, qPrintable(QString::number(a.amplitudeShift)));
    // Aligned, the large model's raw profile is drawn shifted back by the fitted numbers, point by
    // point, and the title says so.
    QTRY_VERIFY(view.chartView()->chart() != nullptr);
    QChart* chart = view.chartView()->chart();
    QVERIFY2(chart->title().contains("aligned onto small"), qPrintable(chart->title()));
    const Run& largeRun = *document_->runsOf("large").back();
    const QList<QLineSeries*> large = seriesNamed(chart, modelSizeLabel(largeRun));
    QCOMPARE(large.size(), 1);
    const std::vector<ProfilePoint> points = profilePoints(largeRun);
    QCOMPARE(large.front()->count(), static_cast<int>(points.size()));
    for (int i = 0; i < large.front()->count(); ++i) {
      QVERIFY(std::abs(std::log10(large.front()->at(i).x() / points[i].lambdaCentre) + a.peakDisplacement) < 1e-9);
      QVERIFY(std::abs(std::log10(large.front()->at(i).y() / points[i].energy) + a.amplitudeShift) < 1e-9);
    }
  }

  void trendsShowOneSeriesPerModelWithFits() {
    TrendsView view(document_.get());
    view.setQuantity(TrendQuantity::Frontier);
    view.rebuildNow();
    QVERIFY(view.chartView()->chart() != nullptr);
    QChart* chart = view.chartView()->chart();
    int scatters = 0;
    for (QAbstractSeries* s : chart->series()) scatters += qobject_cast<QScatterSeries*>(s) != nullptr;
    QCOMPARE(scatters, 2);
    // κ falls with step, so λ* rises: a positive exponent in the legend.
    const QStringList names = visibleLegendNames(chart);
    QVERIFY2(names.size() == 2 && names.front().contains(QString::fromUtf8("∝ t")), qPrintable(names.join(", ")));
    QVERIFY(view.shownDataCsv().count('\n') == 1 + 2 * 4);  // step 0 has no place on a log axis
  }

  void trendWindowIsTypedOrDraggedDrawnAndSaved() {
    // A series with a plateau, a scale-free window (checkpoints 3..12) and a late decay.
    const QString path = dir_.filePath("series.h5");
    const analysis::TrendScenario scenario = analysis::trendScenarios().front();
    writeSession(path.toStdString(), analysis::syntheticCheckpointSeries(scenario, 8, 0.15, 5));
    SessionDocument document;
    QVERIFY(testing::openAndAnalyse(document, path));
    const auto stepOf = [&](int k) { return document.runsOf("synthetic")[static_cast<std::size_t>(k)]->meta.step; };
    const auto window = [&] { return document.analysis().findTrends("synthetic")->window; };
    QCOMPARE(window().choice, std::string("auto"));
    TrendsView view(&document);
    view.resize(1100, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setQuantity(TrendQuantity::Loss);
    view.rebuildNow();
    // Checkpoints outside the detected window are hollow points and the window is a band.
    auto countSeries = [&] {
      int scatters = 0, bands = 0;
      for (QAbstractSeries* s : view.chartView()->chart()->series()) {
        scatters += qobject_cast<QScatterSeries*>(s) != nullptr;
        bands += qobject_cast<QAreaSeries*>(s) != nullptr && s->name() == "window";
      }
      return std::make_pair(scatters, bands);
    };
    QCOMPARE(countSeries(), std::make_pair(2, 1));

    // Typed: checkpoints 5..9.
    QSignalSpy analysed(&document, &SessionDocument::analysisChanged);
    view.setWindow(stepOf(5), stepOf(9));
    QVERIFY(analysed.wait(20000));
    QCOMPARE(window().choice, std::string("user"));
    QCOMPARE(window().checkpoints, 5);
    QVERIFY(document.isModified());
    QCOMPARE(document.analysis().findTrends("synthetic")->find("loss", "accumulated_lr")->points, 5);

    // Dragged along the time axis from between checkpoints 1 and 2 to between 13 and 14.
    view.rebuildNow();
    QTest::qWait(50);  // the new chart gets its geometry (and its plot area) from the view's layout
    QChart* chart = view.chartView()->chart();
    QCOMPARE(view.timeAxis(), std::string("step"));
    const auto timeBetween = [&](int k) { return std::sqrt(static_cast<double>(stepOf(k)) * static_cast<double>(stepOf(k + 1))); };
    const QRectF plot = chart->plotArea();
    const auto pixel = [&](double tau) {
      const QPointF scene = chart->mapToScene(chart->mapToPosition(QPointF(tau, 1.0)));
      return QPoint(view.chartView()->mapFromScene(QPointF(scene.x(), chart->mapToScene(QPointF(0, plot.bottom() + 12)).y())));
    };
    QWidget* viewport = view.chartView()->viewport();
    QTest::mousePress(viewport, Qt::LeftButton, {}, pixel(timeBetween(1)));
    QTest::mouseMove(viewport, pixel(timeBetween(8)));
    QTest::mouseMove(viewport, pixel(timeBetween(13)));
    QTest::mouseRelease(viewport, Qt::LeftButton, {}, pixel(timeBetween(13)));
    QVERIFY(analysed.wait(20000));
    QCOMPARE(window().firstStep, stepOf(2));
    QCOMPARE(window().lastStep, stepOf(13));
    QCOMPARE(window().checkpoints, 12);
    QVERIFY2(!view.chartView()->isZoomed(), "a drag on the axis selects, it does not zoom");
    // A click in the plot of the replaced chart stays a click.
    view.rebuildNow();
    QTest::qWait(50);
    const QPoint centre = view.chartView()->mapFromScene(view.chartView()->chart()->mapToScene(view.chartView()->chart()->plotArea().center()));
    QTest::mouseClick(viewport, Qt::LeftButton, {}, centre);
    QVERIFY(!view.chartView()->isZoomed());

    // Saved with the session and restored on opening.
    QSignalSpy saved(&document, &SessionDocument::saved);
    document.save(path);
    QVERIFY(saved.wait(20000));
    SessionDocument reopened;
    QVERIFY(testing::openAndAnalyse(reopened, path));
    QCOMPARE(reopened.analysis().findTrends("synthetic")->window.choice, std::string("user"));
    QCOMPARE(reopened.analysis().findTrends("synthetic")->window.firstStep, stepOf(2));

    // Detect again.
    view.detectWindow();
    QVERIFY(analysed.wait(20000));
    QCOMPARE(window().choice, std::string("auto"));
  }

  void everyExportFormatIsValidAndSized_data() {
    QTest::addColumn<QString>("page");
    QTest::addColumn<QString>("suffix");
    for (const char* page : {"profile", "animation", "overlay", "trends"}) {
      for (const char* suffix : {"png", "svg", "pdf"}) QTest::newRow(QString("%1.%2").arg(page, suffix).toUtf8()) << page << suffix;
    }
  }
  void everyExportFormatIsValidAndSized() {
    QFETCH(QString, page);
    QFETCH(QString, suffix);
    std::unique_ptr<ChartPage> view;
    if (page == "profile") view = std::make_unique<ProfileView>(document_.get());
    if (page == "animation") view = std::make_unique<AnimationView>(document_.get());
    if (page == "overlay") view = std::make_unique<OverlayView>(document_.get());
    if (page == "trends") view = std::make_unique<TrendsView>(document_.get());
    QTRY_VERIFY(view->findChild<InteractiveChartView*>()->chart() != nullptr);
    ChartStyle style;
    style.fontPointSize = 8;
    std::unique_ptr<QChart> chart(view->exportChart(style));
    QVERIFY(chart);
    ExportOptions options;
    options.size = QSize(640, 400);
    options.dpi = 300;
    const QString path = dir_.filePath(page + "." + suffix);
    exportChart(chart.get(), path, options);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(bytes.size() > 1000);
    if (suffix == "png") {
      const QImage image(path);
      QCOMPARE(image.size(), QSize(2000, 1250));  // 640 × 400 at 300/96
      QCOMPARE(qRound(image.dotsPerMeterX() * 0.0254), 300);
    } else if (suffix == "svg") {
      QVERIFY(bytes.contains("<svg"));
      QVERIFY(bytes.contains("width=\"") && bytes.contains("viewBox=\"0 0 640 400\""));
    } else {
      QVERIFY(bytes.startsWith("%PDF-"));
      const QRegularExpression box("/MediaBox \\[0 0 ([0-9.]+) ([0-9.]+)\\]");
      const auto match = box.match(QString::fromLatin1(bytes));
      QVERIFY(match.hasMatch());
      QCOMPARE(qRound(match.captured(1).toDouble()), 480);  // 640 px at 96 dpi = 480 pt
      QCOMPARE(qRound(match.captured(2).toDouble()), 300);
    }
    const QString csv = view->shownDataCsv();
    QVERIFY(csv.count('\n') > 2);
  }

  void animationFramesAreWrittenForEveryStep() {
    const ProfileAnimation animation(document_->runsOf("small"), {}, 0.25);
    AnimationFrameWriter writer(animation, "small", dir_.filePath("frames"), 3, ChartStyle{}, QSize(320, 200), 96);
    QCOMPARE(writer.frameCount(), 13);
    for (int i = 0; i < writer.frameCount(); ++i) {
      const QImage frame(writer.writeFrame(i));
      QCOMPARE(frame.size(), QSize(320, 200));
    }
    QVERIFY(QFile::exists(dir_.filePath("frames/frame_0012.png")));
    QVERIFY(!QFile::exists(dir_.filePath("frames/frame_0013.png")));
  }

  void animationExportHandsTheFramesToFfmpeg() {
    // A stand-in ffmpeg first on PATH records its arguments and writes the video, or fails like
    // the real one when the folder name asks it to.
    const QString bin = dir_.filePath("fake-bin");
    QVERIFY(QDir().mkpath(bin));
    QFile script(bin + "/ffmpeg");
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write("#!/bin/sh\n"
                 "echo \"$@\" > \"$(dirname \"$0\")/args.txt\"\n"
                 "for last; do :; done\n"
                 "case \"$last\" in *broken*) echo 'simulated encoder error' >&2; exit 1;; esac\n"
                 "printf 'video' > \"$last\"\n");
    script.close();
    QVERIFY(script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    const QByteArray path = qgetenv("PATH");
    qputenv("PATH", bin.toLocal8Bit() + ":" + path);
    const auto restorePath = qScopeGuard([&path] { qputenv("PATH", path); });
    QCOMPARE(findFfmpeg(), bin + "/ffmpeg");

    auto exportTo = [&](const QString& folder, QString& outcome) {
      AnimationExportRequest request;
      for (const Run* run : document_->runsOf("small")) request.runs.push_back(*run);
      request.modelName = "small";
      request.folder = folder;
      request.framesPerCheckpoint = 2;
      request.framesPerSecond = 12;
      request.video = true;
      request.size = QSize(320, 200);
      request.dpi = 96;
      AnimationExportJob job(std::move(request));
      QSignalSpy finished(&job, &AnimationExportJob::finished), failed(&job, &AnimationExportJob::failed);
      job.start();
      if (!QTest::qWaitFor([&] { return finished.count() + failed.count() > 0; }, 60000)) return false;
      outcome = finished.count() ? finished.front().front().toString() : "failed: " + failed.front().front().toString();
      return true;
    };
    QString outcome;
    QVERIFY(exportTo(dir_.filePath("video"), outcome));
    QVERIFY2(outcome.contains("animation.mp4") && !outcome.startsWith("failed"), qPrintable(outcome));
    QVERIFY(QFile::exists(dir_.filePath("video/animation.mp4")));
    QVERIFY(QFile::exists(dir_.filePath("video/frame_0008.png")));  // 5 checkpoints, 2 frames each way
    QFile args(bin + "/args.txt");
    QVERIFY(args.open(QIODevice::ReadOnly));
    const QString recorded = QString::fromLocal8Bit(args.readAll());
    QVERIFY2(recorded.contains("-framerate 12 -i " + dir_.filePath("video/frame_%04d.png")), qPrintable(recorded));
    QVERIFY2(recorded.trimmed().endsWith(dir_.filePath("video/animation.mp4")), qPrintable(recorded));

    // An encoder error reaches the user with ffmpeg's own message; the frames stay.
    QVERIFY(exportTo(dir_.filePath("broken"), outcome));
    QVERIFY2(outcome.startsWith("failed") && outcome.contains("simulated encoder error"), qPrintable(outcome));
    QVERIFY(QFile::exists(dir_.filePath("broken/frame_0000.png")));
  }
};

QTEST_MAIN(TestViews)
#include "test_views.moc"
