// The theory lab's views on small lab runs and flux estimates built here with known values: the
// flux heatmap's colours (positive red, negative blue, zero white, a symmetric range), the hover
// read-outs, the CSV of what is drawn, the empty states, the figure export (the GUI's and the
// render command's are the same image), lighter cells where an interval holds zero, the time unit
// said on screen, runs and estimates read from a session file in the background, the lab job and
// the New Lab Run dialog's held-out points and label noise.
#include <QDir>
#include <QImage>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QtCharts/QAbstractAxis>
#include <QtCharts/QBarSeries>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <cmath>
#include <memory>

#include "session_fixtures.h"
#include "shellscope/experiment/lab_run.h"
#include "shellscope/session/session_file.h"
#include "shellscope/transport/transport_file.h"
#include "ui/charts/chart_grid.h"
#include "ui/charts/heatmap.h"
#include "ui/charts/interactive_chart_view.h"
#include "ui/charts/lab_charts.h"
#include "ui/charts/transport_chart.h"
#include "ui/dialogs/lab_run_dialog.h"
#include "ui/document/session_document.h"
#include "ui/figures/figure_export.h"
#include "ui/jobs/job_queue.h"
#include "ui/main_window.h"
#include "ui/views/lab_view.h"
#include "ui/views/transport_view.h"

using namespace shellscope;
using namespace shellscope::ui;

namespace {

/// Edges 0.01, 0.1, 1, 10 (one shell per decade): bins 0 underflow, 1..3 shells, 4 overflow.
ShellWindow smallWindow() {
  ShellWindow w;
  w.shellsPerDecade = 1;
  w.firstEdgeIndex = -2;
  w.shellCount = 3;
  return w;
}

/// Three checkpoints, two intervals; energy in shells 1..3, F̄_{2→1} = +0.5 in the first interval
/// (energy flows from shell 2 into shell 1), F̄_{3→2} = −0.25, and the balance terms known.
LabRun smallLabRun(const std::string& id, double alpha, double ratioScale) {
  LabRun run;
  run.id = id;
  run.settings.outputScale = alpha;
  run.modelName = "mlp";
  run.observable = "mse";
  run.window = smallWindow();
  const int bins = run.binCount();
  for (int k = 0; k < 3; ++k) {
    LabCheckpoint c;
    c.step = k;
    c.tau = 0.5 * k;
    c.energy = Eigen::VectorXd::Zero(bins);
    c.energy << 0, 1.0 - 0.1 * k, 2.0, 0.5, 0;
    c.dissipation = c.energy;
    c.crossEntropyDissipation = c.energy;
    run.checkpoints.push_back(c);
  }
  for (int k = 0; k < 2; ++k) {
    LabInterval in;
    in.dtau = 0.5;
    in.flux = Eigen::MatrixXd::Zero(bins, bins);
    in.flux(1, 2) = k == 0 ? 0.5 : 0.125;
    in.flux(2, 1) = -in.flux(1, 2);
    in.flux(2, 3) = -0.25;
    in.flux(3, 2) = 0.25;
    in.netFlux = in.flux.rowwise().sum();
    in.energyChange = Eigen::VectorXd::Zero(bins);
    in.energyChange[1] = -0.1;
    in.dissipationMean = Eigen::VectorXd::Zero(bins);
    in.dissipationMean.segment(1, 3).setConstant(0.1);
    in.checkpointDissipationMean = in.dissipationMean;
    in.crossing = Eigen::VectorXd::Zero(bins);
    in.crossing[3] = 0.02;
    in.crossing[2] = -0.02;
    in.residual = Eigen::VectorXd::Zero(bins);
    in.residual.segment(1, 3).setConstant(1e-3);
    in.frozenErrorChange = in.frozenBasisChange = in.cumulativeFlux = in.cumulativeFluxByDifference = Eigen::VectorXd::Zero(bins);
    in.transportToDissipation = ratioScale * (k + 1);
    in.relativeResidual = 1e-3;
    run.intervals.push_back(in);
  }
  return run;
}

/// Three checkpoints (steps 0, 10, 20, no learning rates known) on edges 0.1, 1, 10: J across
/// edge 1 is +2 then −1 (significant), edge 0 holds a value whose interval contains 0.
transport::SeriesTransport smallTransport(bool knowsTau) {
  transport::SeriesTransport t;
  t.id = "transport-0001";
  t.modelName = "nano";
  t.runIds = {"run-0001", "run-0002", "run-0003"};
  t.steps = {0, 10, 20};
  t.window.shellsPerDecade = 1;
  t.window.firstEdgeIndex = -1;
  t.window.shellCount = 2;
  t.time.source = knowsTau ? transport::TimeSource::TrainingLog : transport::TimeSource::Steps;
  t.time.description = knowsTau ? "training log of nano" : "steps (no learning rates known)";
  t.time.tau = knowsTau ? std::vector<double>{0, 0.01, 0.02} : std::vector<double>{0, 10, 20};
  t.confidence = 0.95;
  t.bootstrapSamples = 100;
  const int bins = t.binCount();
  t.batchIndex = {0, 1};
  t.energy = t.dissipation = Eigen::MatrixXd::Ones(3, bins);
  for (int k = 0; k < 2; ++k) {
    transport::TransportInterval in;
    in.fromRun = t.runIds[k];
    in.toRun = t.runIds[k + 1];
    in.fromStep = t.steps[k];
    in.toStep = t.steps[k + 1];
    in.dtau = 10;
    in.cumulativeFlux = Eigen::VectorXd::Zero(bins);
    in.cumulativeFlux << 0.3, k == 0 ? 2.0 : -1.0, 0.5, 0.0;
    in.standardError = Eigen::VectorXd::Constant(bins, 0.2);
    in.low = in.cumulativeFlux.array() - 0.4;
    in.high = in.cumulativeFlux.array() + 0.4;
    in.low[0] = -0.1;  // edge 0: the interval holds zero
    in.energyChange = in.dissipationMean = in.discretisation = Eigen::VectorXd::Zero(bins);
    in.cumulativeFluxBatches = in.cumulativeFlux.transpose().replicate(2, 1);  // two batches, alike
    t.intervals.push_back(in);
  }
  return t;
}

bool reddish(const QColor& c) { return c.red() > c.blue() + 40; }
bool bluish(const QColor& c) { return c.blue() > c.red() + 40; }

}  // namespace

class TestLabViews : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void divergingColoursAreWhiteAtZeroAndSymmetric() {
    QCOMPARE(divergingColor(0.0), QColor(Qt::white));
    QVERIFY(reddish(divergingColor(0.8)));
    QVERIFY(bluish(divergingColor(-0.8)));
    // Equal magnitudes are equally far from white.
    const QColor p = divergingColor(0.5), n = divergingColor(-0.5);
    QVERIFY(std::abs((255 - p.lightness()) - (255 - n.lightness())) < 40);
    HeatmapGrid grid;
    grid.values.resize(1, 2);
    grid.values << 3.0, -1.0;
    QCOMPARE(grid.symmetricRange(), 3.0);
    grid.logColor = true;
    QCOMPARE(grid.colorPosition(3.0), 1.0);
    QCOMPARE(grid.colorPosition(-3.0), -1.0);
    QVERIFY(grid.colorPosition(0.003) > 0.0 && grid.colorPosition(0.003) < 0.2);
  }

  void fluxHeatmapShowsTheChosenIntervalSigned() {
    const LabRun run = smallLabRun("lab-0001", 1, 1);
    std::unique_ptr<QChart> chart(labFluxChart(run, 0));
    const HeatmapItem* heatmap = heatmapOf(chart.get());
    QVERIFY(heatmap);
    const HeatmapGrid& grid = heatmap->grid();
    // Bins 1..3 hold energy: a 3 x 3 matrix, rows into α, columns from β.
    QCOMPARE(grid.values.rows(), 3);
    QCOMPARE(grid.values.cols(), 3);
    QCOMPARE(grid.values(0, 1), 0.5);    // F̄_{2→1}
    QCOMPARE(grid.values(1, 0), -0.5);
    QVERIFY(reddish(grid.cellColor(0, 1)));
    QVERIFY(bluish(grid.cellColor(1, 0)));
    QCOMPARE(grid.cellColor(0, 0), QColor(Qt::white));
    QCOMPARE(grid.symmetricRange(), 0.5);
    // The other interval: F̄_{2→1} = 0.125, on its own range.
    std::unique_ptr<QChart> second(labFluxChart(run, 1));
    QCOMPARE(heatmapOf(second.get())->grid().values(0, 1), 0.125);
    QCOMPARE(heatmapOf(second.get())->grid().symmetricRange(), 0.25);
  }

  void hoverGivesTheValuesUnderTheCursor() {
    const LabRun run = smallLabRun("lab-0001", 1, 1);
    // Positions: bin 1 at 0, bin 2 at 1. From β = bin 2 (x = 1) into α = bin 1 (y = 0).
    const QString flux = labFluxHover(run, 0, QPointF(1.0, 0.0));
    QVERIFY2(flux.contains("0.5"), qPrintable(flux));
    QVERIFY2(flux.contains("[0.1, 1)") && flux.contains("[0.01, 0.1)"), qPrintable(flux));
    QVERIFY(labFluxHover(run, 0, QPointF(7.0, 0.0)).isEmpty());
    const QString balance = labBalanceHover(run, 0, QPointF(0.1, 0.0));
    QVERIFY2(balance.contains("-0.2") && balance.contains("-0.2"), qPrintable(balance));  // ΔE/Δτ = -0.1/0.5, −2D̄ = -0.2
    QVERIFY2(labRatioHover(run, QPointF(0.75, 1.0)).contains("<b>2</b>"), qPrintable(labRatioHover(run, QPointF(0.75, 1.0))));
  }

  void balanceBarsAreTheIntervalsTerms() {
    const LabRun run = smallLabRun("lab-0001", 1, 1);
    std::unique_ptr<QChart> chart(labBalanceChart(run, 0));
    auto* bars = qobject_cast<QBarSeries*>(chart->series().value(0));
    QVERIFY(bars);
    QCOMPARE(bars->count(), 5);  // ΔE/Δτ, −2D̄, 2ΣF̄, crossing/Δτ, residual
    QCOMPARE(bars->barSets()[0]->count(), 3);  // bins 1..3
    QCOMPARE(bars->barSets()[0]->at(0), -0.2);  // ΔE/Δτ = -0.1 / 0.5
    for (int bin = 0; bin < 3; ++bin) QCOMPARE(bars->barSets()[1]->at(bin), -0.2);  // −2 · 0.1
    QCOMPARE(bars->barSets()[2]->at(0), 1.0);   // 2 ΣF̄ into bin 1 = 2 · 0.5
    QCOMPARE(bars->barSets()[2]->at(2), 0.5);   // into bin 3: 2 · 0.25
    QCOMPARE(bars->barSets()[3]->at(2), 0.04);  // crossing/Δτ of bin 3
    QCOMPARE(bars->barSets()[4]->at(1), 1e-3);
  }

  void csvHoldsWhatIsDrawn() {
    std::vector<LabRun> runs{smallLabRun("lab-0001", 1, 1), smallLabRun("lab-0002", 4, 0.25)};
    const QString csv = labCsv(runs, 0, 0);
    QVERIFY(csv.startsWith("panel,lab_run,interval,tau_from,tau_to,bin,from_bin,lambda_low,lambda_high,output_scale,quantity,value\n"));
    QVERIFY2(csv.contains("flux,lab-0001,0,0,0.5,1,2,0.01,0.1,,F_from_bin_into_bin,0.5\n"), qPrintable(csv));
    QVERIFY(csv.contains("flux,lab-0001,0,0,0.5,2,1,0.1,1,,F_from_bin_into_bin,-0.5\n"));
    QVERIFY(csv.contains("balance,lab-0001,0,0,0.5,3,,1,10,,crossing_per_dtau,0.04\n"));
    QVERIFY(csv.contains("ratio,lab-0001,1,0.5,1,,,,,,transport_to_dissipation,2\n"));
    QVERIFY(csv.contains("sweep,lab-0002,,0,1,,,,,4,run_transport_to_dissipation,"));
    QCOMPARE(csv.count("\nflux,"), 9);
  }

  void labViewHasAnEmptyStateAndThenFourPanels() {
    SessionDocument document;
    LabView view(&document);
    view.resize(1200, 800);
    QVERIFY(!view.hasRuns());
    QVERIFY(view.findChild<QStackedWidget*>()->currentIndex() == 0);
    QVERIFY(view.emptyText().contains("no lab runs"));
    QVERIFY(view.exportChart(ChartStyle{}) == nullptr);
    QVERIFY(view.shownDataCsv().isEmpty());
    QSignalSpy changed(&view, &LabView::runsChanged);
    view.setRuns({smallLabRun("lab-0001", 1, 1), smallLabRun("lab-0002", 4, 0.25)});
    QCOMPARE(changed.count(), 1);
    view.rebuildNow();
    QCOMPARE(view.findChild<QStackedWidget*>()->currentIndex(), 1);
    QVERIFY(heatmapOf(view.fluxView()->chart()));
    QVERIFY(view.setCurrentRun(std::string("lab-0002")));
    view.setInterval(1);
    view.rebuildNow();
    QCOMPARE(heatmapOf(view.fluxView()->chart())->grid().values(0, 1), 0.125);
    QVERIFY(view.shownDataCsv().contains("flux,lab-0002,1,"));
    // The export: four panels, or one.
    std::unique_ptr<QChart> all(view.exportChart(ChartStyle{}));
    auto* grid = dynamic_cast<ChartGrid*>(all.get());
    QVERIFY(grid);
    QCOMPARE(grid->charts().size(), size_t(4));
    view.setExportPanel(LabPanel::Flux);
    std::unique_ptr<QChart> flux(view.exportChart(ChartStyle{}));
    QVERIFY(heatmapOf(flux.get()));
  }

  void guiExportEqualsTheRenderCommandsFigure() {
    SessionDocument document;
    LabView view(&document);
    std::vector<LabRun> runs{smallLabRun("lab-0001", 1, 1), smallLabRun("lab-0002", 4, 0.25)};
    view.setRuns(runs);
    view.setInterval(1);
    ExportOptions options;
    options.size = QSize(1000, 700);
    options.dpi = 96;
    std::unique_ptr<QChart> shown(view.exportChart(ChartStyle{}));
    std::unique_ptr<QChart> rendered(labFigure(runs, 0, 1, LabPanel::All));  // what render --view lab draws
    const QImage a = renderChartImage(shown.get(), options), b = renderChartImage(rendered.get(), options);
    QCOMPARE(a.size(), QSize(1000, 700));
    QVERIFY(a == b);
    // Something is drawn in every quadrant (not a blank figure).
    for (const QPoint corner : {QPoint(250, 300), QPoint(750, 300), QPoint(250, 600), QPoint(750, 600)}) {
      bool ink = false;
      for (int y = corner.y() - 150; y < corner.y() + 50 && !ink; y += 2) {
        for (int x = corner.x() - 150; x < corner.x() + 150 && !ink; x += 2) ink = a.pixelColor(x, y).lightness() < 200;
      }
      QVERIFY2(ink, qPrintable(QString("quadrant at %1,%2 is blank").arg(corner.x()).arg(corner.y())));
    }
    QTemporaryDir dir;
    for (const QString name : {"lab.png", "lab.svg", "lab.pdf"}) {
      exportChart(shown.get(), dir.filePath(name), options);
      QVERIFY(QFileInfo(dir.filePath(name)).size() > 1000);
    }
  }

  void renderCommandDrawsTheLabAndTransportFiguresAsTheGuiExports() {
    const QString cli = QDir(QCoreApplication::applicationDirPath()).filePath("shellscope-cli");
    QVERIFY2(QFileInfo::exists(cli), qPrintable(cli + " not found beside the test"));
    QTemporaryDir dir;
    const QString path = dir.filePath("s.h5");
    for (double alpha : {1.0, 4.0}) {
      LabRun run = smallLabRun("", alpha, 1 / alpha);
      run.settings.outputScale = alpha;
      run.settings.storeSpectra = false;
      appendLabRun(path.toStdString(), run);
    }
    transport::appendTransport(path.toStdString(), smallTransport(false));
    auto render = [&](const QStringList& arguments) {
      QProcess process;
      process.setProcessChannelMode(QProcess::MergedChannels);
      process.start(cli, QStringList{"render", path} + arguments);
      process.waitForFinished(60000);
      return std::make_pair(process.exitCode(), QString::fromUtf8(process.readAll()));
    };
    const QStringList size{"--width", "1000", "--height", "700", "--dpi", "96"};
    auto [status, output] = render(QStringList{"--view", "lab", "--lab", "lab-0002", "--interval", "1", "--out", dir.filePath("lab.png")} + size);
    QVERIFY2(status == 0, qPrintable(output));
    // What the Lab view exports for the same run, interval and size.
    SessionDocument document;
    LabView view(&document);
    view.setRuns(readLabRuns(path.toStdString()));
    QVERIFY(view.setCurrentRun(std::string("lab-0002")));
    view.setInterval(1);
    ExportOptions options;
    options.size = QSize(1000, 700);
    options.dpi = 96;
    std::unique_ptr<QChart> shown(view.exportChart(ChartStyle{}));
    const QImage gui = renderChartImage(shown.get(), options).convertToFormat(QImage::Format_ARGB32);
    const QImage cliImage = QImage(dir.filePath("lab.png")).convertToFormat(QImage::Format_ARGB32);
    QCOMPARE(cliImage.size(), gui.size());
    QVERIFY2(cliImage == gui, "render --view lab differs from the Lab view's export");
    for (const QString out : {"lab.svg", "lab.pdf"}) {
      std::tie(status, output) = render({"--view", "lab", "--panel", "flux", "--out", dir.filePath(out)});
      QVERIFY2(status == 0 && QFileInfo(dir.filePath(out)).size() > 1000, qPrintable(output));
    }
    std::tie(status, output) = render({"--view", "lab", "--interval", "9", "--out", dir.filePath("x.png")});
    QVERIFY2(status == 2 && output.contains("--interval must be 0..1"), qPrintable(output));
    std::tie(status, output) = render({"--view", "lab", "--lab", "lab-0009", "--out", dir.filePath("x.png")});
    QVERIFY2(status == 1 && output.contains("no lab run named 'lab-0009'"), qPrintable(output));
    std::tie(status, output) = render(QStringList{"--view", "transport", "--out", dir.filePath("t.png")} + size);
    QVERIFY2(status == 0, qPrintable(output));
    TransportView transportView(&document);
    transportView.setTransports(transport::readTransports(path.toStdString()));
    std::unique_ptr<QChart> transportShown(transportView.exportChart(ChartStyle{}));
    QVERIFY(QImage(dir.filePath("t.png")).convertToFormat(QImage::Format_ARGB32) ==
            renderChartImage(transportShown.get(), options).convertToFormat(QImage::Format_ARGB32));
    // A session without lab runs says so.
    const QString empty = dir.filePath("empty.h5");
    writeSession(empty.toStdString(), testing::fixtureSession(1, 2, 2));
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(cli, {"render", empty, "--view", "lab", "--out", dir.filePath("y.png")});
    process.waitForFinished(60000);
    QVERIFY2(process.exitCode() == 1 && process.readAll().contains("no lab runs"), "render of a session without /lab");
  }

  void transportHeatmapSaysDirectionIntervalsAndTimeUnit() {
    const transport::SeriesTransport t = smallTransport(false);
    const TransportAxis axis = defaultTransportAxis(t);
    QVERIFY(!axis.tau);  // no learning rates known
    std::unique_ptr<QChart> chart(transportChart(t, axis));
    const HeatmapItem* heatmap = heatmapOf(chart.get());
    QVERIFY(heatmap);
    const HeatmapGrid& grid = heatmap->grid();
    QCOMPARE(grid.values.rows(), 3);  // edges 0.1, 1, 10
    QCOMPARE(grid.values.cols(), 2);
    QCOMPARE(grid.values(1, 0), 2.0);
    QCOMPARE(grid.values(1, 1), -1.0);
    QVERIFY(reddish(grid.cellColor(1, 0)));
    QVERIFY(bluish(grid.cellColor(1, 1)));
    // Edge 0's interval holds zero: lighter than the same value drawn plainly.
    QVERIFY(grid.faint(0, 0) && !grid.faint(1, 0));
    HeatmapGrid plain = grid;
    plain.faint.setConstant(false);
    QVERIFY(grid.cellColor(0, 0).lightness() > plain.cellColor(0, 0).lightness());
    QVERIFY(chart->title().contains("toward small"));
    QVERIFY(chart->title().contains("lighter"));
    QVERIFY(chart->title().contains("no learning rates known"));
    const QString xTitle = chart->axes(Qt::Horizontal).value(0)->titleText();
    QVERIFY2(xTitle.contains("no learning rates known"), qPrintable(xTitle));
    QCOMPARE(grid.xEdges, (std::vector<double>{0, 10, 20}));
    // Hover on edge 1 (λ = 1) in the second interval.
    const QString hover = transportHover(t, axis, QPointF(15, 1.0));
    QVERIFY2(hover.contains("-1") && hover.contains("[-1.4, -0.6]") && hover.contains("steps 10 → 20") &&
                 hover.contains("e² per step"), qPrintable(hover));
    const QString csv = transportCsv(t);
    QVERIFY(csv.startsWith("transport,interval,from_run,to_run,from_step,to_step,tau_from,tau_to,time_unit,edge,edge_lambda,J,"));
    QVERIFY2(csv.contains("transport-0001,1,run-0002,run-0003,10,20,,,steps,1,1,-1,0.2,-1.4,-0.6\n"), qPrintable(csv));
    QCOMPARE(csv.count('\n'), 1 + 2 * 3);
  }

  void transportInTauAndOnALogClock() {
    const transport::SeriesTransport t = smallTransport(true);
    TransportAxis axis = defaultTransportAxis(t);
    QVERIFY(axis.tau);
    std::unique_ptr<QChart> chart(transportChart(t, axis));
    QVERIFY(chart->axes(Qt::Horizontal).value(0)->titleText().contains(QString::fromUtf8("τ")));
    axis.logTime = true;
    const std::vector<double> x = transportTimeEdges(t, axis);
    QVERIFY(x.front() > 0 && x.front() < 0.01);  // 0 cannot sit on a log axis
    QCOMPARE(x.back(), 0.02);
    QVERIFY(transportHover(t, axis, QPointF(0.015, 1.0)).contains(QString::fromUtf8("τ 0.01 → 0.02")));
  }

  void transportViewHasAnEmptyStateAndExports() {
    SessionDocument document;
    TransportView view(&document);
    QVERIFY(!view.hasTransports());
    QVERIFY(view.emptyText().contains("no flux estimates"));
    QVERIFY(view.exportChart(ChartStyle{}) == nullptr);
    view.setTransports({smallTransport(false)});
    view.rebuildNow();
    QVERIFY(heatmapOf(view.chartView()->chart()));
    QVERIFY(!view.timeAxis().tau);
    QVERIFY(view.shownDataCsv().contains(",steps,1,1,2,"));
    std::unique_ptr<QChart> chart(view.exportChart(ChartStyle{}));
    QVERIFY(chart);
    QTemporaryDir dir;
    exportChart(chart.get(), dir.filePath("transport.svg"));
    QVERIFY(QFileInfo(dir.filePath("transport.svg")).size() > 1000);
  }

  void transportHeatmapShowsTheLinkedCursorsOnBothAxes() {
    // λ is the heatmap's left axis (shell edges), steps its bottom axis (no learning rates known):
    // a λ pinned elsewhere is a horizontal line here, a click pins λ only, the mouse moves both
    // hover cursors, and the exported figure carries the pinned λ as a line at exactly its value.
    SessionDocument document;
    TransportView view(&document);
    view.resize(900, 600);
    view.setTransports({smallTransport(false)});
    view.rebuildNow();
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    InteractiveChartView* chartView = view.chartView();
    QVERIFY(view.hasCursorAxis(CursorAxis::Lambda) && view.hasCursorAxis(CursorAxis::Step));
    Qt::Orientation along = Qt::Horizontal;
    QVERIFY(chartView->isCursorLinked(CursorAxis::Lambda, &along) && along == Qt::Vertical);
    QVERIFY(chartView->isCursorLinked(CursorAxis::Step, &along) && along == Qt::Horizontal);
    // Chart y <-> λ on the log axis, both ways.
    const double y = chartView->chartYOf(1.0);
    QVERIFY(std::isfinite(y));
    QVERIFY(std::abs(chartView->leftValueAt(y) - 1.0) < 1e-9);
    QVERIFY(!std::isfinite(chartView->chartYOf(1e3)));  // above the shown edges
    // The mouse: hover λ and step from the pixel; a click pins λ, not the step.
    CursorModel* cursors = document.cursors();
    const QPoint at(static_cast<int>(std::lround(chartView->chartXOf(10.0))), static_cast<int>(std::lround(y)));
    QTest::mouseMove(chartView->viewport(), at);
    QTRY_VERIFY(std::isfinite(cursors->hover(CursorAxis::Lambda)));
    QVERIFY(std::abs(std::log10(cursors->hover(CursorAxis::Lambda))) < 0.05);
    QVERIFY(std::abs(cursors->hover(CursorAxis::Step) - 10.0) < 0.5);
    QTest::mouseClick(chartView->viewport(), Qt::LeftButton, {}, at);
    QCOMPARE(cursors->pinned(CursorAxis::Lambda).size(), std::size_t{1});
    QVERIFY(cursors->pinned(CursorAxis::Step).empty());
    // In τ the bottom axis is no longer steps: only λ stays linked.
    view.setTransports({smallTransport(true)});
    view.rebuildNow();
    QVERIFY(view.timeAxis().tau);
    QVERIFY(!view.hasCursorAxis(CursorAxis::Step));
    QVERIFY(!chartView->isCursorLinked(CursorAxis::Step));
    // The export: a horizontal line at the pinned λ across the shown time range, named in the legend.
    cursors->setPinned(CursorAxis::Lambda, {0.5});
    std::unique_ptr<QChart> figure(view.exportFigure(ChartStyle{}, cursors));
    QVERIFY(figure);
    QLineSeries* mark = nullptr;
    for (QAbstractSeries* series : figure->series()) {
      if (series->name().startsWith("cursor 1")) mark = qobject_cast<QLineSeries*>(series);
    }
    QVERIFY(mark);
    QCOMPARE(mark->name(), QString::fromUtf8("cursor 1: λ = 0.5"));
    QCOMPARE(mark->count(), 2);
    QCOMPARE(mark->at(0).y(), 0.5);
    QCOMPARE(mark->at(1).y(), 0.5);
    QVERIFY(mark->at(0).x() < mark->at(1).x());
  }

  void sessionFilesLabRunsAndEstimatesAreReadInTheBackground() {
    QTemporaryDir dir;
    const QString path = dir.filePath("s.h5");
    writeSession(path.toStdString(), testing::fixtureSession(1, 3, 2));
    LabRun run = smallLabRun("", 2, 1);
    run.settings = LabRunSettings{};
    run.settings.outputScale = 2;
    run.settings.storeSpectra = false;  // the fixture has no eigenvalues
    QCOMPARE(appendLabRun(path.toStdString(), run), std::string("lab-0001"));
    transport::appendTransport(path.toStdString(), smallTransport(false));
    MainWindow window;
    QSignalSpy labRead(window.labView(), &LabView::runsChanged);
    QSignalSpy transportRead(window.transportView(), &TransportView::transportsChanged);
    QVERIFY(testing::openAndAnalyse(*window.document(), path));
    QVERIFY(labRead.count() > 0 || labRead.wait(20000));
    QVERIFY(transportRead.count() > 0 || transportRead.wait(20000));
    QTRY_VERIFY(!window.labView()->isLoading());
    QCOMPARE(window.labView()->runs().size(), size_t(1));
    QCOMPARE(window.labView()->runs().front().id, std::string("lab-0001"));
    QCOMPARE(window.transportView()->transports().size(), size_t(1));
    QCOMPARE(window.transportView()->transports().front().intervals[1].cumulativeFlux[1], -1.0);
    QVERIFY(window.tabs()->indexOf(window.labView()) >= 0 && window.tabs()->indexOf(window.transportView()) >= 0);
  }

  void aSessionOfLabRunsAloneOpensOnTheLabTab() {
    QTemporaryDir dir;
    const QString path = dir.filePath("lab-only.h5");
    LabRun run = smallLabRun("", 1, 1);
    run.settings.storeSpectra = false;
    appendLabRun(path.toStdString(), run);  // creates the file: /lab and nothing else
    MainWindow window;
    QSignalSpy opened(window.document(), &SessionDocument::opened);
    QSignalSpy failed(window.document(), &SessionDocument::openFailed);
    window.document()->open(path);
    QVERIFY2(opened.wait(30000), failed.isEmpty() ? "not opened" : qPrintable(failed.front().value(1).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(window.labView()->hasRuns(), 20000);
    QVERIFY(window.document()->isEmpty());
    QCOMPARE(window.currentPage(), static_cast<ChartPage*>(window.labView()));
    QVERIFY(!window.transportView()->hasTransports());
    QVERIFY(window.transportView()->emptyText().contains("no flux estimates"));
  }

  void aLabJobAddsItsRunToTheSessionFile() {
    QTemporaryDir dir;
    const QString path = dir.filePath("lab.h5");
    LabRunSettings settings;
    settings.points = 8;
    settings.steps = 3;
    settings.threads = 1;
    JobQueue queue;
    QSignalSpy finished(&queue, &JobQueue::labRunFinished);
    QSignalSpy failed(&queue, &JobQueue::jobFailed);
    const int id = queue.enqueueLab(settings, path, "lab");
    QVERIFY(finished.wait(120000));
    QVERIFY(failed.isEmpty());
    const LabRun run = finished.front().front().value<LabRun>();
    QCOMPARE(run.id, std::string("lab-0001"));
    QCOMPARE(run.intervals.size(), size_t(3));
    QCOMPARE(queue.job(id)->state, Job::State::Finished);
    QCOMPARE(queue.job(id)->kind, Job::Kind::Lab);
    const std::vector<LabRun> stored = readLabRuns(path.toStdString());
    QCOMPARE(stored.size(), size_t(1));
    QCOMPARE(stored.front().intervals.size(), size_t(3));
  }

  // ---- the New Lab Run dialog's held-out points and label noise (issue 14) ----

  void labRunDialogRoundTripsHeldOutPointsAndLabelNoise() {
    LabRunSettings in;
    in.model = "builtin:mlp";
    in.points = 64;
    in.heldOutPoints = 128;
    in.labelNoise = 0.7;
    in.steps = 50;
    in.every = 5;
    LabRunDialog dialog{QString()};
    dialog.setSettings(in);
    const LabRunSettings out = dialog.settings();
    QCOMPARE(out.heldOutPoints, 128);
    QCOMPARE(out.labelNoise, 0.7);
    QCOMPARE(out.points, 64);
    QCOMPARE(out.every, 5);
    QVERIFY2(dialog.validationMessage().isEmpty(), qPrintable(dialog.validationMessage()));
    auto* heldOut = dialog.findChild<QSpinBox*>("heldOutPoints");
    QVERIFY(heldOut);
    QVERIFY(heldOut->toolTip().contains("R_b"));  // says what is measured
    heldOut->setValue(0);
    QCOMPARE(heldOut->text(), QString("none"));
    QCOMPARE(dialog.settings().heldOutPoints, 0);
  }

  void labRunDialogLabelNoiseIsTheRegressorsOnly() {
    LabRunSettings in;
    in.model = "builtin:mlp";
    in.labelNoise = 0.5;
    LabRunDialog dialog{QString()};
    dialog.setSettings(in);
    auto* noise = dialog.findChild<QLineEdit*>("labelNoise");
    QVERIFY(noise);
    QVERIFY(noise->isEnabled());
    // A language model: the field is off and the settings carry no noise (validate() would refuse it).
    in.model = "builtin:nano-lm";
    in.points = 64;
    in.seqLen = 16;
    in.heldOutPoints = 32;
    dialog.setSettings(in);
    QVERIFY(!noise->isEnabled());
    QCOMPARE(dialog.settings().labelNoise, 0.0);
    QCOMPARE(dialog.settings().heldOutPoints, 32);
    QVERIFY2(dialog.validationMessage().isEmpty(), qPrintable(dialog.validationMessage()));
    // Whole windows: the held-out spin box steps by the window length.
    QCOMPARE(dialog.findChild<QSpinBox*>("heldOutPoints")->singleStep(), 16);
    in.model = "builtin:mlp";
    dialog.setSettings(in);
    QVERIFY(noise->isEnabled());
  }

  void labRunDialogNamesTheBadHeldOutField() {
    LabRunDialog dialog{QString()};
    LabRunSettings lm;
    lm.model = "builtin:nano-lm";
    lm.points = 64;
    lm.seqLen = 16;
    lm.heldOutPoints = 40;  // not whole windows
    dialog.setSettings(lm);
    std::string setting;
    QString message = dialog.validationMessage(&setting);
    QCOMPARE(setting, std::string("held_out_points"));
    QVERIFY2(message.startsWith(LabRunDialog::fieldLabel("held_out_points")), qPrintable(message));
    QVERIFY2(message.contains("multiple"), qPrintable(message));
    QCOMPARE(dialog.fieldOf(setting), static_cast<QWidget*>(dialog.findChild<QSpinBox*>("heldOutPoints")));

    LabRunSettings mlp;
    mlp.labelNoise = -0.5;
    dialog.setSettings(mlp);
    message = dialog.validationMessage(&setting);
    QCOMPARE(setting, std::string("label_noise"));
    QCOMPARE(LabRunDialog::fieldLabel("label_noise"), QString::fromUtf8("Label noise σ"));
    QVERIFY2(message.startsWith(QString::fromUtf8("Label noise σ")), qPrintable(message));
    QCOMPARE(dialog.fieldOf(setting), static_cast<QWidget*>(dialog.findChild<QLineEdit*>("labelNoise")));

    // OK refuses and shows the message.
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    for (QPushButton* button : dialog.findChildren<QPushButton*>()) {
      if (button->text() == "&Run") button->click();
    }
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
  }
};

QTEST_MAIN(TestLabViews)
#include "test_lab_views.moc"
