// Merging per-batch spectra into a run: independent of order, exact energy bookkeeping, NaN
// padding after early stops, clear errors for inconsistent items.
#include <algorithm>
#include <random>

#include "shellscope/spectral/run.h"
#include "test_support.h"

using namespace shellscope;

namespace {

BatchSpectrum makeSpectrum(std::int64_t batch, int steps, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> logLambda(-5.0, 2.0), raw(0.0, 1.0);
  BatchSpectrum s;
  s.batchIndex = batch;
  s.stepsTaken = steps;
  s.ritzValues.resize(steps);
  s.ritzWeights.resize(steps);
  for (int i = 0; i < steps; ++i) {
    s.ritzValues(i) = std::pow(10.0, logLambda(rng));
    s.ritzWeights(i) = raw(rng);
  }
  std::sort(s.ritzValues.data(), s.ritzValues.data() + steps);
  s.ritzWeights /= s.ritzWeights.sum();
  s.errorNorm2 = 1.0 + raw(rng);
  s.loss = std::sqrt(s.errorNorm2) * 0.9;
  s.nTokens = 256;
  return s;
}

RunMetadata metadata() {
  RunMetadata m;
  m.modelName = "unit";
  m.lanczosSteps = 10;
  m.shellsPerDecade = 4;
  return m;
}

}  // namespace

class TestRunAssembly : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void massIdentityPerBatchAndOnAverage() {
    std::vector<BatchSpectrum> spectra;
    for (int b = 0; b < 6; ++b) spectra.push_back(makeSpectrum(b, b == 3 ? 4 : 10, 100 + b));
    ShellWindowPolicy policy;
    policy.relativeFloor = 1e-4;  // pushes some mass into underflow on purpose
    const Run run = assembleRun(metadata(), spectra, policy);
    QCOMPARE(run.batchCount(), Eigen::Index(6));
    QCOMPARE(run.meta.nBatches, std::int64_t(6));
    QVERIFY(run.underflow.sum() > 0.0);
    QVERIFY(run.massIdentityResidual() < 1e-14);
    const double total = run.shellEnergy.sum() + run.underflow.mean() + run.overflow.mean();
    QVERIFY(std::abs(total - run.meanErrorNorm2()) < 1e-14 * run.meanErrorNorm2());
    // The mean profile is the column mean of the per-batch profiles.
    QVERIFY((run.shellEnergy - run.shellEnergyBatches.colwise().mean().transpose()).cwiseAbs().maxCoeff() < 1e-15);
  }

  void earlyStopsArePaddedWithNan() {
    std::vector<BatchSpectrum> spectra{makeSpectrum(0, 10, 1), makeSpectrum(1, 3, 2)};
    const Run run = assembleRun(metadata(), spectra, ShellWindowPolicy{});
    QCOMPARE(run.ritzValues.cols(), Eigen::Index(10));
    QCOMPARE(run.stepsTaken[1], std::int64_t(3));
    QVERIFY(std::isfinite(run.ritzValues(1, 2)));
    QVERIFY(std::isnan(run.ritzValues(1, 3)));
    QVERIFY(std::isnan(run.ritzWeights(1, 9)));
    QVERIFY(std::abs(run.ritzWeights.row(1).head(3).sum() - 1.0) < 1e-14);
  }

  void resultDoesNotDependOnItemOrder() {
    std::vector<BatchSpectrum> spectra;
    for (int b = 0; b < 8; ++b) spectra.push_back(makeSpectrum(b, 10, 200 + b));
    const Run ordered = assembleRun(metadata(), spectra, ShellWindowPolicy{});
    std::mt19937 rng(3);
    std::shuffle(spectra.begin(), spectra.end(), rng);
    const Run shuffled = assembleRun(metadata(), spectra, ShellWindowPolicy{});
    QCOMPARE(shuffled.batchIndex, ordered.batchIndex);
    QVERIFY(shuffled.shellEnergyBatches == ordered.shellEnergyBatches);
    QVERIFY(shuffled.shellEnergy == ordered.shellEnergy);
    QCOMPARE(shuffled.window.firstEdgeIndex, ordered.window.firstEdgeIndex);
  }

  void zeroErrorBatchContributesNothing() {
    BatchSpectrum zero;
    zero.batchIndex = 1;
    zero.nTokens = 16;
    const Run run = assembleRun(metadata(), {makeSpectrum(0, 10, 5), zero}, ShellWindowPolicy{});
    QCOMPARE(run.shellEnergyBatches.row(1).sum(), 0.0);
    QCOMPARE(run.stepsTaken[1], std::int64_t(0));
    QVERIFY(run.massIdentityResidual() < 1e-14);
  }

  void peakShellIsTheLargestMeanEnergy() {
    BatchSpectrum s;
    s.batchIndex = 0;
    s.stepsTaken = 3;
    s.ritzValues = Eigen::Vector3d(0.01, 1.5, 100.0);
    s.ritzWeights = Eigen::Vector3d(0.2, 0.7, 0.1);
    s.errorNorm2 = 2.0;
    const Run run = assembleRun(metadata(), {s}, ShellWindowPolicy{});
    const int peak = run.peakShell();
    QVERIFY(run.window.edge(peak) <= 1.5 && 1.5 < run.window.edge(peak + 1));
    QCOMPARE(run.shellEnergy(peak), 1.4);
  }

  void inconsistentItemsAreRejected() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, assembleRun(metadata(), {}, ShellWindowPolicy{}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             assembleRun(metadata(), {makeSpectrum(2, 5, 1), makeSpectrum(2, 5, 2)}, ShellWindowPolicy{}));
    BatchSpectrum bad = makeSpectrum(0, 5, 1);
    bad.ritzWeights.resize(4);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, assembleRun(metadata(), {bad}, ShellWindowPolicy{}));
  }
};

QTEST_APPLESS_MAIN(TestRunAssembly)
#include "test_run_assembly.moc"
