#pragma once
// Operators with a known spectrum for the Lanczos and quadrature-bound tests: M given densely,
// M = A A^T with A explicit (for Golub-Kahan), and spectra of chosen eigenvalues in a random
// orthonormal basis.

#include <Eigen/Dense>

#include "shellscope/spectral/lanczos.h"
#include "test_support.h"

namespace {

using shellscope::FactoredOperator;
using shellscope::SymmetricOperator;
using shellscope::test::randomOrthogonal;

class DenseOperator final : public SymmetricOperator {
 public:
  explicit DenseOperator(Eigen::MatrixXd m) : m_(std::move(m)) {}
  Eigen::Index size() const override { return m_.rows(); }
  void apply(const Eigen::VectorXd& in, Eigen::VectorXd& out) override {
    out = m_ * in;
    ++products;
  }
  int products = 0;

 private:
  Eigen::MatrixXd m_;
};

/// M = A A^T with A given explicitly (n x p); the right vector lives here, as it would in R^P.
class DenseFactoredOperator final : public FactoredOperator {
 public:
  explicit DenseFactoredOperator(Eigen::MatrixXd a) : a_(std::move(a)), v_(Eigen::VectorXd::Zero(a_.cols())) {}
  Eigen::Index size() const override { return a_.rows(); }
  double advanceRight(const Eigen::VectorXd& u, double beta) override {
    Eigen::VectorXd w = a_.transpose() * u - beta * v_;
    const double alpha = w.norm();
    if (alpha > 0) v_ = w / alpha;
    return alpha;
  }
  void applyToRight(Eigen::VectorXd& out) override { out = a_ * v_; }

 private:
  Eigen::MatrixXd a_;
  Eigen::VectorXd v_;
};

/// Spectrum of M with eigenvalues `lambda` in a random orthonormal basis Q.
struct DenseProblem {
  Eigen::MatrixXd q;
  Eigen::VectorXd lambda;
  Eigen::MatrixXd matrix() const { return q * lambda.asDiagonal() * q.transpose(); }
  /// Ground-truth Gauss weights (φ_u · e)^2 / (e · e).
  Eigen::VectorXd weights(const Eigen::VectorXd& e) const {
    return (q.transpose() * e).array().square() / e.squaredNorm();
  }
};

DenseProblem spreadSpectrum(Eigen::Index n, double lowDecade, double highDecade, unsigned seed) {
  DenseProblem p;
  p.q = randomOrthogonal(n, seed);
  p.lambda.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    p.lambda(i) = std::pow(10.0, lowDecade + (highDecade - lowDecade) * double(i) / double(n - 1));
  }
  return p;
}

}  // namespace
