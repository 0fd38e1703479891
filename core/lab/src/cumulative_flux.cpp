// Cumulative flux J_{<=b} = ½ Σ_{γ<=b} (dE_γ/dτ + 2 D_γ) = Σ_{γ<=b<β} F_{β→γ} (paper §3.5, §4.3)
// and the transport-to-dissipation ratio.
#include "shellscope/lab/cumulative_flux.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace shellscope::lab {

namespace {
void requirePositiveStep(double dtau) {
  if (!(dtau > 0.0) || !std::isfinite(dtau)) throw std::invalid_argument("the interval Δτ must be positive and finite");
}
}  // namespace

Eigen::VectorXd cumulativeFluxByDifference(const Eigen::VectorXd& energyChange, const Eigen::VectorXd& dissipationMean,
                                           double dtau) {
  requirePositiveStep(dtau);
  if (energyChange.size() != dissipationMean.size()) {
    throw std::invalid_argument("cumulativeFluxByDifference: ΔE and D̄ differ in length");
  }
  Eigen::VectorXd j(energyChange.size());
  double sum = 0;
  for (Eigen::Index b = 0; b < j.size(); ++b) {
    sum += 0.5 * (energyChange(b) / dtau + 2.0 * dissipationMean(b));
    j(b) = sum;
  }
  return j;
}

Eigen::VectorXd cumulativeFluxFromTerms(const Eigen::MatrixXd& flux, const Eigen::VectorXd& crossing, double dtau) {
  requirePositiveStep(dtau);
  const Eigen::Index count = flux.rows();
  if (flux.cols() != count || crossing.size() != count) {
    throw std::invalid_argument("cumulativeFluxFromTerms: F must be square and as long as the crossing term");
  }
  Eigen::VectorXd j(count);
  double crossed = 0;
  for (Eigen::Index b = 0; b < count; ++b) {
    crossed += crossing(b) / (2.0 * dtau);
    // Into bins 0..b from bins b+1..count-1.
    j(b) = flux.block(0, b + 1, b + 1, count - b - 1).sum() + crossed;
  }
  return j;
}

double transportToDissipation(const Eigen::MatrixXd& flux, const Eigen::VectorXd& dissipation) {
  if (flux.rows() != flux.cols() || flux.rows() != dissipation.size()) {
    throw std::invalid_argument("transportToDissipation: F and D sizes disagree");
  }
  double transport = 0;
  for (Eigen::Index beta = 0; beta < flux.cols(); ++beta) {
    for (Eigen::Index alpha = 0; alpha < beta; ++alpha) transport += std::abs(flux(alpha, beta));
  }
  const double dissipated = dissipation.cwiseAbs().sum();
  return dissipated > 0 ? transport / dissipated : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace shellscope::lab
