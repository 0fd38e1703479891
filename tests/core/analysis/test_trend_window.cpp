// Trends over a window (trends.h, trend_fits.h): the bootstrap slope against a closed form, the
// curvature test on straight and bent series, window detection on a series with a known
// scale-free range, the assumptions that withhold a prediction, user windows, and storage.
// The full bias/coverage study is `shellscope-cli bench-analysis --trends` (docs/analysis.md);
// the trials here are a small version of it.
#include <H5Cpp.h>
#include <QTemporaryDir>
#include <cmath>
#include <random>

#include "shellscope/analysis/analysis_file.h"
#include "shellscope/analysis/validation.h"
#include "shellscope/session/session_file.h"
#include "test_support.h"
#include "trend_fits.h"

using namespace shellscope;
using namespace shellscope::analysis;
using trendfits::Series;

namespace {

/// x = 0, 0.25, ... (log10 time), y = f(x) + noise, replicates y + noise, one row per checkpoint.
Series seriesOf(int n, const std::function<double(double)>& f, double noise, int replicates, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  Series s;
  for (int i = 0; i < n; ++i) {
    s.x.push_back(0.25 * i);
    s.y.push_back(f(0.25 * i) + normal(rng));
  }
  s.replicates.assign(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(replicates)));
  for (int r = 0; r < replicates; ++r) {
    for (int i = 0; i < n; ++i) s.replicates[static_cast<std::size_t>(i)][static_cast<std::size_t>(r)] = s.y[static_cast<std::size_t>(i)] + normal(rng);
  }
  return s;
}

AnalysisOptions quickOptions() {
  AnalysisOptions o;
  o.bootstrapSamples = 60;
  return o;
}

/// Every run of a synthetic series analysed once.
std::vector<RunAnalysis> analysed(const Session& session, const AnalysisOptions& options) {
  std::vector<RunAnalysis> out;
  for (const Run& run : session.runs) {
    out.push_back(analyzeRun(run, options));
    out.back().fingerprint = runFingerprint(run);
  }
  return out;
}

std::vector<const RunAnalysis*> pointers(const std::vector<RunAnalysis>& runs) {
  std::vector<const RunAnalysis*> out;
  for (const RunAnalysis& r : runs) out.push_back(&r);
  return out;
}

}  // namespace

class TestTrendWindow : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void slopeAndItsBootstrapErrorMatchAClosedForm() {
    // Replicate r tilts the line by s_r: its slope is exactly 2 + s_r, so the bootstrap standard
    // error is sd(s_r)·sqrt(B/(B-1)) and the interval ± t_(B-1) times that.
    Series s = seriesOf(9, [](double x) { return 1.0 + 2.0 * x; }, 0.0, 5, 1);  // noise-free
    const std::vector<double> tilts{-0.2, -0.1, 0.0, 0.1, 0.2};
    for (int i = 0; i < s.size(); ++i) {
      for (int r = 0; r < 5; ++r) s.replicates[static_cast<std::size_t>(i)][static_cast<std::size_t>(r)] += tilts[static_cast<std::size_t>(r)] * (s.x[static_cast<std::size_t>(i)] - 1.0);
    }
    const int batches = 8;
    const trendfits::LineFit fit = trendfits::fitLine(s, 0, 8, batches, 0.95);
    QCOMPARE(fit.points, 9);
    SHELLSCOPE_COMPARE_ERROR(std::abs(fit.slope - 2.0), 1e-12);
    SHELLSCOPE_COMPARE_ERROR(std::abs(fit.intercept - 1.0), 1e-12);
    const double sd = std::sqrt(0.1 / 4.0);  // Σ s_r² / (5 - 1)
    const double se = sd * std::sqrt(8.0 / 7.0);
    SHELLSCOPE_COMPARE_ERROR(std::abs(fit.standardError - se), 1e-12);
    SHELLSCOPE_COMPARE_ERROR(std::abs(fit.high - fit.slope - studentTQuantile(0.975, 7) * se), 1e-12);
    // A checkpoint range: the same line on points 2..6.
    SHELLSCOPE_COMPARE_ERROR(std::abs(trendfits::fitLine(s, 2, 6, batches, 0.95).slope - 2.0), 1e-12);
  }

  void curvatureTellsABendFromNoise() {
    const Series straight = seriesOf(12, [](double x) { return 0.5 - 0.3 * x; }, 0.01, 200, 2);
    const Series bent = seriesOf(12, [](double x) { return 0.5 - 0.3 * x + 0.05 * x * x; }, 0.01, 200, 3);
    const trendfits::Curvature straightBend = trendfits::curvature(straight, 0, 11, 16);
    const trendfits::Curvature bentBend = trendfits::curvature(bent, 0, 11, 16);
    qInfo("curvature score: straight %.2f, bent %.2f", straightBend.score, bentBend.score);
    QVERIFY(straightBend.test == trendfits::Curvature::Test::Tested && std::abs(straightBend.score) < 3.0);
    QVERIFY(bentBend.score > 10.0);
    // Two points: nothing to test; no replicates, or too many without a value: untestable.
    QVERIFY(trendfits::curvature(straight, 0, 1, 16).test == trendfits::Curvature::Test::NoValues);
    const Series bare = seriesOf(12, [](double x) { return x; }, 0.0, 0, 4);
    QVERIFY(trendfits::curvature(bare, 0, 11, 16).test == trendfits::Curvature::Test::Untestable);
    Series holes = straight;
    for (int r = 0; r < 40; ++r) holes.replicates[5][static_cast<std::size_t>(r)] = std::nan("");
    QVERIFY(trendfits::curvature(holes, 0, 11, 16).test == trendfits::Curvature::Test::Untestable);
    // An untestable series vetoes a window, one without values there does not.
    const double z = studentTQuantile(1 - 0.05 / 2, 15);
    QVERIFY(!trendfits::detectWindow({&straight, &holes}, 4, z, 16).found ||
            trendfits::detectWindow({&straight, &holes}, 4, z, 16).last < 5 ||
            trendfits::detectWindow({&straight, &holes}, 4, z, 16).first > 5);
    Series empty = straight;
    for (double& y : empty.y) y = std::nan("");
    const trendfits::DetectedWindow withEmpty = trendfits::detectWindow({&straight, &empty}, 4, z, 16);
    QVERIFY(withEmpty.found && withEmpty.first == 0 && withEmpty.last == 11);
  }

  void detectionFindsTheStraightRange() {
    // Flat up to x = 1 (checkpoint 4), a straight line to x = 3 (checkpoint 12), then falling fast.
    const auto f = [](double x) {
      if (x < 1.0) return 0.0;
      if (x <= 3.0) return -(x - 1.0);
      return -2.0 - 3.0 * (x - 3.0) * (x - 3.0) - (x - 3.0);
    };
    const Series s = seriesOf(16, f, 0.005, 200, 5);
    const double z = studentTQuantile(1 - 0.05 / 2, 15);
    const trendfits::DetectedWindow w = trendfits::detectWindow({&s}, kMinWindowCheckpoints, z, 16);
    QVERIFY(w.found);
    qInfo("detected checkpoints %d..%d (true 4..12), worst score %.2f", w.first, w.last, w.worstScore);
    QCOMPARE(w.first, 4);
    QCOMPARE(w.last, 12);
    QVERIFY(w.worstScore <= z);
  }

  void syntheticSeriesGiveTheirWindowAndExponents() {
    // A small version of the bench-analysis study: the window between a plateau and a late decay
    // is found, and the exponents on it hold their truths.
    const TrendScenario scenario = trendScenarios().front();
    const TrendValidation v = validateTrends(scenario, 16, 0.15, 6, quickOptions(), 11);
    qInfo("window inside %d/6, exact %d/6; κ held %d/%d, loss %d/%d, c0 %d/%d, predicted %d/%d", v.windowInside,
          v.windowExact, v.detected.kappa.covered, v.detected.kappa.estimated, v.detected.loss.covered,
          v.detected.loss.estimated, v.detected.c0.covered, v.detected.c0.estimated, v.detected.predicted.covered,
          v.detected.predicted.estimated);
    QVERIFY(v.windowInside >= 5);
    QVERIFY(v.meanWindowShare > 0.8);
    QCOMPARE(v.predictionWithheld, 0);
    QCOMPARE(v.detected.predicted.estimated, 6);
    QVERIFY(v.detected.kappa.covered >= 4 && v.detected.loss.covered >= 4 && v.detected.c0.covered >= 4);
    SHELLSCOPE_COMPARE_ERROR(std::abs(v.detected.c0.bias), 0.05);
    SHELLSCOPE_COMPARE_ERROR(std::abs(v.detected.predicted.bias), 0.05);
    SHELLSCOPE_COMPARE_ERROR(std::abs(v.detected.loss.bias), 0.02);
  }

  void failedAssumptionsWithholdThePrediction() {
    for (const TrendScenario& scenario : trendScenarios()) {
      if (scenario.assumptionsHold) continue;
      const Session session = syntheticCheckpointSeries(scenario, 12, 0.15, 21);
      const std::vector<RunAnalysis> runs = analysed(session, quickOptions());
      const ModelTrends m = modelTrends("synthetic", pointers(runs), session.findTrainingLog("synthetic"));
      qInfo("%s: %s", scenario.name.c_str(), m.predictionStatus.text().c_str());
      QVERIFY(!m.predictionStatus.ok());
      QVERIFY(std::isnan(m.predictedLossExponent));
      QVERIFY(m.predictionStatus.message().rfind("not predicted: ", 0) == 0);
      const bool kappaCase = scenario.name.find("κ") != std::string::npos;
      QVERIFY(m.predictionStatus == (kappaCase ? TransportCode::NotLinearInTime : TransportCode::PDrifting));
      // The measured exponent is still there, on the same window.
      QVERIFY(m.lossExponentStatus.ok());
      SHELLSCOPE_COMPARE_ERROR(std::abs(m.measuredLossExponent - scenario.lossExponent), 0.02);
      // The stored text gives the code back.
      QVERIFY(transportStatusFromText(m.predictionStatus.text()) == m.predictionStatus.code());
    }
  }

  void withoutTauThePredictionIsWithheld() {
    // The same series without its training log: time is the step, and c0 then carries the
    // learning rate, so no loss exponent is predicted.
    const TrendScenario scenario = trendScenarios()[1];
    Session session = syntheticCheckpointSeries(scenario, 8, 0.15, 51);
    const std::vector<RunAnalysis> runs = analysed(session, quickOptions());
    const ModelTrends m = modelTrends("synthetic", pointers(runs), nullptr);
    QCOMPARE(m.timeAxis, std::string("step"));
    QVERIFY(!m.predictionStatus.ok());
    QVERIFY(m.predictionStatus == TransportCode::Untested);
    QVERIFY(m.predictionStatus.message().find("without τ") != std::string::npos);
    QVERIFY(m.lossExponentStatus.ok());
  }

  void aWithheldPredictionReadsBackWithItsFirstReason() {
    const TransportStatus s = transportStatusFromText(
        "not predicted: κ ∝ τ cannot be tested on the window: ...; p drifts across the window: from 1 to 2");
    QVERIFY(s == TransportCode::Untested);
    QVERIFY(transportStatusFromText("not predicted: p drifts across the window: from 1 to 2; no scale-free window") ==
            TransportCode::PDrifting);
  }

  void aUserWindowIsUsedAndSaysSo() {
    const TrendScenario scenario = trendScenarios().front();
    const Session session = syntheticCheckpointSeries(scenario, 8, 0.15, 31);
    const std::vector<RunAnalysis> runs = analysed(session, quickOptions());
    const StepRange range{session.runs[5].meta.step, session.runs[9].meta.step};
    const ModelTrends m = modelTrends("synthetic", pointers(runs), session.findTrainingLog("synthetic"), &range);
    QCOMPARE(m.window.choice, std::string("user"));
    QCOMPARE(m.window.checkpoints, 5);
    QCOMPARE(m.window.available, 16);
    QCOMPARE(m.find("loss", "step")->points, 5);
    QVERIFY(m.window.reason.find("chosen by the user") != std::string::npos);
    // Too narrow a window: no slope, and a reason.
    const StepRange narrow{session.runs[5].meta.step, session.runs[6].meta.step};
    const ModelTrends n = modelTrends("synthetic", pointers(runs), session.findTrainingLog("synthetic"), &narrow);
    QVERIFY(n.find("loss", "accumulated_lr")->status == TrendCode::TooFewPoints);
    QVERIFY(!n.predictionStatus.ok());
  }

  void windowsAndIntervalsAreStoredAndOldAnalysesGoStale() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.h5").toStdString();
    const TrendScenario scenario = trendScenarios().front();
    Session session = syntheticCheckpointSeries(scenario, 8, 0.15, 41);
    writeSession(path, session);
    session = readSession(path);
    AnalysisOptions options = quickOptions();
    options.trendWindows["synthetic"] = StepRange{session.runs[4].meta.step, session.runs[11].meta.step};
    const SessionAnalysis computed = analyzeSession(session, options);
    writeAnalysis(path, computed);
    const SessionAnalysis read = readAnalysis(path, session);
    QCOMPARE(read.options.trendWindows.size(), std::size_t(1));
    QCOMPARE(read.options.trendWindows.at("synthetic").first, session.runs[4].meta.step);
    const ModelTrends& a = computed.trends.front();
    const ModelTrends& b = read.trends.front();
    QCOMPARE(b.window.choice, std::string("user"));
    QCOMPARE(b.window.checkpoints, a.window.checkpoints);
    QCOMPARE(b.window.reason, a.window.reason);
    QCOMPARE(b.predictedCiLow, a.predictedCiLow);
    QCOMPARE(b.find("kappa", "accumulated_lr")->ciHigh, a.find("kappa", "accumulated_lr")->ciHigh);
    QCOMPARE(b.predictionStatus.text(), a.predictionStatus.text());
    // The replicates come back, so trends can be redone on another window without re-analysing runs.
    QVERIFY(!read.runs.front().stale);
    QVERIFY(read.runs.front().replicates.loss == computed.runs.front().replicates.loss);
    QVERIFY(read.runs.front().replicates.kappa == computed.runs.front().replicates.kappa);
    std::vector<const RunAnalysis*> again;
    for (const RunAnalysis& r : read.runs) again.push_back(&r);
    const ModelTrends redone = modelTrends("synthetic", again, session.findTrainingLog("synthetic"),
                                           &read.options.trendWindows.at("synthetic"));
    QVERIFY(a.predictionStatus.ok());
    QCOMPARE(redone.predictedLossExponent, a.predictedLossExponent);
    QCOMPARE(redone.predictedCiHigh, a.predictedCiHigh);

    // An analysis stored before the replicates existed reads back stale (and is redone).
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      H5::Group run = file.openGroup("analysis/runs/" + read.runs.front().runId);
      run.removeAttr("trend_replicate_count");
      run.unlink("trend_replicates");
    }
    resealSession(path);
    const SessionAnalysis old = readAnalysis(path, session);
    QVERIFY(old.runs.front().stale);
    QVERIFY(!old.runs.back().stale);
    // A stored window whose ends are reversed is an error naming the file, not a silent window.
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      H5::Group w = file.openGroup("analysis/trend_windows/synthetic");
      w.removeAttr("first_step");
      const std::int64_t late = session.runs[15].meta.step;
      w.createAttribute("first_step", H5::PredType::NATIVE_INT64, H5::DataSpace()).write(H5::PredType::NATIVE_INT64, &late);
    }
    resealSession(path);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, readAnalysis(path, session));
  }

  void savingFromMemoryKeepsGroupsOfOtherTools() {
    // The GUI saves by rewriting the file from memory (writeSessionWithAnalysis); /lab and other
    // tools' groups, which it does not hold, are carried over from the file it read.
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.h5").toStdString(), copy = dir.filePath("copy.h5").toStdString();
    Session session = syntheticCheckpointSeries(trendScenarios().front(), 4, 0.15, 3);
    writeSession(path, session);
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      H5::Group lab = file.createGroup("lab");
      H5::Group run = lab.createGroup("lab-0001");
      const double tau[3] = {0.0, 0.5, 1.0};
      const hsize_t three = 3;
      run.createDataSet("tau", H5::PredType::NATIVE_DOUBLE, H5::DataSpace(1, &three))
          .write(tau, H5::PredType::NATIVE_DOUBLE);
      file.createGroup("notes");
    }
    resealSession(path);
    session = readSession(path);
    const SessionAnalysis analysis = analyzeSession(session, quickOptions());
    writeSessionWithAnalysis(path, session, analysis, path);        // Save
    writeSessionWithAnalysis(copy, session, analysis, path);        // Save As
    for (const std::string& saved : {path, copy}) {
      QVERIFY(checkSessionFile(saved).empty());
      H5::H5File file(saved, H5F_ACC_RDONLY);
      QVERIFY(file.nameExists("notes"));
      double tau[3] = {};
      file.openDataSet("lab/lab-0001/tau").read(tau, H5::PredType::NATIVE_DOUBLE);
      QCOMPARE(tau[2], 1.0);
      QCOMPARE(readSession(saved).runs.size(), session.runs.size());
      QVERIFY(!readAnalysis(saved, session).runs.empty());
    }
  }
};

QTEST_GUILESS_MAIN(TestTrendWindow)
#include "test_trend_window.moc"
