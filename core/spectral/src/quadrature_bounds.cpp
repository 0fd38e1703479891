// Gauss-Radau bounds on the cumulative spectral measure (quadrature_bounds.h).
#include "shellscope/spectral/quadrature_bounds.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "shellscope/spectral/lanczos.h"

namespace shellscope {

DistributionBounds distributionBounds(const Eigen::VectorXd& diagonal, const Eigen::VectorXd& offDiagonal,
                                      double nextOffDiagonal, double a) {
  DistributionBounds bounds;
  const Eigen::Index k = diagonal.size();
  if (k == 0) return bounds;
  const double scale = std::max(diagonal.cwiseAbs().maxCoeff(), offDiagonal.size() ? offDiagonal.cwiseAbs().maxCoeff() : 0.0);
  const double tiny = std::numeric_limits<double>::epsilon() * std::max(scale, std::abs(a)) + 1e-300;
  // α̃ = a + β_m² [(T_m - a I)^-1]_mm, the last pivot of T_m - a I's LDL^T from the top being
  // 1 / [(T_m - a I)^-1]_mm (a zero pivot, a an eigenvalue of a leading block, is nudged off zero).
  double pivot = 0;
  for (Eigen::Index i = 0; i < k; ++i) {
    pivot = diagonal(i) - a - (i > 0 ? offDiagonal(i - 1) * offDiagonal(i - 1) / pivot : 0.0);
    if (std::abs(pivot) < tiny) pivot = std::copysign(tiny, pivot == 0 ? 1.0 : pivot);
  }
  Eigen::VectorXd extendedDiagonal(k + 1), extendedOff(k);
  extendedDiagonal.head(k) = diagonal;
  extendedDiagonal(k) = a + nextOffDiagonal * nextOffDiagonal / pivot;
  extendedOff.head(k - 1) = offDiagonal;
  extendedOff(k - 1) = nextOffDiagonal;
  Eigen::VectorXd nodes, weights;
  tridiagonalQuadrature(extendedDiagonal, extendedOff, nodes, weights);
  // The prescribed node is the one nearest a; nodes indistinguishable from a besides it count in
  // the upper bound only.
  Eigen::Index prescribed = 0;
  (nodes.array() - a).abs().minCoeff(&prescribed);
  const double resolution = 1e-12 * std::max(scale, std::abs(a));
  for (Eigen::Index i = 0; i < nodes.size(); ++i) {
    if (i == prescribed) continue;
    if (nodes(i) < a - resolution) {
      bounds.lower += weights(i);
      bounds.upper += weights(i);
    } else if (nodes(i) <= a + resolution) {
      bounds.upper += weights(i);
    }
  }
  bounds.upper += weights(prescribed);
  bounds.lower = std::clamp(bounds.lower, 0.0, 1.0);
  bounds.upper = std::clamp(bounds.upper, bounds.lower, 1.0);
  return bounds;
}

ShellEnergyBounds shellEnergyBounds(const ShellWindow& window, const Eigen::VectorXd& diagonal,
                                    const Eigen::VectorXd& offDiagonal, double nextOffDiagonal, double mass) {
  const int S = window.shellCount;
  ShellEnergyBounds b;
  b.lower = Eigen::VectorXd::Zero(S);
  b.upper = Eigen::VectorXd::Zero(S);
  if (diagonal.size() == 0) return b;
  std::vector<DistributionBounds> edges;
  for (int j = 0; j <= S; ++j) edges.push_back(distributionBounds(diagonal, offDiagonal, nextOffDiagonal, window.edge(j)));
  for (int j = 0; j < S; ++j) {
    const auto u = static_cast<std::size_t>(j);
    b.lower(j) = mass * std::max(0.0, edges[u + 1].lower - edges[u].upper);
    b.upper(j) = mass * std::max(0.0, edges[u + 1].upper - edges[u].lower);
  }
  b.underflowLower = mass * edges.front().lower;
  b.underflowUpper = mass * edges.front().upper;
  b.overflowLower = mass * (1.0 - edges.back().upper);
  b.overflowUpper = mass * (1.0 - edges.back().lower);
  return b;
}

}  // namespace shellscope
