// Lanczos quadrature (paper Appendix B.2, Algorithm 1; science.md §4).
//   Full/Plain:  M V_k = V_k T_k + β_k v_k e_k^T,   T_k = U diag(θ) U^T,   w_i = U[0,i]^2
//   Golub-Kahan: A^T U_k = V_k B_k^T,  A V_k = U_k B_k + β_{k+1} u_{k+1} e_k^T,  T_k = B_k B_k^T,
//                θ_i = σ_i(B_k)^2 and w_i = (first entry of the i-th left singular vector)^2.
#include "shellscope/spectral/lanczos.h"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace shellscope {

std::string toString(LanczosMode mode) {
  switch (mode) {
    case LanczosMode::Full: return "full";
    case LanczosMode::Plain: return "plain";
    case LanczosMode::GolubKahan: return "golub-kahan";
  }
  return "unknown";
}

LanczosMode parseLanczosMode(const std::string& text) {
  if (text == "full") return LanczosMode::Full;
  if (text == "plain") return LanczosMode::Plain;
  if (text == "golub-kahan") return LanczosMode::GolubKahan;
  throw std::invalid_argument("unknown Lanczos mode '" + text + "' (expected full, plain or golub-kahan)");
}

void tridiagonalQuadrature(const Eigen::VectorXd& a, const Eigen::VectorXd& b,
                           Eigen::VectorXd& values, Eigen::VectorXd& weights, Eigen::MatrixXd* vectors) {
  if (a.size() == 0) {
    values.resize(0);
    weights.resize(0);
    if (vectors) vectors->resize(0, 0);
    return;
  }
  // Eigen's computeFromTridiagonal does not scale its input, and its deflation test
  // (|b_i| <= eps sqrt(|a_i| + |a_i+1|)) is not scale-invariant: with entries of order 20 the QR
  // iteration can stall on a converged pair of Ritz values (seen with plain Lanczos). Scaling T to
  // unit size first, as Eigen's own compute() does for dense matrices, avoids that.
  const double scale = std::max(a.cwiseAbs().maxCoeff(), b.size() ? b.cwiseAbs().maxCoeff() : 0.0);
  const double unit = scale > 0.0 ? scale : 1.0;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(a / unit, b / unit, Eigen::ComputeEigenvectors);
  if (solver.info() != Eigen::Success) {
    throw std::runtime_error("tridiagonal eigensolver did not converge (size " + std::to_string(a.size()) +
                             (a.allFinite() && b.allFinite() ? ")" : ", non-finite entries)"));
  }
  values = solver.eigenvalues() * unit;
  weights = solver.eigenvectors().row(0).transpose().array().square();
  if (vectors) *vectors = solver.eigenvectors();
}

namespace {

void checkStart(Eigen::Index n, const Eigen::VectorXd& start, const LanczosOptions& options) {
  if (start.size() != n) {
    throw std::invalid_argument("Lanczos start vector has " + std::to_string(start.size()) +
                                " entries, the operator " + std::to_string(n));
  }
  if (!start.allFinite()) throw std::invalid_argument("Lanczos start vector (the error e) is not finite");
  if (options.maxSteps < 1) throw std::invalid_argument("Lanczos needs at least one step");
  if (!(options.relativeTolerance >= 0.0)) throw std::invalid_argument("Lanczos tolerance must be >= 0");
}

void checkFinite(const Eigen::VectorXd& w, int step) {
  if (!w.allFinite()) {
    throw std::runtime_error("operator product at Lanczos step " + std::to_string(step) +
                             " is not finite (NaN or infinite values in the model)");
  }
}

/// Two passes of classical Gram-Schmidt against the first `count` columns ("twice is enough").
void reorthogonalise(const Eigen::MatrixXd& basis, Eigen::Index count, Eigen::VectorXd& w) {
  const auto block = basis.leftCols(count);
  for (int pass = 0; pass < 2; ++pass) w.noalias() -= block * (block.transpose() * w);
}

double orthogonalityLoss(const Eigen::MatrixXd& basis, Eigen::Index count) {
  if (count < 2) return 0.0;
  const auto block = basis.leftCols(count);
  Eigen::MatrixXd gram = block.transpose() * block;
  gram.diagonal().setZero();
  return gram.cwiseAbs().maxCoeff();
}

/// The recurrence coefficients and diagnostics of a finished run (Ritz values still to fill in).
LanczosResult recurrenceResult(LanczosStatus status, std::vector<double>& alpha, std::vector<double>& beta,
                               double startNorm, const Eigen::MatrixXd& basis) {
  LanczosResult result;
  result.status = status;
  result.stepsTaken = static_cast<int>(alpha.size());
  result.alpha = Eigen::Map<Eigen::VectorXd>(alpha.data(), static_cast<Eigen::Index>(alpha.size()));
  result.beta = Eigen::Map<Eigen::VectorXd>(beta.data(), static_cast<Eigen::Index>(beta.size()));
  result.startNorm = startNorm;
  result.orthogonalityLoss = orthogonalityLoss(basis, result.stepsTaken);
  return result;
}

/// When stopWhen is next asked (adaptive m, LanczosOptions::stopWhen).
class StopSchedule {
 public:
  explicit StopSchedule(const LanczosOptions& options) : options_(options), next_(std::max(1, options.minSteps)) {}
  /// True when the run may stop after `steps` steps with this Jacobi matrix.
  bool stopAfter(int steps, const Eigen::VectorXd& diagonal, const Eigen::VectorXd& off, double next) {
    if (!options_.stopWhen || steps < next_) return false;
    next_ = steps + std::max(8, steps / 8);
    return options_.stopWhen(diagonal, off, next);
  }

 private:
  const LanczosOptions& options_;
  int next_;
};

Eigen::VectorXd asVector(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

/// T_k = B_k B_k^T of a Golub-Kahan bidiagonal (diagonal α_1..k, subdiagonal β_2..k) and
/// T(k+1, k) = β_{k+1} α_k: T(i,i) = α_i² + β_i², T(i,i-1) = β_i α_{i-1} (β_1 = 0).
void bidiagonalJacobi(const Eigen::VectorXd& alpha, const Eigen::VectorXd& beta, double nextBeta,
                      Eigen::VectorXd& diagonal, Eigen::VectorXd& off, double& next) {
  const Eigen::Index k = alpha.size();
  diagonal = alpha.array().square();
  for (Eigen::Index i = 1; i < k; ++i) diagonal(i) += beta(i - 1) * beta(i - 1);
  off.resize(std::max<Eigen::Index>(0, k - 1));
  for (Eigen::Index i = 1; i < k; ++i) off(i - 1) = beta(i - 1) * alpha(i - 1);
  next = k > 0 ? nextBeta * alpha(k - 1) : 0.0;
}

void checkProbe(Eigen::Index n, const LanczosOptions& options) {
  if (options.probe.size() != 0 && options.probe.size() != n) {
    throw std::invalid_argument("Lanczos probe vector has " + std::to_string(options.probe.size()) +
                                " entries, the operator " + std::to_string(n));
  }
  if (!options.probe.allFinite()) throw std::invalid_argument("Lanczos probe vector is not finite");
}

/// q_j = ‖start‖ u_j[0] (u_jᵀ Vᵀ z) for the eigenvectors u_j (columns of `vectors`, in the
/// result's Ritz order) of the k × k Jacobi matrix and the basis V (first k columns).
Eigen::VectorXd probeProducts(const Eigen::MatrixXd& vectors, const Eigen::MatrixXd& basis, double startNorm,
                              const Eigen::VectorXd& probe) {
  const Eigen::Index k = vectors.cols();
  const Eigen::VectorXd projected = basis.leftCols(k).transpose() * probe;  // Vᵀ z
  return startNorm * vectors.row(0).transpose().cwiseProduct(vectors.transpose() * projected);
}

LanczosResult zeroStart() {
  LanczosResult result;
  result.status = LanczosStatus::ZeroStart;
  return result;
}

}  // namespace

LanczosResult lanczos(SymmetricOperator& op, const Eigen::VectorXd& start, const LanczosOptions& options) {
  if (options.mode == LanczosMode::GolubKahan) {
    throw std::invalid_argument("Golub-Kahan needs a factored operator (use golubKahan)");
  }
  const Eigen::Index n = op.size();
  checkStart(n, start, options);
  checkProbe(n, options);
  const double startNorm = start.norm();
  if (startNorm == 0.0) return zeroStart();

  const bool full = options.mode == LanczosMode::Full;
  const int m = static_cast<int>(std::min<Eigen::Index>(options.maxSteps, n));  // the Krylov space ends at n
  StopSchedule schedule(options);
  Eigen::MatrixXd basis(n, m);
  basis.col(0) = start / startNorm;
  std::vector<double> alpha, beta;
  Eigen::VectorXd w(n);
  double normEstimate = 0.0, nextBeta = 0.0;
  LanczosStatus status = LanczosStatus::Completed;

  for (int k = 0; k < m; ++k) {
    op.apply(basis.col(k), w);
    checkFinite(w, k + 1);
    if (options.onStep) options.onStep(k + 1);
    const double previousBeta = k > 0 ? beta.back() : 0.0;
    double a;
    if (full) {
      a = basis.col(k).dot(w);
      w -= a * basis.col(k);
      if (k > 0) w -= previousBeta * basis.col(k - 1);
      reorthogonalise(basis, k + 1, w);
    } else {
      // Algorithm 1, lines 3-6, verbatim.
      if (k > 0) w -= previousBeta * basis.col(k - 1);
      a = basis.col(k).dot(w);
      w -= a * basis.col(k);
    }
    alpha.push_back(a);
    const double b = w.norm();
    nextBeta = b;
    normEstimate = std::max(normEstimate, std::abs(a) + b + previousBeta);
    if (b == 0.0 || b <= options.relativeTolerance * normEstimate) {
      status = LanczosStatus::BrokeDown;
      nextBeta = 0.0;  // an invariant subspace: the quadrature is exact
      break;
    }
    if (k == m - 1) break;
    if (schedule.stopAfter(k + 1, asVector(alpha), asVector(beta), b)) {
      status = LanczosStatus::Converged;
      break;
    }
    beta.push_back(b);
    basis.col(k + 1) = w / b;
  }

  LanczosResult result = recurrenceResult(status, alpha, beta, startNorm, basis);
  Eigen::MatrixXd vectors;
  tridiagonalQuadrature(result.alpha, result.beta, result.ritzValues, result.ritzWeights,
                        options.probe.size() ? &vectors : nullptr);
  if (options.probe.size()) result.probeProducts = probeProducts(vectors, basis, startNorm, options.probe);
  result.jacobiDiagonal = result.alpha;
  result.jacobiOffDiagonal = result.beta;
  result.nextOffDiagonal = nextBeta;
  return result;
}

LanczosResult golubKahan(FactoredOperator& op, const Eigen::VectorXd& start, const LanczosOptions& options) {
  const Eigen::Index n = op.size();
  checkStart(n, start, options);
  checkProbe(n, options);
  const double startNorm = start.norm();
  if (startNorm == 0.0) return zeroStart();

  const int m = static_cast<int>(std::min<Eigen::Index>(options.maxSteps, n));
  StopSchedule schedule(options);
  Eigen::MatrixXd left(n, m);
  left.col(0) = start / startNorm;
  std::vector<double> alpha, beta;  // B_k: diagonal alpha_1..k, subdiagonal beta_2..k
  Eigen::VectorXd w(n);
  double normEstimate = 0.0;
  double previousBeta = 0.0, lastBeta = 0.0;  // lastBeta: beta_{k+1} after the last step (0 after a breakdown)
  LanczosStatus status = LanczosStatus::Completed;

  for (int i = 0; i < m; ++i) {
    const double a = op.advanceRight(left.col(i), previousBeta);
    if (!std::isfinite(a)) checkFinite(Eigen::VectorXd::Constant(1, a), i + 1);
    alpha.push_back(a);
    normEstimate = std::max(normEstimate, a + previousBeta);
    if (a == 0.0 || a <= options.relativeTolerance * normEstimate) {
      // A^T u_i lies in span(v_{i-1}): the Krylov space is invariant.
      if (options.onStep) options.onStep(i + 1);
      status = LanczosStatus::BrokeDown;
      lastBeta = 0.0;
      break;
    }
    op.applyToRight(w);
    checkFinite(w, i + 1);
    if (options.onStep) options.onStep(i + 1);
    w -= a * left.col(i);
    reorthogonalise(left, i + 1, w);
    const double b = w.norm();
    lastBeta = b;
    normEstimate = std::max(normEstimate, a + b);
    if (b == 0.0 || b <= options.relativeTolerance * normEstimate) {
      status = LanczosStatus::BrokeDown;
      lastBeta = 0.0;
      break;
    }
    if (i == m - 1) break;
    if (options.stopWhen) {
      Eigen::VectorXd diagonal, off;
      double next = 0;
      bidiagonalJacobi(asVector(alpha), asVector(beta), b, diagonal, off, next);
      if (schedule.stopAfter(i + 1, diagonal, off, next)) {
        status = LanczosStatus::Converged;
        break;
      }
    }
    beta.push_back(b);
    left.col(i + 1) = w / b;
    previousBeta = b;
  }

  LanczosResult result = recurrenceResult(status, alpha, beta, startNorm, left);
  bidiagonalJacobi(result.alpha, result.beta, lastBeta, result.jacobiDiagonal, result.jacobiOffDiagonal,
                   result.nextOffDiagonal);

  const Eigen::Index k = result.stepsTaken;
  Eigen::MatrixXd bidiagonal = Eigen::MatrixXd::Zero(k, k);
  bidiagonal.diagonal() = result.alpha;
  if (k > 1) bidiagonal.diagonal(-1) = result.beta;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(bidiagonal, Eigen::ComputeFullU);
  const Eigen::VectorXd sigma = svd.singularValues();  // descending
  std::vector<Eigen::Index> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  result.ritzValues.resize(k);
  result.ritzWeights.resize(k);
  Eigen::MatrixXd vectors(k, k);  // eigenvectors of T_k = B Bᵀ: B's left singular vectors, ascending
  for (Eigen::Index i = 0; i < k; ++i) {
    const Eigen::Index j = order[static_cast<size_t>(i)];
    result.ritzValues(i) = sigma(j) * sigma(j);
    result.ritzWeights(i) = svd.matrixU()(0, j) * svd.matrixU()(0, j);
    vectors.col(i) = svd.matrixU().col(j);
  }
  if (options.probe.size()) result.probeProducts = probeProducts(vectors, left, startNorm, options.probe);
  return result;
}

}  // namespace shellscope
