#pragma once
// The shell balance over one checkpoint interval [τ_k, τ_{k+1}] (paper §3.4-3.5; science.md §7).
//
// Every mode u of τ_k is followed to its partner π(u) at τ_{k+1} by eigenvector overlap
// (mode_tracking.h). For a fixed set of modes S the balance law holds exactly in continuous time,
//     d/dτ Σ_{u∈S} g_u² = −2 D_S + 2 F_{→S},                                       (kato_flux.h)
// and shell membership enters only through which fixed set is used. Taking S_α as the modes in
// bin α at τ_k, or at τ_{k+1}, and averaging the two, the measured change splits exactly:
//     ΔE_α = smooth_α + crossing_α,                                                          (1)
// where crossing_α moves, for every mode whose bin at τ_{k+1} differs from its bin at τ_k, the
// trapezoid mean ½(g_u(k)² + g_π(u)(k+1)²) of its energy from the old bin to the new one
// (Σ_α crossing_α = 0). The smooth part is integrated by the trapezoid rule over both checkpoints:
//     D̄_α = Σ_u ½(d_u(k) + d_π(u)(k+1)), each mode counted half in its bin at τ_k and half in its
//           bin at τ_{k+1} (d_u = λ_u g_u², or λ_u g_u c_u under cross-entropy),
//     F̄   = the mean of F in the bases of τ_k and τ_{k+1}, each with both bin labellings, all with
//           the central difference Ṁ ≈ (M_{k+1} − M_k)/Δτ.
// Using the central Ṁ at both ends errs by ∓½Δτ M̈ at each, and those first-order errors cancel
// in the mean, so every piece is second order and
//     R_α = ΔE_α/Δτ − (−2 D̄_α + 2 Σ_{β≠α} F̄_{β→α} + crossing_α/Δτ) = O(Δτ²),
// crossing intervals included. The eigenbasis of (M_k + M_{k+1})/2 is not used: when n exceeds the
// number of parameters, M_k and M_{k+1} share a null space of dimension n − P only up to a rotation
// of O(Δτ), their mean has O(Δτ²) eigenvalues inside it, and the couplings of those spurious modes
// are O(1/Δτ) (the residual then grows as Δτ shrinks; tests/core/lab/test_shell_balance.cpp).
// Separately and exactly, in the frozen basis of τ_k:
//     ΔE_α = [E_α^{(k)}(e_{k+1}) − E_α(k)] + [E_α(k+1) − E_α^{(k)}(e_{k+1})]                 (2)
//             (the error moved, basis fixed)   (the basis moved: rotation and crossing)

#include <Eigen/Core>

#include "shellscope/lab/checkpoint_snapshot.h"
#include "shellscope/lab/flow_agreement.h"
#include "shellscope/lab/kato_flux.h"

namespace shellscope::lab {

struct BalanceOptions {
  Objective objective = Objective::MseOfError;  ///< which dissipation enters R (checkpoint_snapshot.h)
  CouplingOptions coupling;
};

/// Decomposition (2); errorChange + basisChange = ΔE to rounding.
struct FrozenBasisSplit {
  Eigen::VectorXd errorChange;  ///< E_α of e_{k+1} in the bins of τ_k's basis, minus E_α(k)
  Eigen::VectorXd basisChange;  ///< E_α(k+1) minus the same
};

/// Every term of the balance over one interval; vectors have binCount entries.
struct IntervalBalance {
  double dtau = 0;
  Eigen::VectorXd energyChange;               ///< ΔE_α = E_α(k+1) − E_α(k), measured
  Eigen::VectorXd dissipationMean;            ///< D̄_α of (1) (enters R)
  Eigen::VectorXd checkpointDissipationMean;  ///< ½(D_α(k) + D_α(k+1)), each checkpoint's own bins
  /// F̄_{β→α}. Skip counts and largestCoupling are the largest over the four evaluations.
  ShellFlux flux;
  Eigen::VectorXd netFlux;                    ///< Σ_{β≠α} F̄_{β→α}
  Eigen::VectorXd crossing;                   ///< crossing_α of (1): an energy, not a rate
  Eigen::VectorXd residual;                   ///< R_α
  FrozenBasisSplit frozenBasis;
  FlowAgreement againstErrorFlow;             ///< Δe/Δτ against −M_mid e_mid (mse-of-error)
  FlowAgreement againstOnesFlow;              ///< Δe/Δτ against −M_mid 1 (cross-entropy)
  int crossingModes = 0;           ///< modes whose bin at τ_{k+1} differs from their bin at τ_k
  int weakCrossings = 0;           ///< of those, tracked with overlap <= ½ (their crossing is uncertain)
  int weakMatches = 0;             ///< all matches with overlap <= ½ (e.g. inside a null cluster)
  double smallestTrackingOverlap = 1;
  double largestRotation = 0;      ///< max |Ω_{v→u}| Δτ over used cross-bin pairs (radians)
  double transportToDissipation = 0;  ///< Σ_{α<β}|F̄_{β→α}| / Σ_α |D̄_α|
  Eigen::VectorXd cumulativeFluxByDifference;  ///< J_{<=α} from ΔE and checkpointDissipationMean
  Eigen::VectorXd cumulativeFlux;              ///< J_{<=α} from F̄ and the crossing term
};

/// The balance between two snapshots on the same window, Δτ = τ_{k+1} − τ_k apart, with
/// M_mid = (M_k + M_{k+1})/2 and e_mid = (e_k + e_{k+1})/2 for the flow comparisons.
/// Throws std::invalid_argument for Δτ <= 0, different windows or sizes.
IntervalBalance balanceInterval(const CheckpointSnapshot& begin, const CheckpointSnapshot& end, double dtau,
                                const BalanceOptions& options = {});

}  // namespace shellscope::lab
