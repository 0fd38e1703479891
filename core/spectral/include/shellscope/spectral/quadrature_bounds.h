#pragma once
// Rigorous bounds on shell energies from the Lanczos quadrature itself (Golub & Meurant,
// Matrices, Moments and Quadrature, ch. 6; science.md §7).
//
// m Lanczos steps fix the first 2m moments of the spectral measure μ of e under M (μ has total
// mass 1 here; energies are mean(e²) μ). Among all measures with those moments, the smallest and
// largest values of the distribution F(a) = μ((-∞, a]) at a point a are attained by the Gauss-Radau
// rule with a node prescribed at a (the Chebyshev-Markov-Stieltjes inequalities, Markov-Krein):
//     Σ_{θ̃_i < a} w̃_i  <=  F(a−)  <=  F(a)  <=  Σ_{θ̃_i <= a} w̃_i,
// its nodes θ̃ and weights w̃ the eigenvalues and squared first components of T̃_{m+1}, which is
// T_m extended by the next off-diagonal β_m and the last diagonal entry α̃ = a + δ_m with
// (T_m − a I) δ = β_m² e_m. A shell [a_α, a_{α+1}) has E_α = F(a_{α+1}−) − F(a_α−), so
//     L(a_{α+1}) − U(a_α)  <=  E_α / mean(e²)  <=  U(a_{α+1}) − L(a_α).
// After a breakdown (β_m = 0: an invariant subspace) the bounds collapse onto the Gauss rule.
// They hold for exact Lanczos coefficients: with full re-orthogonalisation (or Golub-Kahan) to
// rounding; the plain recurrence's coefficients do not define the measure's moments once
// orthogonality is lost, so its bounds are not rigorous. Tested against dense spectra in
// tests/core/spectral/test_quadrature_bounds.cpp and tests/core/engine/test_compute.cpp.

#include <Eigen/Core>

#include "shellscope/spectral/shell_grid.h"

namespace shellscope {

/// Bounds on F(a−) (lower) and F(a) (upper) at one point a.
struct DistributionBounds {
  double lower = 0, upper = 0;
};

/// From T_m (diagonal, off-diagonal: m and m-1 entries) and the next off-diagonal entry.
DistributionBounds distributionBounds(const Eigen::VectorXd& diagonal, const Eigen::VectorXd& offDiagonal,
                                      double nextOffDiagonal, double a);

/// Bounds on every shell energy of `window`, and on the underflow and overflow, for a measure of
/// total mass `mass` (mean(e²) of the batch).
struct ShellEnergyBounds {
  Eigen::VectorXd lower, upper;  ///< [S]
  double underflowLower = 0, underflowUpper = 0, overflowLower = 0, overflowUpper = 0;
};
ShellEnergyBounds shellEnergyBounds(const ShellWindow& window, const Eigen::VectorXd& diagonal,
                                    const Eigen::VectorXd& offDiagonal, double nextOffDiagonal, double mass);

}  // namespace shellscope
