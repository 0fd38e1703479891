// Inter-shell flux from Kato's couplings (paper §3.1, §3.3, §3.5):
//     Ω_{v→u} = φ_uᵀ Ṁ φ_v / (λ_v − λ_u),   F_{β→α} = −Σ_{u∈S_α, v∈S_β} g_u g_v Ω_{v→u} = −F_{α→β}.
// Both orders of every pair are computed from W = Φᵀ Ṁ Φ as it comes out of the products (not
// symmetrised), so the antisymmetry and the within-bin cancellation are measured, not imposed.
#include "shellscope/lab/kato_flux.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace shellscope::lab {

Eigen::VectorXd ShellFlux::net() const {
  return matrix.rowwise().sum() - matrix.diagonal();
}

Eigen::MatrixXd projectedDerivative(const Eigenbasis& basis, const Eigen::MatrixXd& mDot) {
  const Eigen::Index n = basis.size();
  if (basis.vectors.rows() != n || basis.vectors.cols() != n || mDot.rows() != n || mDot.cols() != n) {
    throw std::invalid_argument("projectedDerivative: the eigenbasis and Ṁ must both be " + std::to_string(n) + " x " +
                                std::to_string(n));
  }
  return basis.vectors.transpose() * (mDot * basis.vectors);
}

ShellFlux shellFlux(const Eigenbasis& basis, const Eigen::VectorXd& g, const std::vector<int>& bins, int binCount,
                    const Eigen::MatrixXd& mDot, const CouplingOptions& options) {
  return shellFlux(basis.values, projectedDerivative(basis, mDot), g, bins, binCount, options);
}

ShellFlux shellFlux(const Eigen::VectorXd& lambda, const Eigen::MatrixXd& w, const Eigen::VectorXd& g,
                    const std::vector<int>& bins, int binCount, const CouplingOptions& options) {
  const Eigen::Index n = lambda.size();
  if (w.rows() != n || w.cols() != n || g.size() != n || static_cast<Eigen::Index>(bins.size()) != n) {
    throw std::invalid_argument("shellFlux: λ, W, g and the bins must all have size " + std::to_string(n));
  }
  if (binCount < 1) throw std::invalid_argument("shellFlux: needs at least one bin");
  for (int b : bins) {
    if (b < 0 || b >= binCount) throw std::invalid_argument("shellFlux: bin " + std::to_string(b) + " out of range");
  }
  if (!(options.relativeGap >= 0.0)) throw std::invalid_argument("shellFlux: the relative gap must be >= 0");

  const double scale = n > 0 ? lambda.cwiseAbs().maxCoeff() : 0.0;
  const double minimumGap = std::max(options.relativeGap * scale, std::numeric_limits<double>::min());

  ShellFlux result;
  result.matrix = Eigen::MatrixXd::Zero(binCount, binCount);
  for (Eigen::Index v = 0; v < n; ++v) {
    const int beta = bins[static_cast<size_t>(v)];
    for (Eigen::Index u = 0; u < v; ++u) {
      const int alpha = bins[static_cast<size_t>(u)];
      const double gap = lambda(v) - lambda(u);  // Ω_{v→u} denominator
      if (std::abs(gap) <= minimumGap) {
        if (alpha == beta) ++result.skippedWithinBin;
        else ++result.skippedAcrossBins;
        continue;
      }
      const double omegaVtoU = w(u, v) / gap;
      const double omegaUtoV = w(v, u) / -gap;
      result.matrix(alpha, beta) -= g(u) * g(v) * omegaVtoU;  // F_{β→α} gets −g_u g_v Ω_{v→u}
      result.matrix(beta, alpha) -= g(v) * g(u) * omegaUtoV;  // F_{α→β} gets −g_v g_u Ω_{u→v}
      if (alpha != beta) {
        result.largestCoupling = std::max({result.largestCoupling, std::abs(omegaVtoU), std::abs(omegaUtoV)});
      }
    }
  }
  return result;
}

}  // namespace shellscope::lab
