#pragma once
// Shared helpers for the QtTest suites: relative comparisons with readable failure messages and
// random test matrices with fixed seeds.

#include <QtTest/QtTest>

#include <Eigen/Dense>
#include <cmath>
#include <functional>
#include <random>
#include <string>

namespace shellscope::test {

/// max_i |a_i - b_i| / max(max_i |b_i|, tiny)
inline double relativeError(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  const double scale = std::max(b.cwiseAbs().maxCoeff(), 1e-300);
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

inline QByteArray describe(double error, double tolerance) {
  return QByteArray("relative error ") + QByteArray::number(error, 'g', 3) + " exceeds " +
         QByteArray::number(tolerance, 'g', 3);
}

/// Passes when `error` <= `tolerance`, printing both otherwise.
#define SHELLSCOPE_COMPARE_ERROR(error, tolerance)                                              \
  do {                                                                                          \
    const double shellscopeError_ = (error);                                                    \
    QVERIFY2(shellscopeError_ <= (tolerance), shellscope::test::describe(shellscopeError_, tolerance)); \
  } while (0)

/// A random orthogonal matrix (QR of a Gaussian matrix) with a fixed seed.
inline Eigen::MatrixXd randomOrthogonal(Eigen::Index n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = normal(rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  return qr.householderQ() * Eigen::MatrixXd::Identity(n, n);
}

/// The message of the exception `work` throws, or an empty string when it throws none.
inline QString messageOf(const std::function<void()>& work) {
  try {
    work();
  } catch (const std::exception& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

inline Eigen::VectorXd randomVector(Eigen::Index n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v(i) = normal(rng);
  return v;
}

}  // namespace shellscope::test
