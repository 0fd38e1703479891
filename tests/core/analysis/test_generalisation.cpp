// Train versus held-out at scale (shellscope/analysis/generalisation.h) on synthetic batch pairs
// whose truth is known: per pair b and shell α, R_bα = μ_α + noise, so R_α's truth is μ_α.
//   - Coverage of the 95% (studentized bootstrap) intervals of R_α and of the total rate over 200
//     seeded trials, at 8 and 32 pairs, with Gaussian and with skewed (centred exponential) noise:
//     180-197 of 200 (the plain mean ± t·se held only 172 of 200 with skewed noise at 8 pairs), and
//     the bias within a tenth of the spread. The figures are printed (docs/generalisation.md).
//   - A shell planted with μ > 0 among negative ones is the raising shell, and the model's window
//     spans the checkpoints that have it.
//   - The profile and rates of the held-out side are binned from the Ritz arrays.
#include <cmath>
#include <cstdio>
#include <random>

#include "shellscope/analysis/generalisation.h"
#include "synthetic_runs.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::analysis;

namespace {

/// A training run of B batches (one Ritz value per shell, 12 shells) with held-out points whose
/// rate per Ritz value is mu(shell) + noise; held-out Ritz values equal the training ones.
Run pairedRun(int batches, const std::vector<double>& mu, double noise, bool skewed, std::uint64_t seed,
              std::int64_t step = 1000) {
  Run run = syntheticRun(theoryCurve(-2.0, 0.2, 0.5), 0.1, batches, seed, -8, static_cast<int>(mu.size()), "m", step);
  std::mt19937_64 rng(seed * 7919 + 3);
  std::normal_distribution<double> normal(0.0, noise);
  std::exponential_distribution<double> exponential(1.0 / noise);
  HeldOutSpectra& h = run.heldOut;
  const Eigen::Index B = run.batchCount();
  h.ritzValues = run.ritzValues;
  h.ritzWeights = run.ritzWeights;
  h.errorNorm2 = run.errorNorm2;
  h.loss = run.loss * 1.1;
  h.ritzRates = Eigen::MatrixXd::Constant(B, run.ritzValues.cols(), std::nan(""));
  h.rateDirect.resize(B);
  for (Eigen::Index b = 0; b < B; ++b) {
    h.batchIndex.push_back(b);
    h.nTokens.push_back(256);
    double sum = 0;
    for (Eigen::Index j = 0; j < run.ritzValues.cols(); ++j) {
      if (std::isnan(run.ritzValues(b, j))) continue;
      const int shell = run.window.locate(run.ritzValues(b, j));
      const double r = mu[static_cast<std::size_t>(shell)] + (skewed ? exponential(rng) - noise : normal(rng));
      h.ritzRates(b, j) = r;
      sum += r;
    }
    h.rateDirect(b) = sum;
  }
  h.computeShells(run.window, run.ritzValues);
  return run;
}

}  // namespace

class TestGeneralisation : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void intervalsCoverTheTruth() {
    const std::vector<double> mu{-0.5, -0.2, 0.1, 0.3, -0.05, 0.0, -1.0, 0.2, -0.3, 0.05, -0.1, -0.02};
    double truthTotal = 0;
    for (double m : mu) truthTotal += m;
    AnalysisOptions options;
    options.bootstrapSamples = 200;
    for (const bool skewed : {false, true}) {
      for (const int batches : {8, 32}) {
        const int trials = 200;
        std::vector<int> held(mu.size(), 0);
        int heldTotal = 0;
        double bias = 0, spread = 0;
        for (int t = 0; t < trials; ++t) {
          const Run run = pairedRun(batches, mu, 0.2, skewed, 1000 + static_cast<std::uint64_t>(t));
          options.seed = static_cast<std::uint64_t>(t) + 1;
          const HeldOutRunAnalysis a = analyzeHeldOut(run, options);
          for (std::size_t j = 0; j < mu.size(); ++j) {
            const auto i = static_cast<Eigen::Index>(j);
            held[j] += (a.shellRateLow(i) <= mu[j] && mu[j] <= a.shellRateHigh(i)) ? 1 : 0;
          }
          heldTotal += (a.rateLow <= truthTotal && truthTotal <= a.rateHigh) ? 1 : 0;
          bias += (a.shellRate(3) - mu[3]) / trials;
          spread += std::pow(a.shellRate(3) - mu[3], 2) / trials;
        }
        spread = std::sqrt(spread);
        int lowest = trials, highest = 0;
        for (int h : held) lowest = std::min(lowest, h), highest = std::max(highest, h);
        std::printf("%s noise, %d pairs: R_alpha held %d..%d of %d over 12 shells, total rate held %d; shell 3 bias %+.4f spread %.4f\n",
                    skewed ? "skewed" : "Gaussian", batches, lowest, highest, trials, heldTotal, bias, spread);
        QVERIFY2(lowest >= 180 && highest <= 197,
                 qPrintable(QString("coverage %1..%2 of 200").arg(lowest).arg(highest)));
        QVERIFY(heldTotal >= 180 && heldTotal <= 197);
        QVERIFY(std::abs(bias) <= 0.1 * spread + 0.01);
      }
    }
  }

  void aPlantedShellIsTheRaisingShellAndTheWindowFollowsIt() {
    std::vector<double> mu(12, -0.3);
    mu[5] = 0.4;
    AnalysisOptions options;
    const Run early = pairedRun(16, std::vector<double>(12, -0.3), 0.1, false, 7, 100);
    const Run middle = pairedRun(16, mu, 0.1, false, 8, 1000);
    const Run late = pairedRun(16, mu, 0.1, false, 9, 2000);
    const HeldOutRunAnalysis a = analyzeHeldOut(middle, options);
    QCOMPARE(static_cast<int>(a.raisingShells.size()), 1);
    QCOMPARE(a.raisingShells.front(), 5);
    QCOMPARE(a.lambdaLow, middle.window.edge(5));
    QCOMPARE(a.lambdaHigh, middle.window.edge(6));
    QVERIFY(analyzeHeldOut(early, options).raisingShells.empty());
    Session session;
    for (const Run* r : {&late, &early, &middle}) session.runs.push_back(*r);
    const std::vector<HeldOutWindow> windows = heldOutWindows(analyzeHeldOutRuns(session, options));
    QCOMPARE(static_cast<int>(windows.size()), 1);
    const HeldOutWindow& w = windows.front();
    QCOMPARE(static_cast<int>(w.steps.size()), 3);
    QCOMPARE(w.steps.front(), std::int64_t(100));
    QCOMPARE(w.firstStep, std::int64_t(1000));
    QCOMPARE(w.lastStep, std::int64_t(2000));
    QCOMPARE(w.lambdaLow, middle.window.edge(5));
    QVERIFY(QString::fromStdString(w.reason).contains("2 of 3"));
  }

  void theHeldOutProfileAndRatesAreBinnedFromTheRitzArrays() {
    std::vector<double> mu(12, 0.0);
    mu[2] = 1.0;
    const Run run = pairedRun(4, mu, 1e-9, false, 3);
    const HeldOutSpectra& h = run.heldOut;
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      // The held-out profile sums to mean(e'²) with the under- and overflow, and the rates to rate_direct.
      QVERIFY(std::abs(h.shellEnergyBatches.row(b).sum() + h.underflow(b) + h.overflow(b) - h.errorNorm2(b)) <= 1e-12 * h.errorNorm2(b));
      QVERIFY(std::abs(h.shellRateBatches.row(b).sum() + h.rateUnderflow(b) + h.rateOverflow(b) - h.rateDirect(b)) <= 1e-12);
    }
    QVERIFY(std::abs(h.shellRate(2) - 1.0) < 1e-6);
    Run none = syntheticRun(theoryCurve(-2.0, 0.2, 0.5), 0.1, 4, 1, -8, 12);
    QVERIFY(test::messageOf([&] { analyzeHeldOut(none, AnalysisOptions{}); }).contains("no held-out points"));
  }

  void theCrossEntropySplitIsAnalysedFromItsOwnArrays() {
    // The cross-entropy split (compute --held-out-cross-entropy): its own quadrature from 1 with a
    // planted raising shell, while the mse split has none; each objective reads its own arrays.
    std::vector<double> mse(12, -0.3), ce(12, -0.3);
    ce[7] = 0.5;
    Run run = pairedRun(16, mse, 0.05, false, 21);
    const Run ceSource = pairedRun(16, ce, 0.05, false, 22);
    AnalysisOptions options;
    QVERIFY(!hasHeldOutSplit(run, HeldOutObjective::CrossEntropy));
    QVERIFY(test::messageOf([&] { analyzeHeldOut(run, options, HeldOutObjective::CrossEntropy); }).contains("cross-entropy"));
    HeldOutSpectra::CrossEntropy& c = run.heldOut.crossEntropy;
    c.ritzValues = ceSource.ritzValues;
    c.ritzWeights = ceSource.ritzWeights;
    c.ritzRates = ceSource.heldOut.ritzRates;
    c.rateDirect = ceSource.heldOut.rateDirect;
    run.heldOut.computeShells(run.window, run.ritzValues);
    QVERIFY(hasHeldOutSplit(run, HeldOutObjective::CrossEntropy));
    // Binned like the mse rates: the rates sum to the direct rate per pair, the training rate is −Σ θ w ≤ 0.
    for (Eigen::Index b = 0; b < run.batchCount(); ++b) {
      QVERIFY(std::abs(c.shellRateBatches.row(b).sum() + c.rateUnderflow(b) + c.rateOverflow(b) - c.rateDirect(b)) <= 1e-12);
      double dissipation = 0;
      for (Eigen::Index j = 0; j < c.ritzValues.cols(); ++j) {
        if (!std::isnan(c.ritzValues(b, j))) dissipation -= c.ritzValues(b, j) * c.ritzWeights(b, j);
      }
      const double binned = c.trainingRateBatches.row(b).sum() + c.trainingRateUnderflow(b) + c.trainingRateOverflow(b);
      QVERIFY(std::abs(binned - dissipation) <= 1e-12 * std::abs(dissipation));
      QVERIFY(c.trainingRateBatches.row(b).maxCoeff() <= 0);
    }
    const HeldOutRunAnalysis a = analyzeHeldOut(run, options, HeldOutObjective::CrossEntropy);
    QVERIFY(a.objective == HeldOutObjective::CrossEntropy);
    QCOMPARE(a.raisingShells, std::vector<int>{7});
    QVERIFY(std::abs(a.rate - c.rateDirect.mean()) <= 1e-12);
    QVERIFY(analyzeHeldOut(run, options).raisingShells.empty());
    // A session lists the mse analyses first, then the cross-entropy ones; windows per objective.
    Session session;
    session.runs.push_back(run);
    session.runs.push_back(pairedRun(16, mse, 0.05, false, 23, 2000));
    const std::vector<HeldOutRunAnalysis> all = analyzeHeldOutRuns(session, options);
    QCOMPARE(static_cast<int>(all.size()), 3);
    QVERIFY(all[0].objective == HeldOutObjective::MeanSquaredError);
    QVERIFY(all[1].objective == HeldOutObjective::MeanSquaredError);
    QVERIFY(all[2].objective == HeldOutObjective::CrossEntropy);
    const std::vector<HeldOutWindow> windows = heldOutWindows(all);
    QCOMPARE(static_cast<int>(windows.size()), 2);
    QVERIFY(windows[1].objective == HeldOutObjective::CrossEntropy);
    QCOMPARE(windows[1].firstStep, std::int64_t(1000));
    QCOMPARE(windows[0].firstStep, std::int64_t(-1));
  }
};

QTEST_APPLESS_MAIN(TestGeneralisation)
#include "test_generalisation.moc"
