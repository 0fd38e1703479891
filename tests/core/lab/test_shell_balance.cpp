// The exact lab's shell balance (paper §3.1-3.5) against ground truth that does not use the code
// under test: hand-computed spectra, matrices built from a known orthogonal Q (so eigenvectors,
// eigenvalues, Kato couplings and fluxes are known in closed form), errors evolved exactly (linear
// models) or by RK4 with tiny substeps, and projectors formed in the test.
//   - Parseval Σ_b E_b = mean(e²); a 3 × 3 case by hand; an edge belongs to the shell above.
//   - F_{β→α} = −F_{α→β}, within-shell cancellation (Proposition 1), F from an independent sum.
//   - Degenerate pairs: skipped inside a shell, skipped and counted across shells.
//   - The frozen-basis split sums to ΔE and each part matches projectors.
//   - Linear model: no flux, E_α(τ) = Σ g_u(0)² e^{−2λ_u τ}, residual → 0 at second order.
//   - A pair rotating at rate ω (n = 2 and embedded in n = 4..8): F_{2→1} = ω g1 g2 exactly, and
//     the finite-difference balance residual falls at second order.
//   - A mode crossing an edge: the crossing term carries its energy, the residual stays small.
//   - A generic smooth path and a rank-deficient M = J Jᵀ/n (P < n): second order all the same.
//   - Δe/Δτ against −M e (mse-of-error flow) and −M 1 (cross-entropy flow).
//   - Cumulative flux: closes at the top, equals the rotating pair's flux across the edges between.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "shellscope/lab/checkpoint_snapshot.h"
#include "shellscope/lab/cumulative_flux.h"
#include "shellscope/lab/flow_agreement.h"
#include "shellscope/lab/kato_flux.h"
#include "shellscope/lab/mode_tracking.h"
#include "shellscope/lab/shell_balance.h"
#include "shellscope/lab/shell_bins.h"
#include "test_support.h"

using namespace shellscope;
using namespace shellscope::lab;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

/// s = 4 shells per decade over [0.01, 10): bin 0 underflow, bins 1..12 shells, bin 13 overflow.
const ShellWindow kWindow{4, -8, 12};

Eigen::Matrix2d rotation(double theta) {
  Eigen::Matrix2d r;
  r << std::cos(theta), -std::sin(theta), std::sin(theta), std::cos(theta);
  return r;
}

/// Q diag(λ) Qᵀ.
MatrixXd withSpectrum(const MatrixXd& q, const VectorXd& lambda) { return q * lambda.asDiagonal() * q.transpose(); }

/// The bin of λ, from the grid edges directly (not through the code under test).
int expectedBin(double lambda) {
  if (!(lambda >= kWindow.edge(0))) return 0;
  for (int j = 0; j < kWindow.shellCount; ++j) {
    if (lambda < kWindow.edge(j + 1)) return j + 1;
  }
  return kWindow.shellCount + 1;
}

/// F_{β→α} = −Σ_{u∈α, v∈β, u≠v} g_u g_v (q_uᵀ Ṁ q_v)/(λ_v − λ_u) from known eigenpairs, skipping
/// pairs closer than `gap`.
MatrixXd bruteForceFlux(const MatrixXd& q, const VectorXd& lambda, const VectorXd& e, const MatrixXd& mDot,
                        double gap = 0.0) {
  const Eigen::Index n = q.cols();
  const int count = kWindow.shellCount + 2;
  MatrixXd f = MatrixXd::Zero(count, count);
  const VectorXd g = q.transpose() * e / std::sqrt(double(n));
  for (Eigen::Index u = 0; u < n; ++u) {
    for (Eigen::Index v = 0; v < n; ++v) {
      if (u == v || std::abs(lambda(v) - lambda(u)) <= gap) continue;
      const double omega = q.col(u).dot(mDot * q.col(v)) / (lambda(v) - lambda(u));
      f(expectedBin(lambda(u)), expectedBin(lambda(v))) -= g(u) * g(v) * omega;
    }
  }
  return f;
}

/// A random symmetric matrix with a fixed seed.
MatrixXd randomSymmetric(Eigen::Index n, unsigned seed) {
  MatrixXd a(n, n);
  const VectorXd entries = test::randomVector(n * n, seed);
  for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = entries(i);
  return 0.5 * (a + a.transpose());
}

/// Eigenvalues 10^x, x uniform in [lo, hi], fixed seed.
VectorXd logUniformSpectrum(Eigen::Index n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> x(lo, hi);
  VectorXd lambda(n);
  for (Eigen::Index i = 0; i < n; ++i) lambda(i) = std::pow(10.0, x(rng));
  return lambda;
}

/// Classical RK4 for ė = f(τ, e) from t0 to t1 with steps of at most maxStep.
VectorXd integrate(const std::function<VectorXd(double, const VectorXd&)>& f, VectorXd e, double t0, double t1,
                   double maxStep) {
  const int steps = std::max(1, int(std::ceil((t1 - t0) / maxStep)));
  const double h = (t1 - t0) / steps;
  for (int i = 0; i < steps; ++i) {
    const double t = t0 + i * h;
    const VectorXd k1 = f(t, e);
    const VectorXd k2 = f(t + 0.5 * h, e + 0.5 * h * k1);
    const VectorXd k3 = f(t + 0.5 * h, e + 0.5 * h * k2);
    const VectorXd k4 = f(t + h, e + h * k3);
    e += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
  }
  return e;
}

/// M(τ) = Q blockdiag(R(ωτ) diag(λ1(τ), λ2) R(ωτ)ᵀ, diag(others)) Qᵀ: a pair of modes rotating at
/// rate ω in the plane of Q's first two columns, the others fixed.
struct RotatingPair {
  MatrixXd q;
  double omega = 0;
  std::function<double(double)> lambda1;
  double lambda2 = 0;
  VectorXd others;

  Eigen::Index size() const { return q.cols(); }
  MatrixXd inner(double tau) const {
    MatrixXd b = MatrixXd::Zero(size(), size());
    const Eigen::Matrix2d r = rotation(omega * tau);
    b.topLeftCorner(2, 2) = r * Eigen::Vector2d(lambda1(tau), lambda2).asDiagonal() * r.transpose();
    for (Eigen::Index j = 0; j < others.size(); ++j) b(2 + j, 2 + j) = others(j);
    return b;
  }
  MatrixXd m(double tau) const { return q * inner(tau) * q.transpose(); }
  /// φ_i(τ) = Q [R(ωτ) e_i; 0], i = 0 (λ1) or 1 (λ2).
  VectorXd phi(int i, double tau) const { return q.leftCols(2) * rotation(omega * tau).col(i); }
  /// Ṁ in closed form when λ1 is constant: ω Q (A B − B A) Qᵀ with A the generator of R.
  MatrixXd mDotForConstantSpectrum(double tau) const {
    MatrixXd a = MatrixXd::Zero(size(), size());
    a(0, 1) = -1.0;
    a(1, 0) = 1.0;
    const MatrixXd b = inner(tau);
    return omega * q * (a * b - b * a) * q.transpose();
  }
};

RotatingPair rotatingPair(Eigen::Index n, std::function<double(double)> lambda1, unsigned seed = 11) {
  const std::vector<double> pool{0.05, 0.9, 6.0, 15.0, 0.003, 1.3};
  RotatingPair model;
  model.q = test::randomOrthogonal(n, seed);
  model.omega = 0.7;
  model.lambda1 = std::move(lambda1);
  model.lambda2 = 2.5;
  model.others.resize(n - 2);
  for (Eigen::Index j = 0; j + 2 < n; ++j) model.others(j) = pool[size_t(j)];
  return model;
}

/// e(τ) for ė = −M(τ) e (or −M(τ) 1) from e(0) = e0, at the two ends of [t0, t1].
std::pair<VectorXd, VectorXd> evolve(const RotatingPair& model, const VectorXd& e0, double t0, double t1,
                                     bool onesFlow = false) {
  const Eigen::Index n = model.size();
  const auto velocity = [&](double t, const VectorXd& e) -> VectorXd {
    return -(model.m(t) * (onesFlow ? VectorXd::Ones(n) : e));
  };
  const double step = 1e-3;
  const VectorXd begin = integrate(velocity, e0, 0.0, t0, step);
  return {begin, integrate(velocity, begin, t0, t1, step)};
}

IntervalBalance balanceOf(const RotatingPair& model, const VectorXd& e0, double centre, double dtau,
                          Objective objective = Objective::MseOfError) {
  const double t0 = centre - 0.5 * dtau, t1 = centre + 0.5 * dtau;
  const auto [eBegin, eEnd] = evolve(model, e0, t0, t1, objective == Objective::CrossEntropy);
  BalanceOptions options;
  options.objective = objective;
  return balanceInterval(snapshotCheckpoint(model.m(t0), eBegin, kWindow), snapshotCheckpoint(model.m(t1), eEnd, kWindow),
                         dtau, options);
}

/// max_α |R_α| over the total dissipation rate 2 Σ|D̄_α|.
double relativeResidual(const IntervalBalance& b) {
  return b.residual.cwiseAbs().maxCoeff() / (2.0 * b.dissipationMean.cwiseAbs().sum());
}

/// Observed orders log2(x_i / x_{i+1}) for values at spacings halving each time; prints them and
/// returns the smallest.
double observedOrder(const char* what, const std::vector<double>& values, const std::vector<double>& spacings) {
  double smallest = std::numeric_limits<double>::infinity();
  QString line = QString("%1:").arg(what);
  for (size_t i = 0; i < values.size(); ++i) {
    line += QString(" Δτ=%1 → %2").arg(spacings[i]).arg(values[i], 0, 'e', 2);
    if (i > 0) {
      const double order = std::log2(values[i - 1] / values[i]);
      smallest = std::min(smallest, order);
      line += QString(" (order %1)").arg(order, 0, 'f', 2);
    }
  }
  qInfo().noquote() << line;
  return smallest;
}

}  // namespace

class TestShellBalance : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void snapshotOfAHandComputedCase() {
    // [[a, b, 0], [b, a, 0], [0, 0, 0.05]] with a + b = 3, a − b = 0.5: eigenpairs
    // 3 ↔ (1, 1, 0)/√2, 0.5 ↔ (1, −1, 0)/√2, 0.05 ↔ (0, 0, 1). For e = (1, 3, 2), n = 3:
    // g² = 16/6, 4/6, 4/3 (sum 14/3 = mean(e²)). On [0.1, 1) (s = 1): 0.05 underflow, 0.5 the
    // shell, 3 overflow.
    MatrixXd m(3, 3);
    m << 1.75, 1.25, 0, 1.25, 1.75, 0, 0, 0, 0.05;
    const VectorXd e = (VectorXd(3) << 1, 3, 2).finished();
    const ShellWindow window{1, -1, 1};
    const CheckpointSnapshot s = snapshotCheckpoint(m, e, window);
    QCOMPARE(s.energy.size(), Eigen::Index(3));
    const VectorXd energy = (VectorXd(3) << 4.0 / 3, 2.0 / 3, 8.0 / 3).finished();
    const VectorXd dissipation = (VectorXd(3) << 0.05 * 4.0 / 3, 0.5 * 2.0 / 3, 3.0 * 8.0 / 3).finished();
    SHELLSCOPE_COMPARE_ERROR(test::relativeError(s.energy, energy), 1e-14);
    SHELLSCOPE_COMPARE_ERROR(test::relativeError(s.dissipation, dissipation), 1e-14);
    QVERIFY(std::abs(s.meanSquaredError - 14.0 / 3) < 1e-14);
    // c = Φᵀ1/√3: (2/√2)/√3 for λ = 3, 0 for λ = 0.5, 1/√3 for λ = 0.05; D_CE = Σ λ g c.
    const VectorXd crossEntropy = (VectorXd(3) << 0.05 * (2 / std::sqrt(3.0)) / std::sqrt(3.0), 0.0,
                                   3.0 * (4 / std::sqrt(6.0)) * (2 / std::sqrt(6.0))).finished();
    SHELLSCOPE_COMPARE_ERROR(test::relativeError(s.crossEntropyDissipation, crossEntropy), 1e-14);
    const ShellEnergies spectral = s.shellEnergies();
    QCOMPARE(spectral.energy.size(), size_t(1));
    QVERIFY(std::abs(spectral.underflow - 4.0 / 3) < 1e-14 && std::abs(spectral.overflow - 8.0 / 3) < 1e-14);
    QVERIFY(std::abs(spectral.total() - 14.0 / 3) < 1e-14);
  }

  void energiesSumToMeanSquare() {
    // Rank-deficient PSD M (zeros and rounding negatives land in underflow), several windows.
    const Eigen::Index n = 40;
    VectorXd lambda = logUniformSpectrum(n, -4, 2, 5);
    lambda.head(10).setZero();
    const MatrixXd m = withSpectrum(test::randomOrthogonal(n, 6), lambda);
    const VectorXd e = test::randomVector(n, 7) * 3.0 + VectorXd::Constant(n, 0.5);
    for (const ShellWindow window : {ShellWindow{4, -8, 12}, ShellWindow{2, -2, 3}, ShellWindow{10, 0, 1}}) {
      const CheckpointSnapshot s = snapshotCheckpoint(m, e, window);
      QCOMPARE(s.energy.size(), Eigen::Index(window.shellCount + 2));
      QVERIFY(std::abs(s.energy.sum() - e.squaredNorm() / n) <= 1e-13 * s.meanSquaredError);
      QVERIFY(std::abs(s.shellEnergies().total() - s.meanSquaredError) <= 1e-13 * s.meanSquaredError);
      QVERIFY((s.basis.vectors.transpose() * s.basis.vectors - MatrixXd::Identity(n, n)).norm() < 1e-12);
    }
  }

  void anEdgeBelongsToTheShellAbove() {
    QCOMPARE(binCount(kWindow), 14);
    QCOMPARE(binOf(kWindow, 0.0), 0);
    QCOMPARE(binOf(kWindow, -1e-17), 0);
    QCOMPARE(binOf(kWindow, std::nextafter(0.01, 0.0)), 0);
    QCOMPARE(binOf(kWindow, 0.01), 1);
    QCOMPARE(binOf(kWindow, 1.0), 9);
    QCOMPARE(binOf(kWindow, std::nextafter(1.0, 0.0)), 8);
    QCOMPARE(binOf(kWindow, 10.0), 13);
    for (double lambda : {1e-5, 0.02, 0.3, 0.99, 1.0, 4.0, 9.9, 11.0}) QCOMPARE(binOf(kWindow, lambda), expectedBin(lambda));
  }

  void fluxIsAntisymmetricAndCancelsWithinShells_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<unsigned>("seed");
    for (int n : {6, 12, 30}) QTest::newRow(QByteArray::number(n).constData()) << n << unsigned(100 + n);
  }
  void fluxIsAntisymmetricAndCancelsWithinShells() {
    QFETCH(int, n);
    QFETCH(unsigned, seed);
    const MatrixXd q = test::randomOrthogonal(n, seed);
    const VectorXd lambda = logUniformSpectrum(n, -3, 1.3, seed + 1);  // underflow .. overflow
    const MatrixXd mDot = randomSymmetric(n, seed + 2);
    const VectorXd e = test::randomVector(n, seed + 3);
    const CheckpointSnapshot s = snapshotCheckpoint(withSpectrum(q, lambda), e, kWindow);
    const ShellFlux flux = shellFlux(s.basis, s.coefficients, s.bins, binCount(kWindow), mDot);
    QCOMPARE(flux.skippedAcrossBins, 0LL);
    QCOMPARE(flux.skippedWithinBin, 0LL);
    const double scale = flux.matrix.cwiseAbs().maxCoeff();
    QVERIFY(scale > 0);
    SHELLSCOPE_COMPARE_ERROR((flux.matrix + flux.matrix.transpose()).cwiseAbs().maxCoeff() / scale, 1e-13);
    SHELLSCOPE_COMPARE_ERROR(flux.matrix.diagonal().cwiseAbs().maxCoeff() / scale, 1e-13);
    QVERIFY(std::abs(flux.net().sum()) <= 1e-13 * scale);
    // The same flux from the known eigenpairs, summed over ordered pairs by the definition; the
    // diagonal of this one is Proposition 1 on the exact eigenvectors.
    const MatrixXd expected = bruteForceFlux(q, lambda, e, mDot);
    SHELLSCOPE_COMPARE_ERROR(expected.diagonal().cwiseAbs().maxCoeff() / scale, 1e-13);
    SHELLSCOPE_COMPARE_ERROR((flux.matrix - expected).cwiseAbs().maxCoeff() / scale, 1e-9);
  }

  void degeneratePairsAreSkippedAndCounted() {
    // 0.5 twice (one shell), 1 ∓ 1e-13 either side of the edge 1: one pair of each kind.
    const VectorXd lambda = (VectorXd(6) << 0.5, 0.5, 2.0, 1.0 - 1e-13, 1.0 + 1e-13, 0.05).finished();
    const MatrixXd q = test::randomOrthogonal(6, 21);
    const CheckpointSnapshot s = snapshotCheckpoint(withSpectrum(q, lambda), test::randomVector(6, 22), kWindow);
    const ShellFlux flux = shellFlux(s.basis, s.coefficients, s.bins, binCount(kWindow), randomSymmetric(6, 23));
    QCOMPARE(flux.skippedWithinBin, 1LL);
    QCOMPARE(flux.skippedAcrossBins, 1LL);
    QVERIFY(flux.matrix.allFinite());
    const double scale = flux.matrix.cwiseAbs().maxCoeff();
    QVERIFY(scale > 0 && scale < 1e3);  // no 1/gap blow-up
    SHELLSCOPE_COMPARE_ERROR((flux.matrix + flux.matrix.transpose()).cwiseAbs().maxCoeff() / scale, 1e-13);
    SHELLSCOPE_COMPARE_ERROR(flux.matrix.diagonal().cwiseAbs().maxCoeff() / scale, 1e-13);
  }

  void frozenBasisSplitSumsToTheChange() {
    const Eigen::Index n = 16;
    const MatrixXd q0 = test::randomOrthogonal(n, 31), q1 = test::randomOrthogonal(n, 32);
    const VectorXd l0 = logUniformSpectrum(n, -2.5, 1.2, 33), l1 = logUniformSpectrum(n, -2.5, 1.2, 34);
    const VectorXd e0 = test::randomVector(n, 35), e1 = test::randomVector(n, 36);
    const CheckpointSnapshot a = snapshotCheckpoint(withSpectrum(q0, l0), e0, kWindow);
    const CheckpointSnapshot b = snapshotCheckpoint(withSpectrum(q1, l1), e1, kWindow);
    const IntervalBalance r = balanceInterval(a, b, 0.3);
    const VectorXd sum = r.frozenBasis.errorChange + r.frozenBasis.basisChange;
    QVERIFY((sum - r.energyChange).cwiseAbs().maxCoeff() <= 1e-14 * a.meanSquaredError);
    // Each part from projectors P_α = Σ_{u∈α} q_u q_uᵀ of the known basis at τ_k.
    VectorXd errorChange = VectorXd::Zero(binCount(kWindow)), change = errorChange;
    for (Eigen::Index u = 0; u < n; ++u) {
      errorChange(expectedBin(l0(u))) += (std::pow(q0.col(u).dot(e1), 2) - std::pow(q0.col(u).dot(e0), 2)) / n;
      change(expectedBin(l1(u))) += std::pow(q1.col(u).dot(e1), 2) / n;
      change(expectedBin(l0(u))) -= std::pow(q0.col(u).dot(e0), 2) / n;
    }
    QVERIFY((r.frozenBasis.errorChange - errorChange).cwiseAbs().maxCoeff() <= 1e-13);
    QVERIFY((r.energyChange - change).cwiseAbs().maxCoeff() <= 1e-13);
    // The crossing term of (1) conserves energy.
    QVERIFY(std::abs(r.crossing.sum()) <= 1e-14 * a.meanSquaredError);
  }

  void modeMatchingFollowsPermutedAndFlippedVectors() {
    const Eigen::Index n = 9;
    const MatrixXd from = test::randomOrthogonal(n, 41);
    const std::vector<int> order{4, 0, 8, 2, 6, 1, 7, 3, 5};
    MatrixXd to(n, n);
    for (Eigen::Index u = 0; u < n; ++u) to.col(order[size_t(u)]) = (u % 2 ? -1.0 : 1.0) * from.col(u);
    // A small rotation inside the pair (0, 1): still matched, overlaps cos²(0.2).
    const Eigen::Matrix2d r = rotation(0.2);
    const MatrixXd pair = to.col(order[0]) * r(0, 0) + to.col(order[1]) * r(1, 0);
    to.col(order[1]) = to.col(order[0]) * r(0, 1) + to.col(order[1]) * r(1, 1);
    to.col(order[0]) = pair;
    const ModeMatching match = matchModes(from, to);
    QCOMPARE(match.partner, order);
    QVERIFY(std::abs(match.smallestOverlap - std::pow(std::cos(0.2), 2)) < 1e-12);
    QCOMPARE(match.weakMatches, 0);
    // Four vectors mixed evenly (H/2, H the 4 × 4 Hadamard matrix: every overlap ¼) are still
    // matched one to one, and every match is reported weak.
    Eigen::Matrix4d hadamard;
    hadamard << 1, 1, 1, 1, 1, -1, 1, -1, 1, 1, -1, -1, 1, -1, -1, 1;
    MatrixXd mixed = from;
    mixed.leftCols(4) = from.leftCols(4) * (0.5 * hadamard);
    const ModeMatching ambiguous = matchModes(from, mixed);
    QCOMPARE(ambiguous.weakMatches, 4);
    std::vector<int> firstFour(ambiguous.partner.begin(), ambiguous.partner.begin() + 4);
    std::sort(firstFour.begin(), firstFour.end());
    QCOMPARE(firstFour, (std::vector<int>{0, 1, 2, 3}));
    QVERIFY(std::abs(ambiguous.smallestOverlap - 0.25) < 1e-12);
  }

  void linearModelHasNoFluxAndDecaysExactly() {
    // M constant: e(τ) = Q exp(−Λτ) Qᵀ e0 exactly, E_α(τ) = Σ_{u∈α} g_u(0)² e^{−2λ_u τ}.
    const Eigen::Index n = 10;
    const MatrixXd q = test::randomOrthogonal(n, 51);
    const VectorXd lambda = logUniformSpectrum(n, -2.5, 1.2, 52);
    const MatrixXd m = withSpectrum(q, lambda);
    const VectorXd e0 = test::randomVector(n, 53);
    const auto errorAt = [&](double tau) -> VectorXd {
      return q * (-lambda * tau).array().exp().matrix().asDiagonal() * q.transpose() * e0;
    };
    const VectorXd g0 = q.transpose() * e0 / std::sqrt(double(n));
    std::vector<double> residuals, cosineGaps, differences;
    const std::vector<double> spacings{0.1, 0.05, 0.025};
    for (double dtau : spacings) {
      const double t0 = 0.5 - dtau / 2, t1 = 0.5 + dtau / 2;
      const CheckpointSnapshot a = snapshotCheckpoint(m, errorAt(t0), kWindow);
      const CheckpointSnapshot b = snapshotCheckpoint(m, errorAt(t1), kWindow);
      VectorXd expected = VectorXd::Zero(binCount(kWindow));
      for (Eigen::Index u = 0; u < n; ++u) expected(expectedBin(lambda(u))) += g0(u) * g0(u) * std::exp(-2 * lambda(u) * t1);
      SHELLSCOPE_COMPARE_ERROR(test::relativeError(b.energy, expected), 1e-12);

      const IntervalBalance r = balanceInterval(a, b, dtau);
      QCOMPARE(r.flux.matrix.cwiseAbs().maxCoeff(), 0.0);  // Ṁ = 0 exactly
      QCOMPARE(r.crossing.cwiseAbs().maxCoeff(), 0.0);
      QCOMPARE(r.crossingModes, 0);
      QCOMPARE(r.transportToDissipation, 0.0);
      QCOMPARE(r.frozenBasis.basisChange.cwiseAbs().maxCoeff(), 0.0);  // the same basis twice
      QVERIFY((r.frozenBasis.errorChange - r.energyChange).cwiseAbs().maxCoeff() == 0.0);
      residuals.push_back(relativeResidual(r));
      cosineGaps.push_back(1.0 - r.againstErrorFlow.cosine);
      differences.push_back(r.againstErrorFlow.relativeDifference);
    }
    QVERIFY(observedOrder("linear model, residual", residuals, spacings) > 1.8);
    QVERIFY(residuals.back() < 1e-3);
    QVERIFY(observedOrder("linear model, |Δe/Δτ + M e| / |Δe/Δτ|", differences, spacings) > 1.8);
    QVERIFY(cosineGaps.back() < 1e-6);
  }

  void rotatingPairHasTheClosedFormFlux_data() {
    QTest::addColumn<int>("n");
    for (int n : {2, 4, 6, 8}) QTest::newRow(("n=" + QByteArray::number(n)).constData()) << n;
  }
  void rotatingPairHasTheClosedFormFlux() {
    QFETCH(int, n);
    const RotatingPair model = rotatingPair(n, [](double) { return 0.4; });
    const int b1 = expectedBin(0.4), b2 = expectedBin(2.5);
    QVERIFY(b1 != b2);
    const VectorXd e0 = test::randomVector(n, 61) + VectorXd::Constant(n, 1.0);

    // At one instant with the exact Ṁ: F_{2→1} = ω g1 g2, F_{1→2} = −ω g1 g2, nothing else.
    {
      const double tau = 0.3;
      const VectorXd e = test::randomVector(n, 62);
      const CheckpointSnapshot s = snapshotCheckpoint(model.m(tau), e, kWindow);
      const ShellFlux flux = shellFlux(s.basis, s.coefficients, s.bins, binCount(kWindow), model.mDotForConstantSpectrum(tau));
      const double g1 = model.phi(0, tau).dot(e) / std::sqrt(double(n)), g2 = model.phi(1, tau).dot(e) / std::sqrt(double(n));
      MatrixXd expected = MatrixXd::Zero(binCount(kWindow), binCount(kWindow));
      expected(b1, b2) = model.omega * g1 * g2;
      expected(b2, b1) = -model.omega * g1 * g2;
      QVERIFY((flux.matrix - expected).cwiseAbs().maxCoeff() <= 1e-12 * std::abs(expected(b1, b2)));
      QVERIFY(std::abs(flux.largestCoupling - model.omega) < 1e-12);
      // Kato's coupling ±ω is the derivative of the exact coefficient: d(g1²)/dτ|rotation = 2 F_{2→1}.
      const double h = 1e-5;
      const double rotationRate = (std::pow(model.phi(0, tau + h).dot(e), 2) - std::pow(model.phi(0, tau - h).dot(e), 2)) /
                                  (2 * h * n);
      QVERIFY(std::abs(rotationRate - 2 * expected(b1, b2)) < 1e-8);
    }

    // Over intervals of the exact flow, Ṁ by differences: the residual falls at second order
    // and the interval's mean flux converges to ω g1 g2 at the centre.
    const double centre = 0.6;
    const auto [eCentre, unused] = evolve(model, e0, centre, centre);
    const double g1 = model.phi(0, centre).dot(eCentre) / std::sqrt(double(n));
    const double g2 = model.phi(1, centre).dot(eCentre) / std::sqrt(double(n));
    std::vector<double> residuals, fluxErrors;
    const std::vector<double> spacings{0.1, 0.05, 0.025};
    for (double dtau : spacings) {
      const IntervalBalance r = balanceOf(model, e0, centre, dtau);
      QCOMPARE(r.crossingModes, 0);
      QCOMPARE(r.crossing.cwiseAbs().maxCoeff(), 0.0);
      residuals.push_back(relativeResidual(r));
      fluxErrors.push_back(std::abs(r.flux.matrix(b1, b2) - model.omega * g1 * g2) / std::abs(model.omega * g1 * g2));
      QVERIFY(std::abs(r.largestRotation - model.omega * dtau) < 0.05 * model.omega * dtau);
      // Only the pair's bins exchange energy.
      MatrixXd others = r.flux.matrix;
      others(b1, b2) = others(b2, b1) = 0;
      QVERIFY(others.cwiseAbs().maxCoeff() < 1e-12);
      // The cumulative flux across every edge between the two bins is F_{2→1}; it closes at the top.
      for (int b = b1; b < b2; ++b) QVERIFY(std::abs(r.cumulativeFlux(b) - r.flux.matrix(b1, b2)) < 1e-12);
      QVERIFY(std::abs(r.cumulativeFlux(binCount(kWindow) - 1)) < 1e-14);
      VectorXd halfResidual(r.residual.size());
      double running = 0;
      for (Eigen::Index b = 0; b < r.residual.size(); ++b) halfResidual(b) = (running += 0.5 * r.residual(b));
      QVERIFY((r.cumulativeFluxByDifference - r.cumulativeFlux - halfResidual).cwiseAbs().maxCoeff() < 1e-12);
    }
    const QByteArray label = "rotating pair, n=" + QByteArray::number(n);
    QVERIFY(observedOrder(label + ", residual", residuals, spacings) > 1.5);
    QVERIFY(observedOrder(label + ", |F_fd − ω g1 g2| / |ω g1 g2|", fluxErrors, spacings) > 1.5);
    // The constant is set by the fastest mode (λ = 15 for n >= 6: λΔτ = 0.375 at the smallest Δτ).
    QVERIFY(residuals.back() < 3e-3);
    QVERIFY(fluxErrors.back() < 5e-3);
  }

  void aCrossingModeCarriesItsEnergy() {
    // Fixed eigenvectors, λ_0(τ) = 0.8 e^{τ/2} crossing the edge 1 at τ* = 2 ln 1.25:
    // g_u(τ) = g_u(0) exp(−∫λ_u), no flux, and the crossing term moves g_0² from one shell to the next.
    const Eigen::Index n = 6;
    const MatrixXd q = test::randomOrthogonal(n, 71);
    const VectorXd fixed = (VectorXd(n) << 0.0, 0.05, 0.3, 2.5, 6.0, 20.0).finished();
    const auto lambdaAt = [&](double tau) { VectorXd l = fixed; l(0) = 0.8 * std::exp(0.5 * tau); return l; };
    const auto integralAt = [&](double tau) { VectorXd l = fixed * tau; l(0) = 1.6 * (std::exp(0.5 * tau) - 1.0); return l; };
    const VectorXd g0 = test::randomVector(n, 72);  // coefficients at τ = 0 (times √n)
    const auto errorAt = [&](double tau) -> VectorXd { return q * (-integralAt(tau)).array().exp().matrix().cwiseProduct(g0); };
    const double crossingTime = 2 * std::log(1.25), centre = crossingTime + 0.015;
    std::vector<double> residuals;
    const std::vector<double> spacings{0.2, 0.1, 0.05};
    for (double dtau : spacings) {
      const double t0 = centre - dtau / 2, t1 = centre + dtau / 2;
      QVERIFY(expectedBin(lambdaAt(t0)(0)) == 8 && expectedBin(lambdaAt(t1)(0)) == 9);
      const IntervalBalance r = balanceInterval(snapshotCheckpoint(withSpectrum(q, lambdaAt(t0)), errorAt(t0), kWindow),
                                                snapshotCheckpoint(withSpectrum(q, lambdaAt(t1)), errorAt(t1), kWindow), dtau);
      QCOMPARE(r.crossingModes, 1);
      QCOMPARE(r.weakCrossings, 0);
      // It carries the trapezoid mean of its energy at the two checkpoints.
      const double carried =
          0.5 * (std::pow(std::exp(-integralAt(t0)(0)) * g0(0), 2) + std::pow(std::exp(-integralAt(t1)(0)) * g0(0), 2)) / n;
      VectorXd expected = VectorXd::Zero(binCount(kWindow));
      expected(8) = -carried;
      expected(9) = carried;
      QVERIFY((r.crossing - expected).cwiseAbs().maxCoeff() <= 1e-13 * carried);
      QVERIFY(r.flux.matrix.cwiseAbs().maxCoeff() < 1e-12);
      residuals.push_back(relativeResidual(r));
    }
    QVERIFY(observedOrder("crossing edge, fixed basis, residual", residuals, spacings) > 1.5);
    QVERIFY(residuals.back() < 1e-3);
  }

  void crossingWhileRotatingKeepsTheResidualSmall() {
    const Eigen::Index n = 5;
    const RotatingPair model = rotatingPair(n, [](double tau) { return 0.8 * std::exp(0.5 * tau); }, 81);
    const VectorXd e0 = test::randomVector(n, 82) + VectorXd::Constant(n, 1.0);
    const double crossingTime = 2 * std::log(1.25), centre = crossingTime + 0.015;
    std::vector<double> residuals;
    const std::vector<double> spacings{0.2, 0.1, 0.05};
    for (double dtau : spacings) {
      const double t0 = centre - dtau / 2, t1 = centre + dtau / 2;
      const auto [eBegin, eEnd] = evolve(model, e0, t0, t1);
      const IntervalBalance r = balanceOf(model, e0, centre, dtau);
      QCOMPARE(r.crossingModes, 1);
      const double carried = 0.5 * (std::pow(model.phi(0, t0).dot(eBegin), 2) + std::pow(model.phi(0, t1).dot(eEnd), 2)) / n;
      QVERIFY(std::abs(r.crossing(9) - carried) <= 1e-10 * carried && std::abs(r.crossing(8) + carried) <= 1e-10 * carried);
      QVERIFY(std::abs(r.crossing.sum()) < 1e-15);
      residuals.push_back(relativeResidual(r));
    }
    QVERIFY(observedOrder("crossing edge while rotating, residual", residuals, spacings) > 1.5);
    QVERIFY(residuals.back() < 1e-3);
  }

  void genericSmoothPathConverges() {
    // M(τ) = M0 + τ M1 + τ² M2 with random M1, M2: every pair couples, eigenvalues drift (some
    // across edges); e by RK4. The residual still falls at second order.
    const Eigen::Index n = 12;
    const MatrixXd m0 = withSpectrum(test::randomOrthogonal(n, 101), logUniformSpectrum(n, -1.5, 0.8, 102));
    const MatrixXd m1 = 0.3 * randomSymmetric(n, 103), m2 = 0.1 * randomSymmetric(n, 104);
    const auto m = [&](double tau) -> MatrixXd { return m0 + tau * m1 + tau * tau * m2; };
    const auto velocity = [&](double tau, const VectorXd& e) -> VectorXd { return -(m(tau) * e); };
    const VectorXd e0 = test::randomVector(n, 105);
    std::vector<double> residuals;
    const std::vector<double> spacings{0.1, 0.05, 0.025};
    for (double dtau : spacings) {
      const double t0 = 0.5 - dtau / 2, t1 = 0.5 + dtau / 2;
      const VectorXd eBegin = integrate(velocity, e0, 0.0, t0, 1e-3), eEnd = integrate(velocity, eBegin, t0, t1, 1e-3);
      const IntervalBalance r = balanceInterval(snapshotCheckpoint(m(t0), eBegin, kWindow), snapshotCheckpoint(m(t1), eEnd, kWindow), dtau);
      QCOMPARE(r.flux.skippedAcrossBins, 0LL);
      QCOMPARE(r.weakMatches, 0);
      QVERIFY(std::abs(r.crossing.sum()) < 1e-15);
      QVERIFY(r.transportToDissipation > 0);
      residuals.push_back(relativeResidual(r));
      qInfo() << "generic path, Δτ" << dtau << ": transport/dissipation" << r.transportToDissipation << ", crossing modes"
              << r.crossingModes << ", largest rotation" << r.largestRotation;
    }
    QVERIFY(observedOrder("generic smooth path, residual", residuals, spacings) > 1.5);
    QVERIFY(residuals.back() < 2e-3);
  }

  void rankDeficientOperatorConverges() {
    // M(τ) = J(τ) J(τ)ᵀ / n with P < n parameters, J(τ) = J0 + τ J1 + τ² J2: M has an exact null
    // space of dimension n − P at every checkpoint (whose energy no step can reduce), which the
    // balance must treat as one cluster.
    const Eigen::Index n = 14, p = 6;
    const auto randomMatrix = [](Eigen::Index rows, Eigen::Index cols, unsigned seed) {
      const VectorXd v = test::randomVector(rows * cols, seed);
      return MatrixXd(Eigen::Map<const MatrixXd>(v.data(), rows, cols));
    };
    const MatrixXd j0 = 2.0 * randomMatrix(n, p, 111), j1 = 0.5 * randomMatrix(n, p, 112), j2 = 0.2 * randomMatrix(n, p, 113);
    const auto m = [&](double tau) -> MatrixXd {
      const MatrixXd j = j0 + tau * j1 + tau * tau * j2;
      return j * j.transpose() / double(n);
    };
    const auto velocity = [&](double tau, const VectorXd& e) -> VectorXd { return -(m(tau) * e); };
    const VectorXd e0 = test::randomVector(n, 114);
    const ShellWindow window{4, -40, 44};  // [1e-10, 10): the null cluster is underflow
    std::vector<double> residuals;
    const std::vector<double> spacings{0.1, 0.05, 0.025};
    for (double dtau : spacings) {
      const double t0 = 0.5 - dtau / 2, t1 = 0.5 + dtau / 2;
      const VectorXd eBegin = integrate(velocity, e0, 0.0, t0, 1e-3), eEnd = integrate(velocity, eBegin, t0, t1, 1e-3);
      const CheckpointSnapshot a = snapshotCheckpoint(m(t0), eBegin, window), b = snapshotCheckpoint(m(t1), eEnd, window);
      QCOMPARE(int(std::count(a.bins.begin(), a.bins.end(), 0)), int(n - p));
      const IntervalBalance r = balanceInterval(a, b, dtau);
      residuals.push_back(relativeResidual(r));
      qInfo() << "rank-deficient, Δτ" << dtau << ": crossing modes" << r.crossingModes << ", skipped across bins"
              << r.flux.skippedAcrossBins << ", transport/dissipation" << r.transportToDissipation;
    }
    QVERIFY(observedOrder("rank-deficient M = J Jᵀ/n, residual", residuals, spacings) > 1.5);
    QVERIFY(residuals.back() < 3e-3);
  }

  void errorVelocityAgreesWithItsFlow() {
    // mse-of-error on the rotating pair: Δe/Δτ → −M e; cross-entropy flow ė = −M 1: Δe/Δτ → −M 1,
    // and the cross-entropy dissipation Σ λ g c closes the balance that Σ λ g² does not.
    const RotatingPair model = rotatingPair(4, [](double) { return 0.4; });
    const VectorXd e0 = test::randomVector(4, 91) + VectorXd::Constant(4, 1.0);
    std::vector<double> mseDifference, ceDifference, ceResidual;
    double mseLawOnCrossEntropy = 0;
    std::vector<double> mseCosineGap, ceCosineGap;
    const std::vector<double> spacings{0.1, 0.05, 0.025};
    for (double dtau : spacings) {
      const IntervalBalance mse = balanceOf(model, e0, 0.6, dtau);
      mseDifference.push_back(mse.againstErrorFlow.relativeDifference);
      mseCosineGap.push_back(1 - mse.againstErrorFlow.cosine);
      qInfo() << "mse-of-error flow, Δτ" << dtau << ": cosine with −M e" << mse.againstErrorFlow.cosine << ", with −M 1"
              << mse.againstOnesFlow.cosine;

      const IntervalBalance ce = balanceOf(model, e0, 0.6, dtau, Objective::CrossEntropy);
      ceDifference.push_back(ce.againstOnesFlow.relativeDifference);
      ceCosineGap.push_back(1 - ce.againstOnesFlow.cosine);
      qInfo() << "cross-entropy flow, Δτ" << dtau << ": cosine with −M 1" << ce.againstOnesFlow.cosine << ", with −M e"
              << ce.againstErrorFlow.cosine;
      ceResidual.push_back(relativeResidual(ce));
      // The same interval read with the mse-of-error law: its residual does not vanish.
      BalanceOptions wrongLaw;
      const auto [eBegin, eEnd] = evolve(model, e0, 0.6 - dtau / 2, 0.6 + dtau / 2, true);
      const IntervalBalance misread = balanceInterval(snapshotCheckpoint(model.m(0.6 - dtau / 2), eBegin, kWindow),
                                                      snapshotCheckpoint(model.m(0.6 + dtau / 2), eEnd, kWindow), dtau, wrongLaw);
      mseLawOnCrossEntropy = relativeResidual(misread);
    }
    QVERIFY(observedOrder("mse-of-error flow, |Δe/Δτ + M e| / |Δe/Δτ|", mseDifference, spacings) > 1.5);
    QVERIFY(observedOrder("cross-entropy flow, |Δe/Δτ + M 1| / |Δe/Δτ|", ceDifference, spacings) > 1.5);
    QVERIFY(observedOrder("cross-entropy flow, residual with Σ λ g c", ceResidual, spacings) > 1.5);
    qInfo() << "1 − cosine at the smallest Δτ: mse-of-error flow against −M e" << mseCosineGap.back()
            << ", cross-entropy flow against −M 1" << ceCosineGap.back();
    QVERIFY(mseCosineGap.back() < 1e-7 && ceCosineGap.back() < 1e-7);
    qInfo() << "cross-entropy flow read with the mse-of-error law: relative residual" << mseLawOnCrossEntropy;
    QVERIFY(mseLawOnCrossEntropy > 100 * ceResidual.back());
  }

  void transportRatioAndCumulativeFluxByDefinition() {
    MatrixXd f = MatrixXd::Zero(4, 4);
    f(0, 2) = 0.3;   // 2 → 0
    f(2, 0) = -0.3;
    f(1, 3) = -0.1;  // 3 → 1
    f(3, 1) = 0.1;
    const VectorXd d = (VectorXd(4) << 1.0, 0.5, 0.25, 0.25).finished();
    QVERIFY(std::abs(transportToDissipation(f, d) - 0.4 / 2.0) < 1e-15);
    QVERIFY(std::isnan(transportToDissipation(f, VectorXd::Zero(4))));
    const VectorXd crossing = (VectorXd(4) << 0.0, 0.02, -0.02, 0.0).finished();
    const VectorXd j = cumulativeFluxFromTerms(f, crossing, 0.5);
    // Edge above bin 0: F_{2→0}; above bin 1: F_{2→0} + F_{3→1} + crossing into bin 1 / (2Δτ); above 2: F_{3→1}.
    const VectorXd expected = (VectorXd(4) << 0.3, 0.3 - 0.1 + 0.02, -0.1, 0.0).finished();
    SHELLSCOPE_COMPARE_ERROR(test::relativeError(j, expected), 1e-15);
    const VectorXd byDifference = cumulativeFluxByDifference((VectorXd(4) << -1, 0.5, 0.1, 0.4).finished(), d, 0.5);
    const VectorXd expectedDifference = (VectorXd(4) << 0.5 * (-2 + 2), 0.5 * (-2 + 2 + 1 + 1),
                                         0.5 * (-2 + 2 + 1 + 1 + 0.2 + 0.5), 0.5 * (-2 + 2 + 1 + 1 + 0.2 + 0.5 + 0.8 + 0.5)).finished();
    SHELLSCOPE_COMPARE_ERROR(test::relativeError(byDifference, expectedDifference), 1e-15);
    const FlowAgreement same = compareFlow(VectorXd::Ones(3), 2 * VectorXd::Ones(3));
    QVERIFY(std::abs(same.cosine - 1) < 1e-15 && std::abs(same.relativeDifference - 1) < 1e-15);
    QVERIFY(std::isnan(compareFlow(VectorXd::Zero(3), VectorXd::Ones(3)).cosine));
  }

  void rejectsMisuse() {
    const MatrixXd m = MatrixXd::Identity(3, 3);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, snapshotCheckpoint(m, VectorXd::Ones(4), kWindow));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, snapshotCheckpoint(MatrixXd::Ones(3, 2), VectorXd::Ones(3), kWindow));
    MatrixXd bad = m;
    bad(1, 1) = std::numeric_limits<double>::quiet_NaN();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, snapshotCheckpoint(bad, VectorXd::Ones(3), kWindow));
    const CheckpointSnapshot a = snapshotCheckpoint(m, VectorXd::Ones(3), kWindow);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, balanceInterval(a, a, 0.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, balanceInterval(a, a, -1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, balanceInterval(a, snapshotCheckpoint(m, VectorXd::Ones(3), ShellWindow{4, -8, 11}), 1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             balanceInterval(a, snapshotCheckpoint(MatrixXd::Identity(2, 2), VectorXd::Ones(2), kWindow), 1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseObjective("mse"));
    QVERIFY(parseObjective(toString(Objective::CrossEntropy)) == Objective::CrossEntropy);
    QVERIFY(parseObjective(toString(Objective::MseOfError)) == Objective::MseOfError);
  }
};

QTEST_GUILESS_MAIN(TestShellBalance)
#include "test_shell_balance.moc"
