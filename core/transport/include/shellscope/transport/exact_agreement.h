#pragma once
// How far apart may checkpoints be? The by-difference flux (series_transport.h) on every s-th
// checkpoint of an exact lab series (docs/lab.md, "The driver"), against the lab's exact flux
// (Kato rotation plus edge crossings, J_flux) averaged over the same span:
//     J̄_exact = Σ_{fine intervals in the span} Δτ_i J_i / Σ Δτ_i,
//     J_diff  = ½ Σ_{γ<=b} (ΔE_γ/Δτ + 2 D̄_γ)  from the span's two end checkpoints only.
// The error of one span is max_b |J_diff − J̄_exact| over the window's edges (the closure entry
// left out), relative to the flux (max_b |J̄_exact|) and to the dissipation (Σ_b D̄_b: what
// matters when the flux itself is small, as in lazy runs). docs/lab.md quotes the measured figures; test_lab_run checks them.

#include <vector>

#include <Eigen/Core>

namespace shellscope::transport {

struct SpacingAgreement {
  int spacing = 1;                  ///< s: every s-th checkpoint kept
  int spans = 0;                    ///< coarse intervals compared
  double medianRelativeError = 0;   ///< over the spans
  double maxRelativeError = 0;
  double medianDissipationError = 0;  ///< max_b |J_diff − J̄_exact| / Σ_b D̄_b, median over spans
  /// Median over spans of Δτ_span · max(λ_max at its ends): the dimensionless spacing (NaN when
  /// λ_max is not given).
  double medianDtauLambdaMax = 0;
  /// Fraction of (span, edge) cells with |J̄_exact| above 10% of the span's largest whose sign
  /// the by-difference estimate gets right.
  double signAgreement = 0;
};

/// `tau` [K], `energy` and `dissipation` [K, bins] at the fine checkpoints, `exactFlux` [K − 1,
/// bins] the exact J_{<=b} of every fine interval, `lambdaMax` [K] or empty. Throws std::invalid_argument for mismatched
/// shapes or spacing < 1; spans = (K − 1) / s (a shorter last span is left out, and so is a span
/// whose exact flux is zero on every edge).
SpacingAgreement compareWithExactFlux(const std::vector<double>& tau, const Eigen::MatrixXd& energy,
                                      const Eigen::MatrixXd& dissipation, const Eigen::MatrixXd& exactFlux, int spacing,
                                      const std::vector<double>& lambdaMax = {});

}  // namespace shellscope::transport
