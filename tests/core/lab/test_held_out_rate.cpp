// The held-out loss rate split over shells (shellscope/lab/held_out_rate.h; paper §6) against
// ground truth that does not use the code under test:
//   - Σ_b R_b against −e'ᵀ J' Jᵀ e/(n n') multiplied out directly, and every mode's share against
//     the Nyström form −(1/n') λ_u (e'·ψ_u)(φ_u·e), ψ_u = J' Jᵀ φ_u/(n λ_u), from known eigenpairs.
//   - Held-out points equal to the training points: R_b = −D_b (mse-of-error) and
//     −Σ λ_u c_u² (cross-entropy), every bin ≤ 0.
//   - A linear model with a planted mismatch: the held-out error opposes the training error in
//     one mode only, and R is positive in that mode's shell and nowhere else.
#include <cmath>

#include "shellscope/lab/checkpoint_snapshot.h"
#include "shellscope/lab/held_out_rate.h"
#include "shellscope/lab/shell_bins.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::lab;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

/// s = 4 shells per decade over [0.01, 10).
const ShellWindow kWindow{4, -8, 12};

MatrixXd randomMatrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  const VectorXd v = test::randomVector(rows * cols, seed);
  return Eigen::Map<const MatrixXd>(v.data(), rows, cols);
}

}  // namespace

class TestHeldOutRate : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void sumEqualsTheDirectProductAndModesTheNystromForm() {
    for (unsigned seed = 1; seed <= 5; ++seed) {
      const Eigen::Index n = 12 + seed, held = 7 + 2 * seed, p = 9 + 3 * seed;  // P < n and P > n both
      const MatrixXd j = randomMatrix(n, p, seed) / std::sqrt(static_cast<double>(p));
      const MatrixXd jHeld = randomMatrix(held, p, 100 + seed) / std::sqrt(static_cast<double>(p));
      const VectorXd e = test::randomVector(n, 200 + seed), eHeld = test::randomVector(held, 300 + seed);
      const MatrixXd m = j * j.transpose() / static_cast<double>(n);
      const CheckpointSnapshot train = snapshotCheckpoint(m, e, kWindow);
      const MatrixXd cross = jHeld * j.transpose();
      const double nn = static_cast<double>(n) * static_cast<double>(held);
      // Multiplied out in the other order, through parameter space: (J'ᵀ e')ᵀ (Jᵀ e).
      const double direct = -(jHeld.transpose() * eHeld).dot(j.transpose() * e) / nn;
      const HeldOutRates r = heldOutRates(train, cross, eHeld, Objective::MseOfError);
      QVERIFY(std::abs(r.direct - direct) <= 1e-13 * std::abs(direct));
      QVERIFY2(std::abs(r.bins.sum() - direct) <= 1e-10 * std::abs(direct),
               qPrintable(QString("sum %1 direct %2").arg(r.bins.sum(), 0, 'g', 17).arg(direct, 0, 'g', 17)));
      QCOMPARE(static_cast<int>(r.bins.size()), binCount(kWindow));
      // Cross-entropy: Σ R = −1ᵀ J' Jᵀ 1/(n n').
      const double directOnes = -(jHeld.transpose() * VectorXd::Ones(held)).dot(j.transpose() * VectorXd::Ones(n)) / nn;
      const HeldOutRates ce = heldOutRates(train, cross, eHeld, Objective::CrossEntropy);
      QVERIFY(std::abs(ce.bins.sum() - directOnes) <= 1e-10 * std::abs(directOnes));
      // Nyström's form, mode by mode, for the modes with λ_u clear of zero.
      Eigen::SelfAdjointEigenSolver<MatrixXd> solver(m);
      for (Eigen::Index u = 0; u < n; ++u) {
        const double lambda = solver.eigenvalues()(u);
        if (lambda < 1e-8) continue;
        const VectorXd phi = solver.eigenvectors().col(u);
        const VectorXd psi = cross * phi / (static_cast<double>(n) * lambda);
        const double expected = -lambda * eHeld.dot(psi) * phi.dot(e) / static_cast<double>(held);
        QVERIFY2(std::abs(r.mode(u) - expected) <= 1e-9 * std::abs(direct),
                 qPrintable(QString("mode %1: %2 vs %3").arg(u).arg(r.mode(u)).arg(expected)));
      }
    }
  }

  void onTheTrainingPointsTheRateIsMinusTheDissipation() {
    const Eigen::Index n = 20, p = 14;
    const MatrixXd j = randomMatrix(n, p, 7) / std::sqrt(static_cast<double>(p));
    const VectorXd e = test::randomVector(n, 8);
    const CheckpointSnapshot train = snapshotCheckpoint(j * j.transpose() / static_cast<double>(n), e, kWindow);
    const HeldOutRates r = heldOutRates(train, j * j.transpose(), e, Objective::MseOfError);
    const double scale = train.dissipation.cwiseAbs().maxCoeff();
    QVERIFY((r.bins + train.dissipation).cwiseAbs().maxCoeff() <= 1e-12 * scale);
    QVERIFY(r.bins.maxCoeff() <= 1e-15 * scale);
    QVERIFY(r.mode.maxCoeff() <= 1e-15 * scale);
    // Cross-entropy: −Σ λ_u c_u², c_u = φ_u·1/√n.
    const HeldOutRates ce = heldOutRates(train, j * j.transpose(), e, Objective::CrossEntropy);
    const VectorXd expected =
        -sumIntoBins(train.bins, binCount(kWindow), train.basis.values.cwiseProduct(train.onesCoefficients.cwiseAbs2()));
    QVERIFY((ce.bins - expected).cwiseAbs().maxCoeff() <= 1e-12 * expected.cwiseAbs().maxCoeff());
    QVERIFY(ce.bins.maxCoeff() <= 0);
  }

  void aPlantedMismatchIsPositiveInItsShellOnly() {
    // Linear model f = J θ with J = √n Q diag(√λ): M = Q diag(λ) Qᵀ, one eigenvalue per shell
    // (at the shell centres 10^(-1.875 + k/4)), held-out points with the same features (J' = J),
    // so R_u = −λ_u a_u b_u / n with b = Qᵀe, a = Qᵀe'. a = b except in mode `planted`, where a
    // has the opposite sign: R > 0 exactly there.
    const Eigen::Index n = 10;
    const MatrixXd q = test::randomOrthogonal(n, 11);
    VectorXd lambda(n);
    for (Eigen::Index u = 0; u < n; ++u) lambda(u) = std::pow(10.0, -1.875 + 0.25 * static_cast<double>(u));
    const MatrixXd j = std::sqrt(static_cast<double>(n)) * q * lambda.cwiseSqrt().asDiagonal();
    VectorXd b(n);
    for (Eigen::Index u = 0; u < n; ++u) b(u) = (u % 2 ? -1.0 : 1.0) * (0.5 + 0.1 * static_cast<double>(u));
    for (const Eigen::Index planted : {Eigen::Index(2), Eigen::Index(7)}) {
      VectorXd a = b;
      a(planted) = -0.8 * b(planted);
      const VectorXd e = q * b, eHeld = q * a;
      const CheckpointSnapshot train = snapshotCheckpoint(j * j.transpose() / static_cast<double>(n), e, kWindow);
      const HeldOutRates r = heldOutRates(train, j * j.transpose(), eHeld, Objective::MseOfError);
      const int plantedBin = binOf(kWindow, lambda(planted));
      for (int bin = 0; bin < r.bins.size(); ++bin) {
        const bool occupied = (r.bins(bin) != 0);
        if (bin == plantedBin) {
          const double expected = 0.8 * lambda(planted) * b(planted) * b(planted) / static_cast<double>(n);
          QVERIFY2(std::abs(r.bins(bin) - expected) <= 1e-12 * expected,
                   qPrintable(QString("planted bin %1: %2 vs %3").arg(bin).arg(r.bins(bin)).arg(expected)));
        } else if (occupied) {
          QVERIFY2(r.bins(bin) < 0, qPrintable(QString("bin %1 is %2").arg(bin).arg(r.bins(bin))));
        }
      }
    }
  }

  void badSizesAndValuesAreRefused() {
    const MatrixXd j = randomMatrix(6, 4, 3);
    const CheckpointSnapshot train = snapshotCheckpoint(j * j.transpose() / 6.0, test::randomVector(6, 4), kWindow);
    QVERIFY(test::messageOf([&] { heldOutRates(train, MatrixXd::Ones(3, 5), VectorXd::Ones(3), Objective::MseOfError); })
                .contains("cross kernel is 3 x 5"));
    QVERIFY(test::messageOf([&] { heldOutRates(train, MatrixXd::Ones(3, 6), VectorXd::Ones(2), Objective::MseOfError); })
                .contains("2 held-out weights"));
    VectorXd bad = VectorXd::Ones(3);
    bad(1) = std::nan("");
    QVERIFY(test::messageOf([&] { heldOutRates(train, MatrixXd::Ones(3, 6), bad, Objective::MseOfError); })
                .contains("non-finite"));
  }
};

QTEST_APPLESS_MAIN(TestHeldOutRate)
#include "test_held_out_rate.moc"
