#pragma once
// Inter-shell energy flux from Kato's couplings (paper §3.1, §3.3 Proposition 1, §3.5).
//
// With M = Φ diag(λ) Φᵀ and its derivative Ṁ, first-order perturbation theory gives
// φ̇_v = Σ_{u≠v} Ω_{v→u} φ_u with
//     Ω_{v→u} = φ_uᵀ Ṁ φ_v / (λ_v − λ_u),          Ω_{v→u} = −Ω_{u→v},
// hence ġ_u = −λ_u d_u − Σ_{v≠u} Ω_{v→u} g_v, and for any fixed set of modes S_α
//     d/dτ Σ_{u∈S_α} g_u² = −2 D_α + 2 Σ_{β≠α} F_{β→α},
//     F_{β→α} = −Σ_{u∈S_α, v∈S_β} g_u g_v Ω_{v→u} = −F_{α→β},
// pairs inside one shell cancelling (F_{α→α} = 0). The rotating pair M = R(ωτ) diag(λ1, λ2) R(ωτ)ᵀ,
// R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]], φ_i = R e_i, has Ω_{1→2} = ω, Ω_{2→1} = −ω and
// F_{2→1} = ω g1 g2.
//
// Degenerate pairs (|λ_v − λ_u| <= relativeGap · max_w |λ_w|): inside one bin both orders are
// skipped, which keeps the cancellation exact; across bins the pair is skipped and counted, since
// dividing by a gap of the order of rounding gives noise, not a coupling.

#include <Eigen/Core>
#include <vector>

#include "shellscope/lab/checkpoint_snapshot.h"

namespace shellscope::lab {

struct CouplingOptions {
  /// Pairs closer than relativeGap · max |λ| count as degenerate.
  double relativeGap = 1e-9;
};

struct ShellFlux {
  /// (α, β) = F_{β→α}, binCount × binCount. The diagonal holds the within-bin sums, zero up to
  /// rounding (Proposition 1); it is reported, never used.
  Eigen::MatrixXd matrix;
  long long skippedWithinBin = 0;   ///< degenerate unordered pairs inside one bin (they cancel)
  long long skippedAcrossBins = 0;  ///< degenerate unordered pairs in different bins (coupling lost)
  double largestCoupling = 0;       ///< max |Ω_{v→u}| over the cross-bin pairs used

  /// Σ_{β≠α} F_{β→α}: the net flux into each bin.
  Eigen::VectorXd net() const;
};

/// W = Φᵀ Ṁ Φ (W_uv = φ_uᵀ Ṁ φ_v), two dense products. Throws std::invalid_argument on sizes.
Eigen::MatrixXd projectedDerivative(const Eigenbasis& basis, const Eigen::MatrixXd& mDot);

/// F at one instant from the eigenvalues, W, the coefficients g and a bin for each mode (any
/// labelling: the balance also evaluates one checkpoint's modes in the other's bins).
/// Throws std::invalid_argument when the sizes disagree or a bin is out of range.
ShellFlux shellFlux(const Eigen::VectorXd& lambda, const Eigen::MatrixXd& w, const Eigen::VectorXd& g,
                    const std::vector<int>& bins, int binCount, const CouplingOptions& options = {});

/// The same from the eigenbasis and Ṁ.
ShellFlux shellFlux(const Eigenbasis& basis, const Eigen::VectorXd& g, const std::vector<int>& bins, int binCount,
                    const Eigen::MatrixXd& mDot, const CouplingOptions& options = {});

}  // namespace shellscope::lab
