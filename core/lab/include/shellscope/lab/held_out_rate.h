#pragma once
// Train versus held-out, exactly (paper §6; docs/generalisation.md, "The identity").
//
// Training points i = 1..n (errors e, Jacobian J, M = J Jᵀ/n = Φ diag(λ) Φᵀ), held-out points
// i' = 1..n' (errors e', Jacobian J'), cross kernel K' = J' Jᵀ (n' × n). Gradient flow on the
// training points moves θ by θ̇ = (1/n) Jᵀ d, with d = e (mse-of-error) or d = 1 (cross-entropy),
// so the held-out errors move as ė' = −(1/n) K' d and the held-out loss L' (the objective on the
// held-out points: ½ mean(e'²), gradient w' = e'/n', or mean(e'), w' = 1/n') changes at the rate
//
//     dL'/dτ = −(1/(n n')) w'ᵀ K' d = Σ_b R_b,
//     R_b    = −(1/(n n')) Σ_{u ∈ S_b} (w'ᵀ K' φ_u)(φ_u · d)                    (w' = e' or 1)
//
// exact because the φ_u span Rⁿ (Σ_u φ_u φ_uᵀ = I). With λ_u ψ_u = K' φ_u / n (Nyström's
// extension of φ_u to the held-out points) this is the R_b = −(1/n') Σ λ_u (w'·ψ_u)(φ_u·d).
// When the held-out points are the training points, K' = n M and R_b = −Σ_{u∈S_b} λ_u (φ_u·d)²/n:
// −D_b under mse-of-error, every term ≤ 0. A bin with R_b > 0 is one where learning on the
// training points raises the held-out loss. Tested in tests/core/lab/test_held_out_rate.cpp
// (the sum against the direct product, R = −D on the training points, a planted mismatch).

#include <Eigen/Core>

#include "shellscope/lab/checkpoint_snapshot.h"

namespace shellscope::lab {

/// The held-out loss rate of one checkpoint, split over the training operator's bins.
struct HeldOutRates {
  Eigen::VectorXd mode;   ///< per training mode u: −(w'ᵀK'φ_u)(φ_u·d)/(n n')
  Eigen::VectorXd bins;   ///< R_b, binCount entries
  double direct = 0;      ///< −w'ᵀK'd/(n n'), computed without the eigenbasis
};

/// R for explicit left and right vectors: w' (n') and d (n). Throws std::invalid_argument when
/// the sizes disagree with the snapshot or K' (n' × n), or anything is not finite.
HeldOutRates heldOutRates(const CheckpointSnapshot& train, const Eigen::MatrixXd& crossKernel,
                          const Eigen::VectorXd& heldOutWeight, const Eigen::VectorXd& drive);

/// R of the objective: w' = e', d = e (mse-of-error: the rate of ½ mean(e'²)) or w' = 1, d = 1
/// (cross-entropy: the rate of mean(e')).
HeldOutRates heldOutRates(const CheckpointSnapshot& train, const Eigen::MatrixXd& crossKernel,
                          const Eigen::VectorXd& heldOutError, Objective objective);

}  // namespace shellscope::lab
