// Gauss-Radau bounds against dense spectra: for every number of steps m, the lower and upper
// bounds at every shell edge hold the exact cumulative measure F(a−), F(a), and every shell energy
// lies between its bounds; after a breakdown (m >= n, or few distinct eigenvalues) they collapse
// onto the Gauss rule. Full re-orthogonalisation and Golub-Kahan both.
#include <Eigen/Eigenvalues>

#include "dense_operators.h"
#include "shellscope/spectral/quadrature_bounds.h"
#include "test_support.h"

using namespace shellscope;
using shellscope::test::randomVector;

namespace {

/// F(a−) and F(a) of the measure Σ w_u δ(λ_u).
std::pair<double, double> exactDistribution(const Eigen::VectorXd& lambda, const Eigen::VectorXd& w, double a) {
  double below = 0, atOrBelow = 0;
  for (Eigen::Index i = 0; i < lambda.size(); ++i) {
    if (lambda(i) < a) below += w(i);
    if (lambda(i) <= a) atOrBelow += w(i);
  }
  return {below, atOrBelow};
}

LanczosResult run(const DenseProblem& p, const Eigen::VectorXd& e, LanczosMode mode, int steps) {
  LanczosOptions o;
  o.mode = mode;
  o.maxSteps = steps;
  o.relativeTolerance = 1e-13;
  if (mode == LanczosMode::GolubKahan) {
    DenseFactoredOperator op(p.q * p.lambda.cwiseSqrt().asDiagonal());
    return golubKahan(op, e, o);
  }
  DenseOperator op(p.matrix());
  return lanczos(op, e, o);
}

}  // namespace

class TestQuadratureBounds : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void boundsHoldTheExactMeasureForEveryM_data() {
    QTest::addColumn<int>("mode");
    QTest::newRow("full re-orthogonalisation") << int(LanczosMode::Full);
    QTest::newRow("Golub-Kahan") << int(LanczosMode::GolubKahan);
  }
  void boundsHoldTheExactMeasureForEveryM() {
    QFETCH(int, mode);
    const Eigen::Index n = 48;
    const DenseProblem p = spreadSpectrum(n, -4.05, 0.95, 7);  // no eigenvalue on a shell edge
    const Eigen::VectorXd e = randomVector(n, 3);
    const Eigen::VectorXd w = p.weights(e);
    const ShellWindow window{4, -20, 25};  // 1e-5 .. 1e1.25
    double widestAtHalf = 0;
    for (int m = 1; m <= n; ++m) {
      const LanczosResult r = run(p, e, static_cast<LanczosMode>(mode), m);
      const ShellEnergyBounds shells =
          shellEnergyBounds(window, r.jacobiDiagonal, r.jacobiOffDiagonal, r.nextOffDiagonal, 1.0);
      for (int j = 0; j <= window.shellCount; ++j) {
        const double a = window.edge(j);
        const DistributionBounds b = distributionBounds(r.jacobiDiagonal, r.jacobiOffDiagonal, r.nextOffDiagonal, a);
        const auto [below, atOrBelow] = exactDistribution(p.lambda, w, a);
        QVERIFY2(b.lower <= below + 1e-10 && atOrBelow <= b.upper + 1e-10,
                 qPrintable(QString("m=%1 edge %2: [%3, %4] vs exact %5, %6").arg(m).arg(a).arg(b.lower, 0, 'g', 17).arg(b.upper, 0, 'g', 17).arg(below, 0, 'g', 17).arg(atOrBelow, 0, 'g', 17)));
        if (j < window.shellCount) {
          const double exact = exactDistribution(p.lambda, w, window.edge(j + 1)).first - below;
          QVERIFY2(shells.lower(j) <= exact + 1e-10 && exact <= shells.upper(j) + 1e-10,
                   qPrintable(QString("m=%1 shell %2: [%3, %4] vs exact %5").arg(m).arg(j).arg(shells.lower(j), 0, 'g', 17)
                                  .arg(shells.upper(j), 0, 'g', 17).arg(exact, 0, 'g', 17)));
          if (m == n / 2) widestAtHalf = std::max(widestAtHalf, shells.upper(j) - shells.lower(j));
        }
      }
    }
    QVERIFY(widestAtHalf > 1e-6);  // not trivially tight before the end
  }

  void boundsCollapseOntoTheGaussRuleAfterABreakdown() {
    // m = n, and a spectrum of 5 distinct eigenvalues (breakdown after 5 steps).
    const Eigen::Index n = 40;
    DenseProblem p = spreadSpectrum(n, -3.05, 0.55, 11);
    const Eigen::VectorXd e = randomVector(n, 5);
    DenseProblem few = p;
    for (Eigen::Index i = 0; i < n; ++i) few.lambda(i) = std::pow(10.0, -3.03 + static_cast<double>(i % 5) * 0.77);  // off the shell edges
    for (const DenseProblem* problem : {&p, &few}) {
      const LanczosResult r = run(*problem, e, LanczosMode::Full, static_cast<int>(n));
      QVERIFY(r.status == LanczosStatus::BrokeDown || r.stepsTaken == n);
      const ShellWindow window{4, -16, 16};
      const ShellEnergyBounds shells =
          shellEnergyBounds(window, r.jacobiDiagonal, r.jacobiOffDiagonal, r.nextOffDiagonal, 1.0);
      const Eigen::VectorXd w = problem->weights(e);
      for (int j = 0; j < window.shellCount; ++j) {
        const double exact = exactDistribution(problem->lambda, w, window.edge(j + 1)).first -
                             exactDistribution(problem->lambda, w, window.edge(j)).first;
        SHELLSCOPE_COMPARE_ERROR(shells.upper(j) - shells.lower(j), 1e-9);
        SHELLSCOPE_COMPARE_ERROR(std::abs(shells.lower(j) - exact), 1e-9);
      }
    }
  }

  void emptyQuadratureHasZeroBounds() {
    const ShellEnergyBounds b = shellEnergyBounds(ShellWindow{4, 0, 3}, Eigen::VectorXd(), Eigen::VectorXd(), 0.0, 1.0);
    QCOMPARE(b.lower.size(), Eigen::Index(3));
    QCOMPARE(b.upper.sum(), 0.0);
  }
};

QTEST_APPLESS_MAIN(TestQuadratureBounds)
#include "test_quadrature_bounds.moc"
