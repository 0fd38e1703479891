// The shell balance over one interval (paper §3.4-3.5; see shell_balance.h for the derivation):
//     ΔE_α = smooth_α + crossing_α   (exact; crossing moves ½(g_u(k)² + g_π(u)(k+1)²) across)
//     R_α  = ΔE_α/Δτ − (−2 D̄_α + 2 Σ_{β≠α} F̄_{β→α} + crossing_α/Δτ) = O(Δτ²)
//     ΔE_α = [E_α^{(k)}(e_{k+1}) − E_α(k)] + [E_α(k+1) − E_α^{(k)}(e_{k+1})]   (exact)
#include "shellscope/lab/shell_balance.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "shellscope/lab/cumulative_flux.h"
#include "shellscope/lab/mode_tracking.h"
#include "shellscope/lab/shell_bins.h"

namespace shellscope::lab {

namespace {

bool sameWindow(const ShellWindow& a, const ShellWindow& b) {
  return a.shellsPerDecade == b.shellsPerDecade && a.firstEdgeIndex == b.firstEdgeIndex && a.shellCount == b.shellCount;
}

void requireCompatible(const CheckpointSnapshot& begin, const CheckpointSnapshot& end, double dtau) {
  if (!(dtau > 0.0) || !std::isfinite(dtau)) {
    throw std::invalid_argument("balanceInterval: Δτ must be positive and finite, got " + std::to_string(dtau));
  }
  if (begin.size() != end.size() || begin.size() == 0) {
    throw std::invalid_argument("balanceInterval: the checkpoints have " + std::to_string(begin.size()) + " and " +
                                std::to_string(end.size()) + " points");
  }
  if (!sameWindow(begin.window, end.window)) throw std::invalid_argument("balanceInterval: the checkpoints use different shell windows");
}

/// Decomposition (2): E_α of e_{k+1} in τ_k's basis and bins.
FrozenBasisSplit splitInFrozenBasis(const CheckpointSnapshot& begin, const CheckpointSnapshot& end) {
  const double rootN = std::sqrt(static_cast<double>(begin.size()));
  const Eigen::VectorXd projected = begin.basis.vectors.transpose() * end.error / rootN;
  const Eigen::VectorXd frozen = sumIntoBins(begin.bins, static_cast<int>(begin.energy.size()), projected.cwiseAbs2());
  return {frozen - begin.energy, end.energy - frozen};
}

/// Decomposition (1): modes followed from τ_k to τ_{k+1}, the crossing term, D̄ and each
/// checkpoint's modes labelled with the other checkpoint's bins.
struct TrackedTerms {
  Eigen::VectorXd crossing, dissipationMean;
  std::vector<int> endBinsOfBeginModes, beginBinsOfEndModes;
  int crossingModes = 0, weakCrossings = 0, weakMatches = 0;
  double smallestOverlap = 1;
};

TrackedTerms trackAcrossInterval(const CheckpointSnapshot& begin, const CheckpointSnapshot& end, Objective objective) {
  const ModeMatching match = matchModes(begin.basis.vectors, end.basis.vectors);
  const Eigen::VectorXd dBegin = begin.modeDissipation(objective), dEnd = end.modeDissipation(objective);
  TrackedTerms terms;
  terms.crossing = Eigen::VectorXd::Zero(begin.energy.size());
  terms.dissipationMean = Eigen::VectorXd::Zero(begin.energy.size());
  terms.endBinsOfBeginModes.resize(begin.bins.size());
  terms.beginBinsOfEndModes.resize(end.bins.size());
  terms.weakMatches = match.weakMatches;
  terms.smallestOverlap = match.smallestOverlap;
  for (Eigen::Index u = 0; u < begin.size(); ++u) {
    const size_t a = static_cast<size_t>(u);
    const int v = match.partner[a];
    const int from = begin.bins[a], to = end.bins[static_cast<size_t>(v)];
    terms.endBinsOfBeginModes[a] = to;
    terms.beginBinsOfEndModes[static_cast<size_t>(v)] = from;
    // The mode's trapezoid dissipation, half in each of its bins (the mean of the two fixed sets).
    const double dissipated = 0.5 * (dBegin(u) + dEnd(v));
    terms.dissipationMean(from) += 0.5 * dissipated;
    terms.dissipationMean(to) += 0.5 * dissipated;
    if (from != to) {
      const double carried = 0.5 * (begin.coefficients(u) * begin.coefficients(u) + end.coefficients(v) * end.coefficients(v));
      terms.crossing(from) -= carried;
      terms.crossing(to) += carried;
      ++terms.crossingModes;
      if (match.overlap[a] <= 0.5) ++terms.weakCrossings;
    }
  }
  return terms;
}

/// F̄: the mean of F in both bases, each with both labellings, all with the central Ṁ.
ShellFlux meanFlux(const CheckpointSnapshot& begin, const CheckpointSnapshot& end, const TrackedTerms& tracked,
                   const Eigen::MatrixXd& mDot, const CouplingOptions& options) {
  const int count = static_cast<int>(begin.energy.size());
  const Eigen::MatrixXd wBegin = projectedDerivative(begin.basis, mDot), wEnd = projectedDerivative(end.basis, mDot);
  const ShellFlux parts[] = {
      shellFlux(begin.basis.values, wBegin, begin.coefficients, begin.bins, count, options),
      shellFlux(begin.basis.values, wBegin, begin.coefficients, tracked.endBinsOfBeginModes, count, options),
      shellFlux(end.basis.values, wEnd, end.coefficients, end.bins, count, options),
      shellFlux(end.basis.values, wEnd, end.coefficients, tracked.beginBinsOfEndModes, count, options),
  };
  ShellFlux mean;
  mean.matrix = Eigen::MatrixXd::Zero(count, count);
  for (const ShellFlux& part : parts) {
    mean.matrix += 0.25 * part.matrix;
    mean.skippedWithinBin = std::max(mean.skippedWithinBin, part.skippedWithinBin);
    mean.skippedAcrossBins = std::max(mean.skippedAcrossBins, part.skippedAcrossBins);
    mean.largestCoupling = std::max(mean.largestCoupling, part.largestCoupling);
  }
  return mean;
}

}  // namespace

IntervalBalance balanceInterval(const CheckpointSnapshot& begin, const CheckpointSnapshot& end, double dtau,
                                const BalanceOptions& options) {
  requireCompatible(begin, end, dtau);
  const Eigen::MatrixXd mDot = (end.operatorMatrix - begin.operatorMatrix) / dtau;
  const TrackedTerms tracked = trackAcrossInterval(begin, end, options.objective);

  IntervalBalance r;
  r.dtau = dtau;
  r.energyChange = end.energy - begin.energy;
  r.dissipationMean = tracked.dissipationMean;
  r.checkpointDissipationMean = 0.5 * (begin.dissipationFor(options.objective) + end.dissipationFor(options.objective));
  r.flux = meanFlux(begin, end, tracked, mDot, options.coupling);
  r.netFlux = r.flux.net();
  r.crossing = tracked.crossing;
  r.residual = r.energyChange / dtau - (-2.0 * r.dissipationMean + 2.0 * r.netFlux + r.crossing / dtau);
  r.frozenBasis = splitInFrozenBasis(begin, end);

  r.crossingModes = tracked.crossingModes;
  r.weakCrossings = tracked.weakCrossings;
  r.weakMatches = tracked.weakMatches;
  r.smallestTrackingOverlap = tracked.smallestOverlap;
  r.largestRotation = r.flux.largestCoupling * dtau;

  const Eigen::MatrixXd mMid = 0.5 * (begin.operatorMatrix + end.operatorMatrix);
  const Eigen::VectorXd measured = (end.error - begin.error) / dtau;
  r.againstErrorFlow = compareFlow(measured, -(mMid * (0.5 * (begin.error + end.error))));
  r.againstOnesFlow = compareFlow(measured, -(mMid * Eigen::VectorXd::Ones(begin.size())));

  r.transportToDissipation = transportToDissipation(r.flux.matrix, r.dissipationMean);
  r.cumulativeFluxByDifference = cumulativeFluxByDifference(r.energyChange, r.checkpointDissipationMean, dtau);
  r.cumulativeFlux = cumulativeFluxFromTerms(r.flux.matrix, r.crossing, dtau);
  return r;
}

}  // namespace shellscope::lab
