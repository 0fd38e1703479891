// Issue 17: view states saved with the session and replayed (GUI and `render --state`), linked
// cursors with their read-out, and the shown-data CSV with its header and visible range.
//
// Ground truth: states are compared page by page as JSON after a save, a reopen in a new window
// and a replay; cursor read-outs against the runs' own shell energies; the replayed PNG against
// the GUI's export pixel for pixel; the clipped CSV against a filter of the full one.
#include <QApplication>
#include <QDir>
#include <QImage>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <cmath>
#include <memory>

#include "session_fixtures.h"
#include "shellscope/session/session_file.h"
#include "test_support.h"
#include "ui/charts/chart_axes.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/document/view_state.h"
#include "ui/figures/shown_data.h"
#include "ui/main_window.h"
#include "ui/views/animation_view.h"
#include "ui/views/overlay_view.h"
#include "ui/views/profile_view.h"
#include "ui/views/trends_view.h"
#include "ui/views/view_state_player.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

bool openInWindow(MainWindow& window, const QString& path) {
  QSignalSpy opened(window.document(), &SessionDocument::opened);
  window.openSession(path);
  if (!opened.wait(60000)) return false;
  QElapsedTimer clock;
  clock.start();
  while (window.document()->isBusy() && clock.elapsed() < 60000) QTest::qWait(20);
  return !window.document()->isBusy();
}

/// Waits until the document and pages are idle and their scheduled rebuilds ran.
bool settle(MainWindow& window) {
  std::vector<ChartPage*> pages;
  for (int i = 0; i < window.tabs()->count(); ++i) pages.push_back(qobject_cast<ChartPage*>(window.tabs()->widget(i)));
  return waitUntilSettled(*window.document(), pages, 60000);
}

QJsonObject stateOf(MainWindow& window, const QString& name) {
  const NamedViewState* s = window.document()->findViewState(name.toStdString());
  if (!s) return {};
  return QJsonDocument::fromJson(QByteArray::fromStdString(s->json)).object();
}

/// A click on `view` at the bottom-axis value `x`, in the middle of the plot's height.
void clickAt(InteractiveChartView* view, double x) {
  const double chartX = view->chartXOf(x);
  QVERIFY2(std::isfinite(chartX), "the value is not on the shown axis");
  const QPoint at(static_cast<int>(std::lround(chartX)), static_cast<int>(view->chart()->plotArea().center().y()));
  QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
}

}  // namespace

class TestViewStates : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  QString fixture_;

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(dir_.isValid());
    fixture_ = dir_.filePath("fixture.h5");
    writeSession(fixture_.toStdString(), testing::fixtureSession(2, 5, 6));
  }

  void anOldSessionOpensWithDefaultsAndNoStates() {
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(openInWindow(window, fixture_));
    QVERIFY(window.document()->viewStates().empty());
    QVERIFY(!window.showViewState("figure 2a"));  // none saved: a message, nothing changes
    QVERIFY(!window.document()->isModified());
  }

  void statesSurviveSaveAndReopenAndReplayEveryPage() {
    const QString saved = dir_.filePath("with-states.h5");
    QJsonObject figure, talk;
    {
      MainWindow window;
      window.resize(1400, 900);
      window.show();
      QVERIFY(openInWindow(window, fixture_));
      ProfileView* profile = window.profileView();
      // Figure 2a: smoothed profiles with bands, zoomed, two cursors, difference from step 0.
      ProfileLayers layers = profile->layers();
      layers.smoothed = true;
      layers.band = true;
      layers.frontier = false;
      profile->setLayers(layers);
      QVERIFY(settle(window));
      profile->chartView()->setRanges({1e-3, 1e-1, 1e-6, 1.0});
      window.document()->cursors()->pin(CursorAxis::Lambda, 0.004);
      window.document()->cursors()->pin(CursorAxis::Lambda, 0.03);
      window.trendsView()->setQuantity(TrendQuantity::Kappa);
      window.tabs()->setCurrentWidget(profile);
      QVERIFY(settle(window));
      window.saveViewState("figure 2a");
      figure = stateOf(window, "figure 2a");
      QVERIFY(!figure.isEmpty());
      // Talk: the animation half-way, the difference view, no cursors.
      window.document()->cursors()->clearPinned();
      const std::string base = window.document()->runsOf("small").front()->id;
      QVERIFY(profile->setBaseRun(base));
      profile->setDifferenceQuantity(DifferenceQuantity::Ratio);
      window.animationView()->setPosition(1.5);
      window.tabs()->setCurrentWidget(window.animationView());
      QVERIFY(settle(window));
      window.saveViewState("talk");
      talk = stateOf(window, "talk");
      QVERIFY(window.document()->isModified());
      QCOMPARE(window.document()->viewStates().size(), std::size_t{2});
      QSignalSpy done(window.document(), &SessionDocument::saved);
      window.document()->save(saved);
      QVERIFY(done.wait(60000));
    }
    // A reader that knows nothing of view states reads the runs as before.
    const Session reread = readSession(saved.toStdString());
    QCOMPARE(reread.runs.size(), testing::fixtureSession(2, 5, 6).runs.size());
    QCOMPARE(reread.viewStates.size(), std::size_t{2});
    QCOMPARE(reread.viewStates[0].name, std::string("figure 2a"));

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(openInWindow(window, saved));
    QCOMPARE(window.document()->viewStates().size(), std::size_t{2});
    for (const auto& [name, expected] : {std::pair{QString("figure 2a"), figure}, std::pair{QString("talk"), talk}}) {
      QVERIFY(window.showViewState(name));
      QVERIFY(settle(window));
      const ViewState shown = captureViewState(*window.document(), [&] {
        std::vector<ChartPage*> pages;
        for (int i = 0; i < window.tabs()->count(); ++i) pages.push_back(qobject_cast<ChartPage*>(window.tabs()->widget(i)));
        return pages;
      }(), window.currentPage(), figureSettingsFromJson(expected.value("figure").toObject()));
      const QJsonObject now = toJson(shown);
      QCOMPARE(now.value("tab").toString(), expected.value("tab").toString());
      QCOMPARE(now.value("checked_runs"), expected.value("checked_runs"));
      QCOMPARE(now.value("cursors"), expected.value("cursors"));
      const QJsonObject nowPages = now.value("pages").toObject(), wantPages = expected.value("pages").toObject();
      for (const QString& page : wantPages.keys()) {
        QVERIFY2(nowPages.value(page) == wantPages.value(page),
                 qPrintable(name + " / " + page + ": " + QJsonDocument(nowPages.value(page).toObject()).toJson() +
                            " instead of " + QJsonDocument(wantPages.value(page).toObject()).toJson()));
      }
    }
    // What the states hold, read back from the window.
    QVERIFY(window.showViewState("figure 2a"));
    QVERIFY(settle(window));
    QVERIFY(window.currentPage() == window.profileView());
    QVERIFY(window.profileView()->layers().smoothed);
    QVERIFY(!window.profileView()->layers().frontier);
    QVERIFY(window.profileView()->baseRun().empty());
    const AxisRanges r = window.profileView()->chartView()->currentRanges();
    QCOMPARE(r.xMin, 1e-3);
    QCOMPARE(r.xMax, 1e-1);
    QCOMPARE(window.document()->cursors()->pinned(CursorAxis::Lambda), (std::vector<double>{0.004, 0.03}));
    QVERIFY(window.trendsView()->quantity() == TrendQuantity::Kappa);
    QVERIFY(window.showViewState("talk"));
    QVERIFY(settle(window));
    QVERIFY(window.currentPage() == window.animationView());
    QCOMPARE(window.animationView()->position(), 1.5);
    QVERIFY(window.profileView()->differenceQuantity() == DifferenceQuantity::Ratio);
    QVERIFY(window.document()->cursors()->pinned(CursorAxis::Lambda).empty());
  }

  void aDamagedStateIsRefusedByName() {
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, viewStateFromJson("x", "{not json"));
    try {
      viewStateFromJson("newer", R"({"format": "shellscope-view-state", "version": 99})");
      QFAIL("a newer version was read");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains("'newer'") && QString(e.what()).contains("99"), e.what());
    }
    // Unknown keys and out-of-range numbers: what is known is read, the rest is left at its default.
    const ViewState s = viewStateFromJson(
        "odd", R"({"format": "shellscope-view-state", "version": 1, "future": 1, "figure": {"width": -5, "dpi": 300}})");
    QCOMPARE(s.figure.options.size.width(), FigureSettings{}.options.size.width());
    QCOMPARE(s.figure.options.dpi, 300);
  }

  void renderStateDrawsThePixelsTheGuiExports() {
    const QString path = dir_.filePath("replay.h5");
    const QString gui = dir_.filePath("gui.png");
    {
      MainWindow window;
      window.resize(1400, 900);
      window.show();
      QVERIFY(openInWindow(window, fixture_));
      ProfileLayers layers = window.profileView()->layers();
      layers.piecewise = true;
      layers.band = true;
      window.profileView()->setLayers(layers);
      window.tabs()->setCurrentWidget(window.profileView());
      QVERIFY(settle(window));
      window.profileView()->chartView()->setRanges({2e-3, 0.5, 1e-5, 2.0});
      // Pinned cursors are drawn into the figure (both exports), at their values, ranges kept;
      // one outside the shown range is not drawn.
      CursorModel* cursors = window.document()->cursors();
      cursors->setPinned(CursorAxis::Lambda, {0.01, 0.1});
      {
        std::unique_ptr<QChart> marked(window.profileView()->exportFigure(ChartStyle{}, cursors));
        QVERIFY(marked);
        std::vector<double> at;
        for (QAbstractSeries* series : marked->series()) {
          if (!series->name().startsWith("cursor ")) continue;
          auto* line = qobject_cast<QLineSeries*>(series);
          QVERIFY(line && line->count() == 2 && line->at(0).x() == line->at(1).x());
          at.push_back(line->at(0).x());
        }
        QCOMPARE(at, (std::vector<double>{0.01, 0.1}));
        std::unique_ptr<QChart> plain(window.profileView()->exportChart(ChartStyle{}));
        const QList<QAbstractAxis*> before = plain->axes(), after = marked->axes();
        QCOMPARE(after.size(), before.size());
        for (int a = 0; a < before.size(); ++a) {  // the marks change no range
          double min0 = 0, max0 = 0, min1 = 0, max1 = 0;
          QCOMPARE(axisRange(before[a], &min0, &max0), axisRange(after[a], &min1, &max1));
          QCOMPARE(min1, min0);
          QCOMPARE(max1, max0);
        }
        cursors->setPinned(CursorAxis::Lambda, {0.01, 3.0});
        std::unique_ptr<QChart> outside(window.profileView()->exportFigure(ChartStyle{}, cursors));
        QCOMPARE(outside->series().size(), marked->series().size() - 1);
        cursors->setPinned(CursorAxis::Lambda, {0.01, 0.1});
      }
      FigureSettings figure;
      figure.options.size = QSize(640, 420);
      figure.options.dpi = 120;
      figure.style.fontPointSize = 9;
      rememberFigureSettings(figure);
      window.saveViewState("paper");
      QSignalSpy done(window.document(), &SessionDocument::saved);
      window.document()->save(path);
      QVERIFY(done.wait(60000));
      QVERIFY(window.exportCurrentFigure(gui, figure));
      QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(gui).size() > 1000, 20000);  // PNGs are written in the background
    }
    const QString cli = QDir(QCoreApplication::applicationDirPath()).filePath("shellscope-cli");
    QVERIFY2(QFileInfo::exists(cli), qPrintable(cli + " not found beside the test"));
    const QString replayed = dir_.filePath("replayed.png"), csv = dir_.filePath("replayed.csv");
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(cli, {"render", path, "--state", "paper", "--out", replayed, "--csv", csv});
    QVERIFY(process.waitForFinished(120000));
    QVERIFY2(process.exitCode() == 0, process.readAll().constData());
    const QImage a(gui), b(replayed);
    QCOMPARE(b.size(), a.size());
    QCOMPARE(a.size(), QSize(640 * 120 / 96, 420 * 120 / 96));
    QVERIFY2(a.convertToFormat(QImage::Format_ARGB32) == b.convertToFormat(QImage::Format_ARGB32),
             "render --state drew other pixels than the GUI's export");
    // Its CSV: the header names the session and the zoom; rows only inside the shown λ range.
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    QVERIFY2(text.startsWith("# ShellScope shown data: profile\n# session: " + path), qPrintable(text.left(300)));
    QVERIFY(text.contains("# x range: lambda_centre in [0.002, 0.5]"));
    int rows = 0;
    for (const QString& line : text.split('\n')) {
      if (line.isEmpty() || line.startsWith('#') || line.startsWith("model,")) continue;
      const double centre = line.split(',')[7].toDouble();
      QVERIFY2(centre >= 2e-3 && centre <= 0.5, qPrintable(line));
      ++rows;
    }
    QVERIFY(rows > 0);
    // An unknown state is an error naming the states there are.
    process.start(cli, {"render", path, "--state", "nope", "--out", dir_.filePath("x.png")});
    QVERIFY(process.waitForFinished(60000));
    const QString error = process.readAll();
    QVERIFY(process.exitCode() != 0);
    QVERIFY2(error.contains("no view state 'nope'") && error.contains("'paper'"), qPrintable(error));
  }

  void theShownDataHoldTheFitsAtTheShellCentres() {
    SessionDocument document;
    QVERIFY(testing::openAndAnalyse(document, fixture_));
    ProfileView view(&document);
    view.rebuildNow();
    const QString csv = view.shownDataCsv();
    const QStringList lines = csv.split('\n', Qt::SkipEmptyParts);
    const QStringList header = lines.front().split(',');
    const int id = header.indexOf("run_id"), centre = header.indexOf("lambda_centre"), piecewise = header.indexOf("piecewise_fit"),
              theory = header.indexOf("theory_fit");
    QVERIFY(id >= 0 && centre >= 0 && piecewise >= 0 && theory >= 0);
    int compared = 0;
    for (int i = 1; i < lines.size(); ++i) {
      const QStringList f = lines[i].split(',');
      const analysis::RunAnalysis* a = document.analysisOf(f[id].toStdString());
      QVERIFY(a);
      const double x = f[centre].toDouble();
      const bool inside = a->piecewise.fit.ok() && x >= a->piecewise.lambdaMin && x <= a->piecewise.lambdaMax;
      QCOMPARE(f[piecewise].isEmpty(), !inside);
      if (inside) {
        QVERIFY(std::abs(f[piecewise].toDouble() / std::pow(10.0, a->piecewise.evaluate(std::log10(x))) - 1) < 1e-12);
        ++compared;
      }
      if (!f[theory].isEmpty()) QVERIFY(std::abs(f[theory].toDouble() / std::pow(10.0, a->theory.evaluate(std::log10(x))) - 1) < 1e-12);
    }
    QVERIFY(compared > 10);
  }

  void rowsInRangeKeepsTheHeaderAndTheRowsInside() {
    const QString csv = "model,lambda,label\nm,0.5,\"a, b\"\nm,5,c\nm,,d\nm,50,e\n";
    QCOMPARE(rowsInRange(csv, "lambda", 1, 10), QString("model,lambda,label\nm,5,c\nm,,d\n"));
    QCOMPARE(rowsInRange(csv, "other", 1, 10), csv);
  }

  void aPinnedCursorIsSharedAndReadsTheShellEnergies() {
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(openInWindow(window, fixture_));
    window.tabs()->setCurrentWidget(window.profileView());
    QVERIFY(settle(window));
    CursorModel* cursors = window.document()->cursors();
    InteractiveChartView* view = window.profileView()->chartView();
    // Pinned by clicks in the Profile view.
    clickAt(view, 0.01);
    clickAt(view, 0.1);
    const std::vector<double> pins = cursors->pinned(CursorAxis::Lambda);
    QCOMPARE(pins.size(), std::size_t{2});
    // A click lands on a pixel: within a pixel's worth of log λ of the aim.
    const double pixelDecades = std::log10(view->currentRanges().xMax / view->currentRanges().xMin) / view->chart()->plotArea().width();
    QVERIFY(std::abs(std::log10(pins[0] / 0.01)) <= pixelDecades);
    QVERIFY(std::abs(std::log10(pins[1] / 0.1)) <= pixelDecades);
    // The same cursors in the other λ views, and not in Trends (a step axis).
    QCOMPARE(window.animationView()->chartView()->linkedCursors(), cursors);
    QCOMPARE(window.overlayView()->chartView()->linkedCursors(), cursors);
    QVERIFY(window.overlayView()->hasCursorAxis(CursorAxis::Lambda));
    QVERIFY(!window.trendsView()->hasCursorAxis(CursorAxis::Lambda));
    QVERIFY(std::isfinite(window.animationView()->chartView()->chartXOf(pins[0])));
    // The read-out: each checked run's E in the shell of each cursor, its Δ and ratio.
    const std::vector<CursorReading> readings = window.profileView()->cursorReadings();
    const std::vector<const Run*> checked = window.document()->checkedRuns();
    QCOMPARE(readings.size(), checked.size());
    for (std::size_t i = 0; i < checked.size(); ++i) {
      for (std::size_t c = 0; c < 2; ++c) {
        const int shell = checked[i]->window.locate(pins[c]);
        QCOMPARE(readings[i].values[c], checked[i]->shellEnergy(shell));
      }
    }
    const QString text = window.cursorReadoutText();
    QVERIFY2(text.contains(QString::fromUtf8("Δlog₁₀λ = ") + QString::number(std::log10(pins[1] / pins[0]), 'g', 10)),
             qPrintable(text));
    const double ratio = readings[0].values[1] / readings[0].values[0];
    QVERIFY2(text.contains("ratio = " + QString::number(ratio, 'g', 10)), qPrintable(text));
    // A third click moves the nearer cursor; Esc unpins both.
    clickAt(view, 0.09);
    QCOMPARE(cursors->pinned(CursorAxis::Lambda)[0], pins[0]);
    QVERIFY(cursors->pinned(CursorAxis::Lambda)[1] < pins[1]);
    view->setFocus();
    QTest::keyClick(view, Qt::Key_Escape);
    QVERIFY(cursors->pinned(CursorAxis::Lambda).empty());
    // The step cursor in Trends reads the nearest checkpoint.
    window.tabs()->setCurrentWidget(window.trendsView());
    QVERIFY(settle(window));
    cursors->pin(CursorAxis::Step, 190);
    const std::vector<CursorReading> trend = window.trendsView()->cursorReadings();
    QVERIFY(!trend.empty());
    QVERIFY(std::isfinite(trend.front().values.front()));
  }
};

QTEST_MAIN(TestViewStates)
#include "test_view_states.moc"
