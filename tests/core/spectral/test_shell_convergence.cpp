// Adaptive m against dense spectra: Lanczos stopped by the shell-convergence test
// (shell_convergence.h) stops early on a spectrum spread over decades, and when it stops every
// shell that the test covers really is pinned down: the exact energy lies inside its bounds and
// the bounds are within the tolerance; the step cap and minSteps are honoured; Full and
// Golub-Kahan stop alike.
#include <Eigen/Eigenvalues>

#include "dense_operators.h"
#include "shellscope/spectral/quadrature_bounds.h"
#include "shellscope/spectral/shell_convergence.h"
#include "test_support.h"

using namespace shellscope;
using shellscope::test::randomVector;

namespace {

LanczosResult adaptiveRun(const DenseProblem& p, const Eigen::VectorXd& e, LanczosMode mode, const ShellConvergenceTest& test,
                          int minSteps, int cap, int* asked = nullptr) {
  LanczosOptions o;
  o.mode = mode;
  o.maxSteps = cap;
  o.minSteps = minSteps;
  o.relativeTolerance = 1e-13;
  o.stopWhen = [&](const Eigen::VectorXd& d, const Eigen::VectorXd& off, double next) {
    if (asked) ++*asked;
    return testShellConvergence(test, d, off, next).converged;
  };
  if (mode == LanczosMode::GolubKahan) {
    DenseFactoredOperator op(p.q * p.lambda.cwiseSqrt().asDiagonal());
    return golubKahan(op, e, o);
  }
  DenseOperator op(p.matrix());
  return lanczos(op, e, o);
}

/// Exact shell energies (total mass 1) of the measure Σ w_u δ(λ_u) on `window`.
std::vector<double> exactShells(const ShellWindow& window, const Eigen::VectorXd& lambda, const Eigen::VectorXd& w) {
  const std::vector<double> values(lambda.data(), lambda.data() + lambda.size());
  const std::vector<double> masses(w.data(), w.data() + w.size());
  return binMasses(window, values, masses).energy;
}

/// n eigenvalues in `clusters` tight groups (relative spread 10%) at shell centres from 10^-2.9
/// to 10^0.9, as the spectra of trained networks are: far fewer distinct scales than points, so
/// that Lanczos resolves the shells well before m = n.
DenseProblem clusteredSpectrum(Eigen::Index n, int clusters, unsigned seed) {
  DenseProblem p;
  p.q = shellscope::test::randomOrthogonal(n, seed);
  p.lambda.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % clusters);
    const double centre = -2.875 + 0.25 * (c * 15 / std::max(1, clusters - 1));  // a shell centre
    p.lambda(i) = std::pow(10.0, centre) * (1.0 + 0.1 * double(i / clusters) / double(n / clusters));
  }
  return p;
}

}  // namespace

class TestShellConvergence : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void stopsEarlyWithEveryCoveredShellPinnedDown_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("full, 0.2") << int(LanczosMode::Full) << 0.2;
    QTest::newRow("full, 0.05") << int(LanczosMode::Full) << 0.05;
    QTest::newRow("Golub-Kahan, 0.2") << int(LanczosMode::GolubKahan) << 0.2;
  }
  void stopsEarlyWithEveryCoveredShellPinnedDown() {
    QFETCH(int, mode);
    QFETCH(double, tolerance);
    const Eigen::Index n = 160;
    const DenseProblem p = clusteredSpectrum(n, 12, 11);  // no eigenvalue on a shell edge
    const Eigen::VectorXd e = randomVector(n, 5);
    const Eigen::VectorXd w = p.weights(e);
    ShellConvergenceTest test;
    test.tolerance = tolerance;
    const LanczosResult r = adaptiveRun(p, e, static_cast<LanczosMode>(mode), test, 8, static_cast<int>(n));
    QVERIFY(r.status == LanczosStatus::Converged);
    qInfo("stopped after %d of %lld steps", r.stepsTaken, static_cast<long long>(n));
    QVERIFY2(r.stepsTaken <= 0.6 * static_cast<double>(n), qPrintable(QString("took %1 of %2 steps").arg(r.stepsTaken).arg(n)));

    // What the test saw at the stop, recomputed, and checked against the truth.
    const ShellConvergence verdict = testShellConvergence(test, r.jacobiDiagonal, r.jacobiOffDiagonal, r.nextOffDiagonal);
    QVERIFY(verdict.converged && verdict.shellsTested > 0);
    QVERIFY(verdict.worstRelativeWidth <= tolerance);
    const std::vector<double> ritz(r.ritzValues.data(), r.ritzValues.data() + r.ritzValues.size());
    const ShellWindow window = chooseShellWindow(test.shellsPerDecade, test.policy, ritz);
    const std::vector<double> exact = exactShells(window, p.lambda, w);
    const ShellEnergyBounds bounds = shellEnergyBounds(window, r.jacobiDiagonal, r.jacobiOffDiagonal, r.nextOffDiagonal, 1.0);
    for (int a = 0; a < window.shellCount; ++a) {
      const double truth = exact[static_cast<std::size_t>(a)];
      QVERIFY(bounds.lower(a) <= truth + 1e-10 && truth <= bounds.upper(a) + 1e-10);
      if (truth >= test.massFraction) {
        // Covered (its upper bound is at least the truth), so its bounds are narrow.
        QVERIFY(bounds.upper(a) >= test.massFraction);
        QVERIFY2(bounds.upper(a) - bounds.lower(a) <= tolerance * std::max(truth, test.massFraction) * 1.5 + 1e-12,
                 qPrintable(QString("shell %1: [%2, %3], exact %4").arg(a).arg(bounds.lower(a)).arg(bounds.upper(a)).arg(truth)));
      }
    }
  }

  void aTighterToleranceTakesMoreSteps() {
    const Eigen::Index n = 160;
    const DenseProblem p = clusteredSpectrum(n, 12, 11);
    const Eigen::VectorXd e = randomVector(n, 5);
    ShellConvergenceTest loose, tight;
    loose.tolerance = 0.5;
    tight.tolerance = 0.05;
    const int looseSteps = adaptiveRun(p, e, LanczosMode::Full, loose, 8, 160).stepsTaken;
    const int tightSteps = adaptiveRun(p, e, LanczosMode::Full, tight, 8, 160).stepsTaken;
    QVERIFY2(looseSteps < tightSteps, qPrintable(QString("%1 vs %2").arg(looseSteps).arg(tightSteps)));
  }

  void honoursMinimumAndCap() {
    const Eigen::Index n = 160;
    const DenseProblem p = clusteredSpectrum(n, 12, 11);
    const Eigen::VectorXd e = randomVector(n, 5);
    ShellConvergenceTest test;
    test.tolerance = 0.5;
    int asked = 0;
    // Converges by then already: stops exactly at the minimum.
    const LanczosResult atMinimum = adaptiveRun(p, e, LanczosMode::Full, test, 120, 160, &asked);
    QCOMPARE(atMinimum.stepsTaken, 120);
    QCOMPARE(asked, 1);
    // An unreachable tolerance runs to the cap, status Completed.
    test.tolerance = 1e-9;
    asked = 0;
    const LanczosResult capped = adaptiveRun(p, e, LanczosMode::Full, test, 8, 40, &asked);
    QCOMPARE(capped.stepsTaken, 40);
    QVERIFY(capped.status == LanczosStatus::Completed);
    QVERIFY(asked >= 3 && asked <= 6);  // 8, 16, 24, 32 (every max(8, k/8) steps), not every step
  }

  void fullAndGolubKahanStopAlike() {
    const Eigen::Index n = 120;
    const DenseProblem p = clusteredSpectrum(n, 9, 4);
    const Eigen::VectorXd e = randomVector(n, 9);
    ShellConvergenceTest test;
    test.tolerance = 0.2;
    const int full = adaptiveRun(p, e, LanczosMode::Full, test, 8, 120).stepsTaken;
    const int gk = adaptiveRun(p, e, LanczosMode::GolubKahan, test, 8, 120).stepsTaken;
    QCOMPARE(full, gk);
  }

  void aZeroMeasureHasNothingToTest() {
    const ShellConvergence c = testShellConvergence(ShellConvergenceTest{}, Eigen::VectorXd(), Eigen::VectorXd(), 0.0);
    QVERIFY(c.converged);
    QCOMPARE(c.shellsTested, 0);
  }
};

QTEST_APPLESS_MAIN(TestShellConvergence)
#include "test_shell_convergence.moc"
