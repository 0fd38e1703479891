#pragma once
// Cumulative flux across shell edges and the transport-to-dissipation ratio (paper §3.5, §4.2-4.3;
// science.md §7 "Cumulative flux").
//
// Summing the balance dE_γ/dτ = −2 D_γ + 2 Σ_β F_{β→γ} over the bins γ <= b leaves only what
// crosses the edge above bin b:
//     J_{<=b} = ½ Σ_{γ<=b} (dE_γ/dτ + 2 D_γ) = Σ_{γ<=b<β} F_{β→γ}
// (J > 0: energy moving toward small λ). With underflow and overflow the outermost bins the sum
// over every bin closes, J_{<=last} = 0. Entry b of the returned vectors is J_{<=b}, binCount
// entries, the last one the closure (0 for the flux form, ½ Σ residual for the difference form).

#include <Eigen/Core>

namespace shellscope::lab {

/// The by-difference estimate from ΔE over Δτ and a mean dissipation D̄ (what a checkpoint series
/// without exact fluxes gives). Throws std::invalid_argument for Δτ <= 0 or differing lengths.
Eigen::VectorXd cumulativeFluxByDifference(const Eigen::VectorXd& energyChange,
                                           const Eigen::VectorXd& dissipationMean, double dtau);

/// The same from the lab's terms: rotation flux F (matrix (α, β) = F_{β→α}) plus the crossing
/// energies moved over the interval, J_{<=b} = Σ_{γ<=b<β} F_{β→γ} + Σ_{γ<=b} crossing_γ / (2Δτ).
Eigen::VectorXd cumulativeFluxFromTerms(const Eigen::MatrixXd& flux, const Eigen::VectorXd& crossing,
                                        double dtau);

/// Σ_{α<β} |F_{β→α}| / Σ_α |D_α|; the paper predicts it vanishes in the lazy (NTK) limit.
/// NaN when there is no dissipation.
double transportToDissipation(const Eigen::MatrixXd& flux, const Eigen::VectorXd& dissipation);

}  // namespace shellscope::lab
