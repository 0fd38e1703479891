#pragma once
// Lanczos quadrature for the spectral measure of e under a symmetric PSD operator M
// (paper Appendix B, Algorithm 1; science.md §4).
//
// m steps from v0 = e/||e|| give M V_m = V_m T_m + β_m v_m e_m^T with T_m = U diag(θ) U^T;
// the Gauss rule puts weight w_i = U[0,i]^2 (Σ w_i = 1) at Ritz value θ_i, so the mass
// ||e||_H^2 w_i approximates the error energy of M near θ_i. It is exact once the Krylov space is
// invariant (breakdown), e.g. when m >= the number of distinct eigenvalues carrying weight.
//
// Written against two tiny operator interfaces so that the LibTorch operator, dense Eigen
// matrices (tests) and diagonal matrices (closed-form cases) plug into the same solver.

#include <Eigen/Core>
#include <functional>
#include <string>

namespace shellscope {

/// A symmetric positive semi-definite operator on R^n, applied matrix-free.
class SymmetricOperator {
 public:
  virtual ~SymmetricOperator() = default;
  virtual Eigen::Index size() const = 0;
  /// out = M in. `out` has size() entries on entry.
  virtual void apply(const Eigen::VectorXd& in, Eigen::VectorXd& out) = 0;
};

/// M = A A^T for A: R^P -> R^n, where P may be huge (all parameters). The operator owns the
/// current right vector v in R^P so that R^P vectors never leave it (Golub-Kahan needs only
/// the two-term recurrence on the right side).
class FactoredOperator {
 public:
  virtual ~FactoredOperator() = default;
  virtual Eigen::Index size() const = 0;  ///< n
  /// Replaces v by A^T u - beta * v, normalises it and returns its norm α (v unchanged when α = 0).
  /// The first call sees v = 0.
  virtual double advanceRight(const Eigen::VectorXd& u, double beta) = 0;
  /// out = A v.
  virtual void applyToRight(Eigen::VectorXd& out) = 0;
};

enum class LanczosMode {
  Full,        ///< three-term recurrence plus full re-orthogonalisation (CGS2) of every new vector
  Plain,       ///< the paper's pseudo-code exactly: three-term recurrence only
  GolubKahan,  ///< bidiagonalisation of A (M = A A^T) from e, θ_i = σ_i^2; left side re-orthogonalised
};

std::string toString(LanczosMode mode);
/// Parses "full", "plain", "golub-kahan"; throws std::invalid_argument otherwise.
LanczosMode parseLanczosMode(const std::string& text);

struct LanczosOptions {
  LanczosMode mode = LanczosMode::Full;
  int maxSteps = 64;
  /// Breakdown when the next off-diagonal falls below relativeTolerance * ||T|| (estimated as the
  /// largest |α|+|β| seen). 0 reproduces the paper's exact test β = 0.
  double relativeTolerance = 1e-10;
  /// Called after every operator product with the number of products done (may throw to cancel).
  std::function<void(int)> onStep;
  /// Adaptive m: asked with the Jacobi matrix T_k of M (diagonal k, off-diagonal k-1 entries) and
  /// the next off-diagonal entry whether k steps are enough; true stops the run (status
  /// Converged), maxSteps stays the cap. Asked first after minSteps steps, then after every
  /// max(8, k/8) further steps, so that its cost stays small against k operator products.
  std::function<bool(const Eigen::VectorXd&, const Eigen::VectorXd&, double)> stopWhen;
  int minSteps = 1;
  /// A second vector z (empty: none). The result's probeProducts then hold, for every Ritz pair
  /// (θ_j, y_j = V_k u_j), the bilinear Gauss quadrature of startᵀ f(M) z:
  ///     q_j = ‖start‖ u_j[0] (u_jᵀ V_kᵀ z)  ≈ (y_j·start)(y_j·z),
  /// with Σ_j q_j = start·z exactly in every mode (U is orthogonal and v_1 = start/‖start‖), and
  /// Σ_{θ_j∈S} q_j → Σ_{λ_u∈S} (φ_u·start)(φ_u·z) as k → n (Full and Golub-Kahan). Used for the
  /// held-out loss rate (docs/generalisation.md).
  Eigen::VectorXd probe;
};

enum class LanczosStatus {
  Completed,      ///< ran maxSteps steps
  BrokeDown,      ///< invariant subspace found early: the quadrature is exact
  ZeroStart,      ///< e = 0: no spectrum, all weights zero
  Converged,      ///< stopWhen said the k steps taken are enough
};

struct LanczosResult {
  LanczosStatus status = LanczosStatus::Completed;
  int stepsTaken = 0;                ///< size k of T_k
  Eigen::VectorXd alpha;             ///< diagonal of T_k (Golub-Kahan: of the bidiagonal B_k)
  Eigen::VectorXd beta;              ///< off-diagonal of T_k, k-1 entries (GK: subdiagonal of B_k)
  Eigen::VectorXd ritzValues;        ///< θ_i ascending, k entries
  Eigen::VectorXd ritzWeights;       ///< w_i = U[0,i]^2, Σ w_i = 1
  double orthogonalityLoss = 0.0;    ///< max_{i != j} |v_i · v_j| of the (left) Lanczos basis
  double startNorm = 0.0;            ///< ||e|| (Euclidean)
  /// The Jacobi matrix of M itself, T_k (for Golub-Kahan T_k = B_k B_k^T), and the next
  /// off-diagonal entry T_{k+1}(k+1, k) (0 after a breakdown): what the Gauss-Radau quadrature
  /// bounds need (quadrature_bounds.h).
  Eigen::VectorXd jacobiDiagonal, jacobiOffDiagonal;
  double nextOffDiagonal = 0.0;
  /// q_j for LanczosOptions::probe, in the order of ritzValues (empty without a probe).
  Eigen::VectorXd probeProducts;
};

/// Lanczos (Full or Plain) on M from `start` (need not be normalised).
LanczosResult lanczos(SymmetricOperator& op, const Eigen::VectorXd& start, const LanczosOptions& options);

/// Golub-Kahan bidiagonalisation of A from `start`; Ritz values of M = A A^T are σ_i^2.
LanczosResult golubKahan(FactoredOperator& op, const Eigen::VectorXd& start, const LanczosOptions& options);

/// Gauss quadrature of a symmetric tridiagonal T (diagonal a, off-diagonal b): Ritz values
/// ascending and weights U[0,i]^2, from Eigen's tridiagonal eigensolver.
void tridiagonalQuadrature(const Eigen::VectorXd& a, const Eigen::VectorXd& b,
                           Eigen::VectorXd& values, Eigen::VectorXd& weights, Eigen::MatrixXd* vectors = nullptr);

}  // namespace shellscope
