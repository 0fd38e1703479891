#pragma once
// One checkpoint of the exact lab (paper §3.1-3.2; science.md §7 "Objectives and time").
//
// M = J Jᵀ/n (n × n, symmetric PSD) = Φ diag(λ) Φᵀ, Φ Euclidean-orthonormal, λ ascending, and
// g = Φᵀ e / √n, so that Parseval holds:
//     Σ_b E_b = Σ_u g_u² = mean(e²),            E_b = Σ_{u ∈ S_b} g_u²   (bins: shell_bins.h)
// The dissipation of bin b is D_b = Σ_{u∈S_b} λ_u g_u d_u with d the coefficients of what drives
// the error: ė = −M e under mse-of-error (d = g, D_b = Σ λ_u g_u²), ė = −M 1 under cross-entropy
// (d = c = Φᵀ1/√n). Either way dE_b/dτ = −2 D_b + (flux) for a fixed set of modes.

#include <Eigen/Core>
#include <string>
#include <vector>

#include "shellscope/spectral/shell_grid.h"

namespace shellscope::lab {

/// The training objective a run follows, which fixes the velocity of the error.
enum class Objective {
  MseOfError,    ///< L = ½ mean(e²): ė = −M e
  CrossEntropy,  ///< L = mean(e):    ė = −M 1
};

std::string toString(Objective objective);
/// Parses "mse-of-error" and "cross-entropy"; throws std::invalid_argument otherwise.
Objective parseObjective(const std::string& text);

/// M = Φ diag(λ) Φᵀ.
struct Eigenbasis {
  Eigen::VectorXd values;   ///< λ_u, ascending
  Eigen::MatrixXd vectors;  ///< column u is φ_u, Euclidean norm 1
  Eigen::Index size() const { return values.size(); }
};

/// ½(M + Mᵀ): the symmetric part the lab works with. Throws std::invalid_argument for a
/// non-square, empty or non-finite M.
Eigen::MatrixXd symmetricPart(const Eigen::MatrixXd& m);

/// Dense diagonalisation of a symmetric matrix (O(n³)); throws std::runtime_error if Eigen fails.
Eigenbasis diagonalise(const Eigen::MatrixXd& symmetric);

/// Everything the lab knows about one checkpoint.
struct CheckpointSnapshot {
  ShellWindow window;
  Eigen::MatrixXd operatorMatrix;     ///< the symmetric part of the M given
  Eigen::VectorXd error;              ///< e
  Eigenbasis basis;
  Eigen::VectorXd coefficients;       ///< g_u = φ_u·e/√n
  Eigen::VectorXd onesCoefficients;   ///< c_u = φ_u·1/√n
  std::vector<int> bins;              ///< bin of each mode
  Eigen::VectorXd energy;             ///< E_b, binCount entries
  Eigen::VectorXd dissipation;        ///< D_b = Σ λ_u g_u² (mse-of-error)
  Eigen::VectorXd crossEntropyDissipation;  ///< D_b = Σ λ_u g_u c_u (cross-entropy)
  double meanSquaredError = 0;        ///< mean(e²) from e itself, to check Σ_b E_b against

  Eigen::Index size() const { return error.size(); }
  const Eigen::VectorXd& dissipationFor(Objective objective) const;
  /// λ_u g_u d_u, the dissipation of each mode under the objective.
  Eigen::VectorXd modeDissipation(Objective objective) const;
  /// E in the spectral stage's form (shells, underflow, overflow).
  ShellEnergies shellEnergies() const;
};

/// The snapshot of (M, e) on a window. Throws std::invalid_argument when the sizes disagree or
/// e is not finite.
CheckpointSnapshot snapshotCheckpoint(const Eigen::MatrixXd& m, const Eigen::VectorXd& e,
                                      const ShellWindow& window);

}  // namespace shellscope::lab
