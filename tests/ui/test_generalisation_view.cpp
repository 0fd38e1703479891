// The Generalisation view (issue 14, paper §6) on a small lab run with held-out points trained
// here (builtin:mlp, n = 16, n' = 16, 6 steps, a checkpoint every 2) and on a hand-made run whose
// rise window is known: the view finds the run in a session file (and leaves out lab runs without
// held-out points), the bars' signs are those of R_b, the heatmap is checkpoints × shells holding
// R_b, the window's line, hover, CSV, the empty states, and render --view generalisation draws
// the figure the view exports. Session runs computed with held-out data (compute --held-out-data)
// are a series of the view too: R_b with ±2 standard errors over batch pairs.
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QLineSeries>
#include <QtCharts/QChart>
#include <QtCharts/QStackedBarSeries>
#include <cmath>
#include <memory>

#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "ui/charts/chart_grid.h"
#include "ui/charts/generalisation_charts.h"
#include "ui/charts/heatmap.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/document/session_document.h"
#include "ui/figures/figure_export.h"
#include "ui/main_window.h"
#include "ui/views/generalisation_view.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

/// Edges 0.01, 0.1, 1, 10 (one shell per decade): bins 0 underflow, 1..3 shells, 4 overflow.
/// Three checkpoints (steps 0, 10, 20, τ = step / 10); L' rises over the first interval only,
/// carried by shell 2 ([0.1, 1)), and falls over the second.
LabRun handMadeRun() {
  LabRun run;
  run.id = "lab-0007";
  run.modelName = "mlp";
  run.observable = "mse";
  run.settings.points = 4;
  run.settings.heldOutPoints = 4;
  run.window.shellsPerDecade = 1;
  run.window.firstEdgeIndex = -2;
  run.window.shellCount = 3;
  const int bins = run.binCount();
  const double heldOut[] = {0.5, 0.7, 0.4};
  for (int k = 0; k < 3; ++k) {
    LabCheckpoint c;
    c.step = 10 * k;
    c.tau = k;
    c.loss = 1.0 / (k + 1);
    c.heldOutLoss = heldOut[k];
    c.energy = Eigen::VectorXd::Zero(bins);
    c.energy << 0, 1.0, 0.5, 0.25, 0;
    c.heldOutEnergy = Eigen::VectorXd::Zero(bins);
    c.heldOutEnergy << 0, 0.8, 0.6, 0.1, 0;
    c.heldOutRate = Eigen::VectorXd::Zero(bins);
    c.heldOutRate << 0, -0.1, k < 2 ? 0.3 : -0.2, -0.05, 0;
    c.trainingRate = Eigen::VectorXd::Zero(bins);
    c.trainingRate << 0, -0.4, -0.2, -0.1, 0;
    c.heldOutRateDirect = c.heldOutRate.sum();
    run.checkpoints.push_back(c);
  }
  for (int k = 0; k < 2; ++k) {
    LabInterval in;
    in.dtau = 1;
    in.heldOutLossRate = heldOut[k + 1] - heldOut[k];
    in.heldOutRateMean = 0.5 * (run.checkpoints[k].heldOutRate.sum() + run.checkpoints[k + 1].heldOutRate.sum());
    run.intervals.push_back(in);
  }
  return run;
}

QStackedBarSeries* barsOf(QChart* chart) {
  for (QAbstractSeries* s : chart->series()) {
    if (auto* bars = qobject_cast<QStackedBarSeries*>(s)) return bars;
  }
  return nullptr;
}

int sign(double v) { return (v > 0) - (v < 0); }

}  // namespace

class TestGeneralisationView : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    path_ = dir_.filePath("s.h5");
    LabRunSettings settings;
    settings.model = "builtin:mlp";
    settings.points = 16;
    settings.heldOutPoints = 16;
    settings.labelNoise = 0.5;
    settings.steps = 6;
    settings.every = 2;
    settings.threads = 1;
    run_ = runLab(settings);
    QVERIFY(run_.hasHeldOut());
    QCOMPARE(run_.checkpoints.size(), size_t(4));  // steps 0, 2, 4, 6
    // A lab run without held-out points first: the view must leave it out.
    LabRunSettings plain = settings;
    plain.heldOutPoints = 0;
    plain.labelNoise = 0;
    QCOMPARE(appendLabRun(path_.toStdString(), runLab(plain)), std::string("lab-0001"));
    run_.id = appendLabRun(path_.toStdString(), run_);
    QCOMPARE(run_.id, std::string("lab-0002"));
  }

  void theWindowOfAKnownRunIsNamed() {
    const LabRun run = handMadeRun();
    QCOMPARE(riseWindowText(run),
             QString::fromUtf8("L′ rises over steps 0–10, in 1 of 2 intervals; shells λ 0.1–1 hold 100% of the positive R"));
    QCOMPARE(defaultGeneralisationCheckpoint(run), 0);  // the middle of the one rising interval, 0 to 1
    QVERIFY(!defaultGeneralisationAxis(run).logColor);  // |R| within a decade
    // Two rises, over intervals 0 and 2..3: the longest one's middle, checkpoint 3.
    LabRun twice = run;
    twice.checkpoints.push_back(twice.checkpoints.back());
    twice.checkpoints.push_back(twice.checkpoints.back());
    twice.intervals.push_back(twice.intervals.front());
    twice.intervals.push_back(twice.intervals.front());
    QCOMPARE(defaultGeneralisationCheckpoint(twice), 3);
    LabRun falling = run;
    for (LabInterval& in : falling.intervals) in.heldOutLossRate = -0.1;
    QVERIFY(riseWindowText(falling).contains("does not rise"));
    QCOMPARE(defaultGeneralisationCheckpoint(falling), 2);
    // The heatmap outlines the window: steps 0..10 by shell 2 (bin position 1 of the shown bins 1..3).
    std::unique_ptr<QChart> chart(generalisationHeatmapChart(run, 1, GeneralisationAxis{}));
    QVERIFY(heatmapOf(chart.get()));
    bool box = false;
    for (QAbstractSeries* s : chart->series()) {
      auto* line = qobject_cast<QXYSeries*>(s);
      if (!line || line->count() != 5) continue;
      box = line->at(0) == QPointF(0, 0.5) && line->at(2) == QPointF(10, 1.5);
    }
    QVERIFY(box);
    // Hover in each panel.
    QVERIFY(generalisationRateHover(run, 0, QPointF(1, 0)).contains("0.3"));
    QVERIFY(generalisationRateHover(run, 0, QPointF(1, 0)).contains(QString::fromUtf8("raises L′")));
    QVERIFY(generalisationRateHover(run, 0, QPointF(9, 0)).isEmpty());
    QVERIFY(generalisationHeatmapHover(run, false, QPointF(20, 1)).contains("-0.2"));
    QVERIFY(generalisationProfileHover(run, 0, QPointF(0.3, 1)).contains("[0.1, 1)"));
    const QString loss = generalisationLossHover(run, true, QPointF(0.5, 0.6));
    QVERIFY2(loss.contains("rising") && loss.contains("0.2"), qPrintable(loss));
    // The CSV holds every panel's values and the window.
    const QString csv = generalisationCsv(run, 0);
    QVERIFY(csv.startsWith("panel,lab_run,checkpoint,step,tau,bin,lambda_low,lambda_high,quantity,value\n"));
    QVERIFY2(csv.contains("rates,lab-0007,0,0,0,2,0.1,1,held_out_R,0.3\n"), qPrintable(csv));
    QVERIFY(csv.contains("heatmap,lab-0007,2,20,2,2,0.1,1,held_out_R,-0.2\n"));
    QVERIFY(csv.contains("losses,lab-0007,1,10,1,,,,held_out_loss,0.7\n"));
    QVERIFY(csv.contains("window,lab-0007,,,,,,,positive_share,1\n"));
  }

  void theViewFindsTheRunWithHeldOutPoints() {
    MainWindow window;
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    window.document()->open(path_);
    QVERIFY(opened.wait(30000));
    GeneralisationView* view = window.generalisationView();
    QTRY_VERIFY_WITH_TIMEOUT(view->hasRuns() && !view->isLoading(), 20000);
    QCOMPARE(view->runs().size(), size_t(1));  // lab-0001 has no held-out points
    QCOMPARE(view->runs().front().id, std::string("lab-0002"));
    QVERIFY(window.tabs()->indexOf(view) >= 0);
    QVERIFY(!view->setCurrentRun(std::string("lab-0001")));
    view->rebuildNow();
    QCOMPARE(view->findChild<QStackedWidget*>()->currentIndex(), 1);
    QCOMPARE(view->checkpoint(), defaultGeneralisationCheckpoint(view->runs().front()));
  }

  void barsCarryTheSignsOfTheHeldOutRates() {
    SessionDocument document;
    GeneralisationView view(&document);
    view.setRuns(readLabRuns(path_.toStdString()));
    const LabRun& run = view.runs().front();
    const LabBinRange bins = generalisationBins(run);
    for (int k = 0; k < static_cast<int>(run.checkpoints.size()); ++k) {
      view.setCheckpoint(k);
      view.rebuildNow();
      QStackedBarSeries* bars = barsOf(view.rateView()->chart());
      QVERIFY(bars);
      QCOMPARE(bars->count(), 2);  // raises L', lowers L'
      const QBarSet* up = bars->barSets()[0];
      const QBarSet* down = bars->barSets()[1];
      QCOMPARE(up->count(), bins.count());
      for (int b = bins.first; b <= bins.last; ++b) {
        const double r = run.checkpoints[k].heldOutRate[b];
        const int i = b - bins.first;
        QVERIFY(up->at(i) >= 0 && down->at(i) <= 0);
        QVERIFY(up->at(i) == 0 || down->at(i) == 0);
        QCOMPARE(sign(up->at(i) + down->at(i)), sign(r));
        QCOMPARE(up->at(i) + down->at(i), r);
      }
    }
    // Warm for raising, blue for lowering.
    const QColor warm = barsOf(view.rateView()->chart())->barSets()[0]->color();
    const QColor cool = barsOf(view.rateView()->chart())->barSets()[1]->color();
    QVERIFY(warm.red() > warm.blue() + 40);
    QVERIFY(cool.blue() > cool.red() + 40);
  }

  void theHeatmapIsCheckpointsByShells() {
    SessionDocument document;
    GeneralisationView view(&document);
    view.setRuns(readLabRuns(path_.toStdString()));
    view.rebuildNow();
    const LabRun& run = view.runs().front();
    const HeatmapItem* heatmap = heatmapOf(view.heatmapView()->chart());
    QVERIFY(heatmap);
    const HeatmapGrid& grid = heatmap->grid();
    const LabBinRange bins = generalisationBins(run);
    QCOMPARE(grid.values.cols(), 4);  // the checkpoints
    QCOMPARE(grid.values.rows(), bins.count());
    QCOMPARE(grid.xEdges.size(), size_t(5));
    QCOMPARE(grid.xEdges.front(), 0.0);
    QCOMPARE(grid.xEdges.back(), 6.0);
    for (int c = 0; c < 4; ++c) {
      for (int b = bins.first; b <= bins.last; ++b) QCOMPARE(grid.values(b - bins.first, c), run.checkpoints[c].heldOutRate[b]);
    }
    // On τ: the same cells, the time axis in τ.
    QCOMPARE(heatmapOf(view.heatmapView()->chart())->grid().logColor, defaultGeneralisationAxis(run).logColor);
    view.setAxis(GeneralisationAxis{true, false});
    view.rebuildNow();
    QCOMPARE(heatmapOf(view.heatmapView()->chart())->grid().xEdges.back(), run.checkpoints.back().tau);
    QVERIFY(!heatmapOf(view.heatmapView()->chart())->grid().logColor);
    // The window's line is the run's, shown above the charts.
    const QString text = view.windowText();
    QCOMPARE(text, riseWindowText(run));
    QVERIFY(text.contains(heldOutRiseWindow(run).rises() ? "rises over steps" : "does not rise"));
    QVERIFY(view.findChild<QLabel*>("riseWindow")->text().contains(text.left(20).toHtmlEscaped()));
    QVERIFY(view.shownDataCsv().contains("heatmap,lab-0002,3,6,"));
    // The export: four panels, or one.
    std::unique_ptr<QChart> all(view.exportChart(ChartStyle{}));
    auto* grid4 = dynamic_cast<ChartGrid*>(all.get());
    QVERIFY(grid4);
    QCOMPARE(grid4->charts().size(), size_t(4));
    view.setExportPanel(GeneralisationPanel::Heatmap);
    std::unique_ptr<QChart> one(view.exportChart(ChartStyle{}));
    QVERIFY(heatmapOf(one.get()));
  }

  void emptyStatesSayHowToMakeARun() {
    SessionDocument document;
    GeneralisationView view(&document);
    QVERIFY(!view.hasRuns());
    view.rebuildNow();
    QCOMPARE(view.findChild<QStackedWidget*>()->currentIndex(), 0);
    QVERIFY2(view.emptyText().contains("no lab run with held-out points"), qPrintable(view.emptyText()));
    QVERIFY(view.emptyText().contains("shellscope-cli lab run") && view.emptyText().contains("--held-out"));
    QVERIFY(view.exportChart(ChartStyle{}) == nullptr);
    QVERIFY(view.shownDataCsv().isEmpty());
    QVERIFY(view.windowText().isEmpty());
    // Lab runs, none with held-out points: said so.
    std::vector<LabRun> runs = readLabRuns(path_.toStdString());
    runs.pop_back();
    view.setRuns(runs);
    QVERIFY(!view.hasRuns());
    QVERIFY2(view.emptyText().contains("None of this session's 1 lab run"), qPrintable(view.emptyText()));
    QVERIFY(view.emptyText().contains("--held-out"));
    // A finished lab job's run with held-out points is added.
    QSignalSpy changed(&view, &GeneralisationView::runsChanged);
    LabRun added = handMadeRun();
    added.id.clear();
    view.addRun(added);
    QCOMPARE(changed.count(), 1);
    QVERIFY(view.hasRuns());
    QCOMPARE(view.runs().front().id, std::string("unsaved-1"));
  }

  void renderCommandDrawsTheFigureTheViewExports() {
    const QString cli = QDir(QCoreApplication::applicationDirPath()).filePath("shellscope-cli");
    QVERIFY2(QFileInfo::exists(cli), qPrintable(cli + " not found beside the test"));
    auto render = [&](const QString& session, const QStringList& arguments) {
      QProcess process;
      process.setProcessChannelMode(QProcess::MergedChannels);
      process.start(cli, QStringList{"render", session} + arguments);
      process.waitForFinished(60000);
      return std::make_pair(process.exitCode(), QString::fromUtf8(process.readAll()));
    };
    const QStringList size{"--width", "1000", "--height", "700", "--dpi", "96"};
    auto [status, output] = render(path_, QStringList{"--view", "generalisation", "--checkpoint", "2", "--out", dir_.filePath("g.png")} + size);
    QVERIFY2(status == 0, qPrintable(output));
    SessionDocument document;
    GeneralisationView view(&document);
    view.setRuns(readLabRuns(path_.toStdString()));
    view.setCheckpoint(2);
    ExportOptions options;
    options.size = QSize(1000, 700);
    options.dpi = 96;
    std::unique_ptr<QChart> shown(view.exportChart(ChartStyle{}));
    const QImage gui = renderChartImage(shown.get(), options).convertToFormat(QImage::Format_ARGB32);
    const QImage cliImage = QImage(dir_.filePath("g.png")).convertToFormat(QImage::Format_ARGB32);
    QCOMPARE(cliImage.size(), gui.size());
    QVERIFY2(cliImage == gui, "render --view generalisation differs from the Generalisation view's export");
    std::tie(status, output) = render(path_, {"--view", "generalisation", "--panel", "heatmap", "--time", "tau", "--color", "log", "--out", dir_.filePath("g.svg")});
    QVERIFY2(status == 0 && QFileInfo(dir_.filePath("g.svg")).size() > 1000, qPrintable(output));
    std::tie(status, output) = render(path_, {"--view", "generalisation", "--checkpoint", "9", "--out", dir_.filePath("x.png")});
    QVERIFY2(status == 2 && output.contains("--checkpoint must be 0..3"), qPrintable(output));
    std::tie(status, output) = render(path_, {"--view", "generalisation", "--panel", "flux", "--out", dir_.filePath("x.png")});
    QVERIFY2(status == 2 && output.contains("--panel must be"), qPrintable(output));
    std::tie(status, output) = render(path_, {"--view", "generalisation", "--lab", "lab-0001", "--out", dir_.filePath("x.png")});
    QVERIFY2(status == 1 && output.contains("no lab run with held-out points named 'lab-0001'"), qPrintable(output));
    // A session whose lab runs have no held-out points says so.
    const QString plain = dir_.filePath("plain.h5");
    appendLabRun(plain.toStdString(), readLabRuns(path_.toStdString()).front());
    std::tie(status, output) = render(plain, {"--view", "generalisation", "--out", dir_.filePath("y.png")});
    QVERIFY2(status == 1 && output.contains("no lab run with held-out points") && output.contains("--held-out"), qPrintable(output));
  }

  void sessionRunsWithHeldOutDataAreASeries() {
    const QString cli = QDir(QCoreApplication::applicationDirPath()).filePath("shellscope-cli");
    const QString path = dir_.filePath("held-out-runs.h5");
    QProcess compute;
    compute.setProcessChannelMode(QProcess::MergedChannels);
    compute.start(cli, {"compute", "--model", "builtin:tiny-lm", "--batches", "3", "--batch-size", "2", "--seq-len", "32",
                        "--lanczos-steps", "16", "--held-out-data", "builtin", "--threads", "1", "--out", path});
    QVERIFY(compute.waitForFinished(120000));
    QVERIFY2(compute.exitCode() == 0, compute.readAll().constData());
    appendLabRun(path.toStdString(), run_);  // and a lab run with held-out points beside it
    const Session session = readSession(path.toStdString());
    const Run& run = session.runs.front();
    QVERIFY(!run.heldOut.empty());
    QCOMPARE(modelsWithHeldOut(session), std::vector<std::string>{"tiny-lm"});

    MainWindow window;
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    window.document()->open(path);
    QVERIFY(opened.wait(30000));
    GeneralisationView* view = window.generalisationView();
    QTRY_VERIFY_WITH_TIMEOUT(view->runs().size() == 2 && !view->isLoading(), 20000);
    QVERIFY(!view->isSessionSeries(0));  // the lab run first
    QVERIFY(view->isSessionSeries(1));
    QCOMPARE(view->runs()[1].id, std::string("tiny-lm"));
    QVERIFY(view->setCurrentRun(std::string("runs:tiny-lm")));
    view->rebuildNow();
    QVERIFY(!view->timeInTau());
    const LabRun& shown = view->runs()[1];
    QCOMPARE(shown.checkpoints.size(), size_t(1));
    const int offset = run.window.firstEdgeIndex - shown.window.firstEdgeIndex;
    const LabBinRange bins = generalisationBins(shown);
    // R per shell is the mean over batch pairs; its standard error the pairs' spread / √B.
    const RateErrors* errors = view->currentErrors();
    QVERIFY(errors && errors->size() == 1);
    const Eigen::Index pairs = run.heldOut.shellRateBatches.rows();
    QCOMPARE(pairs, Eigen::Index(3));
    for (int j = 0; j < run.window.shellCount; ++j) {
      const int bin = 1 + offset + j;
      QCOMPARE(shown.checkpoints[0].heldOutRate[bin], run.heldOut.shellRate[j]);
      QCOMPARE(shown.checkpoints[0].heldOutEnergy[bin], run.heldOut.shellEnergy[j]);
      const Eigen::VectorXd pair = run.heldOut.shellRateBatches.col(j);
      const double se = std::sqrt((pair.array() - pair.mean()).square().sum() / (pairs - 1) / pairs);
      QVERIFY(std::abs((*errors)[0][bin] - se) <= 1e-12 * std::max(1.0, se));
    }
    // The bars carry R's signs; the band is R ± 2 SE at each shell.
    QStackedBarSeries* bars = barsOf(view->rateView()->chart());
    QVERIFY(bars);
    QAreaSeries* band = nullptr;
    for (QAbstractSeries* s : view->rateView()->chart()->series()) {
      if (auto* area = qobject_cast<QAreaSeries*>(s)) band = area;
    }
    QVERIFY(band);
    for (int b = bins.first; b <= bins.last; ++b) {
      const int i = b - bins.first;
      const double r = shown.checkpoints[0].heldOutRate[b];
      QCOMPARE(sign(bars->barSets()[0]->at(i) + bars->barSets()[1]->at(i)), sign(r));
    }
    const QList<QPointF> upper = band->upperSeries()->points(), lower = band->lowerSeries()->points();
    QVERIFY(!upper.isEmpty() && upper.size() == lower.size());
    for (qsizetype p = 0; p < upper.size(); ++p) {
      const int b = bins.first + static_cast<int>(std::lround(upper[p].x()));
      const double r = shown.checkpoints[0].heldOutRate[b], e = (*errors)[0][b];
      QVERIFY(std::abs(upper[p].y() - (r + 2 * e)) <= 1e-12 * (1 + std::abs(r)));
      QVERIFY(std::abs(lower[p].y() - (r - 2 * e)) <= 1e-12 * (1 + std::abs(r)));
    }
    QVERIFY(view->shownDataCsv().contains(",held_out_R_standard_error,"));
    QVERIFY(generalisationRateHover(shown, 0, QPointF(bins.count() - 1, 0), errors).contains("(2 SE)"));
    // render --model draws the same figure.
    const QStringList size{"--width", "1000", "--height", "700", "--dpi", "96"};
    QProcess render;
    render.setProcessChannelMode(QProcess::MergedChannels);
    render.start(cli, QStringList{"render", path, "--view", "generalisation", "--model", "tiny-lm", "--out", dir_.filePath("runs.png")} + size);
    QVERIFY(render.waitForFinished(60000));
    QVERIFY2(render.exitCode() == 0, render.readAll().constData());
    ExportOptions options;
    options.size = QSize(1000, 700);
    options.dpi = 96;
    std::unique_ptr<QChart> exported(view->exportChart(ChartStyle{}));
    QVERIFY(QImage(dir_.filePath("runs.png")).convertToFormat(QImage::Format_ARGB32) ==
            renderChartImage(exported.get(), options).convertToFormat(QImage::Format_ARGB32));
  }

 private:
  QTemporaryDir dir_;
  QString path_;
  LabRun run_;
};

QTEST_MAIN(TestGeneralisationView)
#include "test_generalisation_view.moc"
