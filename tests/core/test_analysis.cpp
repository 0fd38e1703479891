// The analysis layer against synthetic profiles with known parameters, realistic noise and batch
// structure: recovery within stated tolerances, coverage of the reported uncertainties over many
// seeds, a symmetric peak that smoothing must not move, trends and alignments with known exponents
// and shifts, degenerate inputs that must say "cannot fit", and storage with stale detection.
#include <QTemporaryDir>

#include <cmath>
#include <random>

#include "shellscope/analysis/session_analysis.h"
#include "shellscope/session_file.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::analysis;

namespace {

constexpr double kLn10 = 2.302585092994046;

/// A run whose per-batch shell energies are `truth(λ_centre)` times lognormal noise (σ in natural
/// log units), with one Ritz value per shell so that masses and the energy identity are consistent.
Run syntheticRun(const std::function<double(double)>& truth, double noise, int batches, std::uint64_t seed,
                 int firstEdge = -12, int shells = 24, const std::string& model = "synthetic", std::int64_t step = 1000) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  std::vector<BatchSpectrum> spectra;
  ShellWindow window{4, firstEdge, shells};
  for (int b = 0; b < batches; ++b) {
    BatchSpectrum s;
    s.batchIndex = b;
    std::vector<double> values, energies;
    for (int j = 0; j < shells; ++j) {
      const double e = truth(window.centre(j)) * std::exp(normal(rng));
      if (e > 0) {
        values.push_back(window.centre(j));
        energies.push_back(e);
      }
    }
    double total = 0;
    for (double e : energies) total += e;
    s.stepsTaken = static_cast<int>(values.size());
    s.ritzValues = Eigen::Map<Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
    s.ritzWeights.resize(s.stepsTaken);
    for (int i = 0; i < s.stepsTaken; ++i) s.ritzWeights(i) = energies[static_cast<size_t>(i)] / total;
    s.errorNorm2 = total;
    s.loss = std::sqrt(total);
    s.nTokens = 256;
    spectra.push_back(s);
  }
  RunMetadata meta;
  meta.modelName = model;
  meta.step = step;
  meta.lanczosSteps = shells;
  meta.shellsPerDecade = 4;
  meta.dtype = "float64";
  ShellWindowPolicy policy;
  policy.lambdaMin = window.edge(0) * 1.0001;
  policy.lambdaMax = window.edge(shells) * 0.9999;
  Run run = assembleRun(meta, spectra, policy);
  run.id = "run-" + std::to_string(step);
  return run;
}

std::function<double(double)> theoryCurve(double logC, double p, double kappa) {
  return [=](double lambda) { return std::pow(10.0, logC) * std::pow(lambda, p + 1) * std::exp(-kappa * lambda); };
}

std::function<double(double)> piecewiseCurve(double a, double s, double b, double kappa, double xb, double delta) {
  return [=](double lambda) {
    const double x = std::log10(lambda), w = 1 / (1 + std::exp(-(x - xb) / delta));
    return std::pow(10.0, (1 - w) * (a + s * x) + w * (b - kappa * lambda / kLn10));
  };
}

AnalysisOptions fastOptions() {
  AnalysisOptions o;
  o.bootstrapSamples = 100;
  return o;
}

}  // namespace

class TestAnalysis : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void chiSquareTailIsRight() {
    QVERIFY(std::abs(chiSquareSurvival(3.841458820694124, 1) - 0.05) < 1e-9);
    QVERIFY(std::abs(chiSquareSurvival(18.307038053275146, 10) - 0.05) < 1e-9);
    QVERIFY(std::abs(chiSquareSurvival(2.0, 2) - std::exp(-1.0)) < 1e-12);
  }

  void theoryFitRecoversParameters() {
    // E = C λ^(p+1) e^(-κλ) with p = 0.8, κ = 0.5: the peak at (p+1)/κ = 3.6.
    const Run run = syntheticRun(theoryCurve(-1.0, 0.8, 0.5), 0.2, 16, 1);
    const RunAnalysis a = analyzeRun(run, fastOptions());
    QVERIFY2(a.theory.fit.ok, a.theory.fit.status.c_str());
    SHELLSCOPE_COMPARE_ERROR(std::abs(a.theory.p - 0.8), 0.05);
    SHELLSCOPE_COMPARE_ERROR(std::abs(a.theory.kappa - 0.5) / 0.5, 0.05);
    SHELLSCOPE_COMPARE_ERROR(std::abs(a.theory.peakLambda - 3.6) / 3.6, 0.05);
    QVERIFY(a.theory.pError > 0 && a.theory.pError < 0.05);
  }

  void theoryUncertaintiesCoverTheTruth() {
    // Over 200 seeds the 95% intervals should hold the true values about 95% of the time.
    int coverP = 0, coverKappa = 0;
    const int seeds = 200;
    for (int seed = 0; seed < seeds; ++seed) {
      const Run run = syntheticRun(theoryCurve(0.0, 1.5, 0.2), 0.3, 12, 100 + static_cast<std::uint64_t>(seed));
      AnalysisOptions o = fastOptions();
      o.bootstrapSamples = 0;
      const RunAnalysis a = analyzeRun(run, o);
      QVERIFY(a.theory.fit.ok);
      coverP += std::abs(a.theory.p - 1.5) <= 1.96 * a.theory.pError;
      coverKappa += std::abs(a.theory.kappa - 0.2) <= 1.96 * a.theory.kappaError;
    }
    qInfo("95%% intervals: p covered in %d/%d, kappa in %d/%d", coverP, seeds, coverKappa, seeds);
    QVERIFY(coverP >= 0.88 * seeds && coverP <= 0.995 * seeds);
    QVERIFY(coverKappa >= 0.88 * seeds && coverKappa <= 0.995 * seeds);
  }

  void piecewiseFitRecoversParameters() {
    // A power law of slope 1.2 up to λ ≈ 1, exponential suppression with κ = 2 beyond.
    const Run run = syntheticRun(piecewiseCurve(0.5, 1.2, 1.8, 2.0, 0.0, 0.08), 0.15, 16, 7);
    const RunAnalysis a = analyzeRun(run, fastOptions());
    QVERIFY2(a.piecewise.fit.ok, a.piecewise.fit.status.c_str());
    SHELLSCOPE_COMPARE_ERROR(std::abs(a.piecewise.slope - 1.2), 0.06);
    SHELLSCOPE_COMPARE_ERROR(std::abs(a.piecewise.kappa - 2.0) / 2.0, 0.1);
    SHELLSCOPE_COMPARE_ERROR(std::abs(std::log10(a.piecewise.blendLambda)), 0.1);
    QVERIFY(a.piecewise.slopeError > 0);
    // The profile was generated by the piecewise model: the information criterion prefers it.
    QCOMPARE(a.betterModel, std::string("piecewise"));
  }

  void piecewiseSlopeUncertaintyCoversTheTruth() {
    int covered = 0, fitted = 0;
    for (int seed = 0; seed < 120; ++seed) {
      const Run run = syntheticRun(piecewiseCurve(0.5, 1.2, 1.8, 2.0, 0.0, 0.08), 0.25, 12, 500 + static_cast<std::uint64_t>(seed));
      AnalysisOptions o = fastOptions();
      o.bootstrapSamples = 0;
      const RunAnalysis a = analyzeRun(run, o);
      if (!a.piecewise.fit.ok) continue;
      ++fitted;
      covered += std::abs(a.piecewise.slope - 1.2) <= 1.96 * a.piecewise.slopeError;
    }
    qInfo("piecewise slope covered in %d/%d fits", covered, fitted);
    QVERIFY(fitted >= 110);
    QVERIFY(covered >= 0.85 * fitted && covered <= fitted);
  }

  void smoothingKeepsASymmetricPeakInPlace_data() {
    QTest::addColumn<double>("peakLog10");
    QTest::addColumn<double>("width");
    QTest::newRow("on a shell centre, width 0.25") << 0.125 << 0.25;
    QTest::newRow("on a shell centre, width 0.6") << 0.125 << 0.6;
    QTest::newRow("on a shell edge, width 0.25") << 0.25 << 0.25;
    QTest::newRow("on a shell edge, width 0.4") << -0.5 << 0.4;
  }
  void smoothingKeepsASymmetricPeakInPlace() {
    QFETCH(double, peakLog10);
    QFETCH(double, width);
    // A Gaussian bump in log-log, symmetric about 10^peakLog10, on a window symmetric about it.
    const auto bump = [&](double lambda) {
      const double u = std::log10(lambda) - peakLog10;
      return std::pow(10.0, 2.0 - 3.0 * u * u);
    };
    // Shell centres symmetric about the peak: 15 shells around a centre, 16 around an edge.
    const double q = 4 * peakLog10;
    const bool onCentre = std::abs(q - std::floor(q) - 0.5) < 1e-9;
    const int firstEdge = onCentre ? static_cast<int>(std::floor(q)) - 7 : static_cast<int>(std::lround(q)) - 8;
    const Run run = syntheticRun(bump, 0.0, 2, 3, firstEdge, onCentre ? 15 : 16);
    AnalysisOptions o = fastOptions();
    o.smoothingWidth = width;
    const Frontier f = findFrontier(run, o);
    QCOMPARE(f.status, std::string("ok"));
    SHELLSCOPE_COMPARE_ERROR(std::abs(std::log10(f.lambda) - peakLog10), 0.006);
    QVERIFY(std::isfinite(f.widthDecades) && f.widthDecades > 0);
  }

  void frontierIntervalUsuallyHoldsTheTruth() {
    int covered = 0;
    const int seeds = 40;
    for (int seed = 0; seed < seeds; ++seed) {
      const Run run = syntheticRun(theoryCurve(-1.0, 0.8, 0.5), 0.4, 12, 900 + static_cast<std::uint64_t>(seed));
      const Frontier f = findFrontier(run, fastOptions());
      // The smoothed peak of the noiseless profile is the frontier's target.
      const Run clean = syntheticRun(theoryCurve(-1.0, 0.8, 0.5), 0.0, 2, 1);
      const double target = smoothedPeak(clean.window, clean.shellEnergy, 0.25);
      covered += f.ciLow <= target && target <= f.ciHigh;
      QVERIFY(f.ciLow <= f.lambda && f.lambda <= f.ciHigh);
    }
    qInfo("frontier 95%% bootstrap interval held the target in %d/%d", covered, seeds);
    QVERIFY(covered >= 0.75 * seeds);
  }

  void cutoffAndWidthOfAKnownCurve() {
    const Run run = syntheticRun(theoryCurve(0.0, 1.0, 1.0), 0.0, 2, 1, -16, 24);
    AnalysisOptions o = fastOptions();
    o.smoothingWidth = 0;  // interpolation only: compare with the curve itself
    const Frontier f = findFrontier(run, o);
    // E ∝ λ² e^-λ peaks at λ = 2; it falls to 1e-3 of the peak near λ = 14.9.
    SHELLSCOPE_COMPARE_ERROR(std::abs(std::log10(f.lambda / 2.0)), 0.13);
    SHELLSCOPE_COMPARE_ERROR(std::abs(std::log10(f.cutoffLambda / 14.9)), 0.13);
    QVERIFY(f.widthDecades > 0.6 && f.widthDecades < 1.1);
  }

  void trendsRecoverKnownExponents() {
    // Checkpoints whose fitted κ grows like τ and whose profiles move as the theory says, with a
    // constant learning rate: κ = 2τ/(1+c0) with c0 = 0.5, p = 1.
    const double c0 = 0.5, lr = 1e-3, p = 1.0;
    Session session;
    TrainingLog log;
    log.modelName = "m";
    for (int s = 0; s < 8000; ++s) log.steps.push_back(s);
    log.loss = Eigen::VectorXd::Constant(8000, 1.0);
    log.learningRate = Eigen::VectorXd::Constant(8000, lr);
    session.trainingLogs.push_back(log);
    for (std::int64_t step : {500, 1000, 2000, 4000, 8000}) {
      const double tau = lr * step, kappa = 2 * tau / (1 + c0);
      Run run = syntheticRun(theoryCurve(0.0, p, kappa), 0.1, 12, static_cast<std::uint64_t>(step), -20, 32, "m", step);
      session.runs.push_back(run);
    }
    AnalysisOptions o = fastOptions();
    o.bootstrapSamples = 40;
    const SessionAnalysis a = analyzeSession(session, o);
    const ModelTrends* m = a.findTrends("m");
    QVERIFY(m);
    const Trend* kappaTrend = m->find("kappa", "step");
    QVERIFY(kappaTrend && kappaTrend->status == "ok");
    SHELLSCOPE_COMPARE_ERROR(std::abs(kappaTrend->exponent - 1.0), 0.05);
    const Trend* frontier = m->find("frontier_lambda", "accumulated_lr");
    QVERIFY(frontier && frontier->status == "ok");
    SHELLSCOPE_COMPARE_ERROR(std::abs(frontier->exponent + 1.0), 0.1);  // λ* = (p+1)/κ ∝ 1/τ
    QCOMPARE(m->timeAxis, std::string("accumulated_lr"));
    QCOMPARE(m->c0Status, std::string("ok"));
    SHELLSCOPE_COMPARE_ERROR(std::abs(m->c0 - c0), 0.05);
    SHELLSCOPE_COMPARE_ERROR(std::abs(m->predictedLossExponent - ((1 + c0) * p + 1)), 0.1);
  }

  void alignmentFindsAKnownShift() {
    const auto curve = theoryCurve(0.0, 1.0, 0.3);
    const double dx = 0.2, dy = 0.5;  // other = reference shifted right by 0.2 decades and up by 0.5
    const auto shifted = [&](double lambda) { return std::pow(10.0, dy) * curve(lambda / std::pow(10.0, dx)); };
    const Run a = syntheticRun(curve, 0.05, 12, 11, -16, 28, "small");
    const Run b = syntheticRun(shifted, 0.05, 12, 12, -16, 28, "large");
    const Alignment al = alignProfiles(a, b, fastOptions());
    QCOMPARE(al.status, std::string("ok"));
    SHELLSCOPE_COMPARE_ERROR(std::abs(al.peakDisplacement - dx), 0.05);  // a fifth of a shell
    SHELLSCOPE_COMPARE_ERROR(std::abs(al.amplitudeShift - dy), 0.05);
    QVERIFY(al.peakDisplacementError > 0 && al.peakDisplacementError < 0.05);
  }

  void degenerateProfilesSayCannotFit_data() {
    QTest::addColumn<int>("kind");
    QTest::newRow("empty run") << 0;
    QTest::newRow("one non-empty shell") << 1;
    QTest::newRow("monotone rising") << 2;
    QTest::newRow("NaN energies") << 3;
    QTest::newRow("negative and infinite energies") << 4;
  }
  void degenerateProfilesSayCannotFit() {
    QFETCH(int, kind);
    std::function<double(double)> curve;
    if (kind == 0) curve = [](double) { return 0.0; };
    if (kind == 1) curve = [](double l) { return std::abs(std::log10(l) - 0.125) < 0.1 ? 1.0 : 0.0; };
    if (kind == 2) curve = [](double l) { return l * l; };
    Run run = syntheticRun(kind >= 3 ? theoryCurve(0, 1, 1) : curve, 0.1, 4, 5);
    if (kind == 3) run.shellEnergy.setConstant(std::nan(""));
    if (kind == 4) {
      run.shellEnergy.setConstant(-1.0);
      run.shellEnergy(2) = INFINITY;
    }
    const RunAnalysis a = analyzeRun(run, fastOptions());
    QVERIFY2(a.frontier.status != "ok", a.frontier.status.c_str());
    QVERIFY(!a.piecewise.fit.ok);
    QVERIFY(a.piecewise.fit.status.rfind("cannot fit", 0) == 0);
    QVERIFY(std::isnan(a.piecewise.slope));
    QVERIFY(!a.theory.fit.ok);
    QVERIFY(a.theory.fit.status.rfind("cannot fit", 0) == 0);
    QVERIFY(std::isnan(a.theory.p));
    QCOMPARE(a.betterModel, std::string("undecided"));
    // Trends over such runs say why there is no slope.
    Session session;
    session.runs = {run};
    const SessionAnalysis s = analyzeSession(session, fastOptions());
    QVERIFY(s.trends.front().find("kappa")->status.find("too few points") != std::string::npos);
  }

  void aSingleBadShellIsLeftOut() {
    Run run = syntheticRun(theoryCurve(-1.0, 0.8, 0.5), 0.1, 8, 2);
    run.shellEnergy(5) = std::nan("");
    const RunAnalysis a = analyzeRun(run, fastOptions());
    QVERIFY(a.theory.fit.ok);
    SHELLSCOPE_COMPARE_ERROR(std::abs(a.theory.p - 0.8), 0.1);
  }

  void storedAnalysisRoundTripsAndGoesStale() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.h5").toStdString();
    Session session;
    for (std::int64_t step : {100, 200, 400}) {
      session.addRun(syntheticRun(theoryCurve(0, 1.0, 0.01 * step), 0.1, 8, static_cast<std::uint64_t>(step), -16, 28, "m", step));
    }
    writeSession(path, session);
    session = readSession(path);
    const SessionAnalysis analysis = analyzeSession(session, fastOptions());
    writeAnalysis(path, analysis);
    const SessionAnalysis read = readAnalysis(path, readSession(path));
    QCOMPARE(read.runs.size(), analysis.runs.size());
    for (size_t i = 0; i < read.runs.size(); ++i) {
      const RunAnalysis& x = analysis.runs[i];
      const RunAnalysis& y = read.runs[i];
      QCOMPARE(y.runId, x.runId);
      QVERIFY(!y.stale);
      QCOMPARE(y.frontier.lambda, x.frontier.lambda);
      QCOMPARE(y.theory.p, x.theory.p);
      QCOMPARE(y.theory.fit.status, std::string("ok"));
      QVERIFY(y.theory.fit.parameters == x.theory.fit.parameters);
      QCOMPARE(y.piecewise.fit.status, x.piecewise.fit.ok ? std::string("ok") : x.piecewise.fit.status);
    }
    QCOMPARE(read.options.smoothingWidth, 0.25);
    QVERIFY(!read.trends.front().stale);
    QCOMPARE(read.trends.front().find("kappa")->exponent, analysis.trends.front().find("kappa")->exponent);

    // A new run of the model makes its trends stale; the run analyses stay valid.
    appendRuns(path, {syntheticRun(theoryCurve(0, 1.0, 8.0), 0.1, 8, 9, -16, 28, "m", 800)});
    const SessionAnalysis after = readAnalysis(path, readSession(path));
    QVERIFY(after.trends.front().stale);
    QVERIFY(!after.runs.front().stale);
    // A run whose data changed reads back stale.
    Session changed = readSession(path);
    changed.runs[0].shellEnergyBatches *= 2.0;
    QVERIFY(runFingerprint(changed.runs[0]) != analysis.runs[0].fingerprint);
  }
};

QTEST_APPLESS_MAIN(TestAnalysis)
#include "test_analysis.moc"
