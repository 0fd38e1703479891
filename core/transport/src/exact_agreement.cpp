// The by-difference flux on every s-th checkpoint of an exact series against the time-averaged
// exact flux (exact_agreement.h). Used by `shellscope-cli lab check-transport` and test_lab_run.
#include "shellscope/transport/exact_agreement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "shellscope/lab/cumulative_flux.h"

namespace shellscope::transport {

namespace {
double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}
}  // namespace

SpacingAgreement compareWithExactFlux(const std::vector<double>& tau, const Eigen::MatrixXd& energy,
                                      const Eigen::MatrixXd& dissipation, const Eigen::MatrixXd& exactFlux, int spacing,
                                      const std::vector<double>& lambdaMax) {
  const auto K = static_cast<Eigen::Index>(tau.size());
  if (spacing < 1) throw std::invalid_argument("compareWithExactFlux: spacing must be at least 1");
  if (K < 2 || energy.rows() != K || dissipation.rows() != K || exactFlux.rows() != K - 1 ||
      energy.cols() != dissipation.cols() || exactFlux.cols() != energy.cols()) {
    throw std::invalid_argument("compareWithExactFlux: τ [K], E and D [K, bins], exact J [K − 1, bins] expected");
  }
  const Eigen::Index bins = energy.cols(), edges = bins - 1;
  SpacingAgreement out;
  out.spacing = spacing;
  if (!lambdaMax.empty() && static_cast<Eigen::Index>(lambdaMax.size()) != K) {
    throw std::invalid_argument("compareWithExactFlux: λ_max needs one value per checkpoint");
  }
  std::vector<double> errors, dissipationErrors, stiffness;
  int signCells = 0, signRight = 0;
  for (Eigen::Index start = 0; start + spacing <= K - 1; start += spacing) {
    const Eigen::Index end = start + spacing;
    const double span = tau[static_cast<std::size_t>(end)] - tau[static_cast<std::size_t>(start)];
    Eigen::VectorXd exact = Eigen::VectorXd::Zero(bins);
    for (Eigen::Index i = start; i < end; ++i) {
      exact += (tau[static_cast<std::size_t>(i + 1)] - tau[static_cast<std::size_t>(i)]) * exactFlux.row(i).transpose();
    }
    exact /= span;
    const Eigen::VectorXd change = (energy.row(end) - energy.row(start)).transpose();
    const Eigen::VectorXd mean = 0.5 * (dissipation.row(start) + dissipation.row(end)).transpose();
    const Eigen::VectorXd estimate = lab::cumulativeFluxByDifference(change, mean, span);
    const double scale = exact.head(edges).cwiseAbs().maxCoeff();
    if (!(scale > 0)) continue;
    const double error = (estimate - exact).head(edges).cwiseAbs().maxCoeff();
    errors.push_back(error / scale);
    dissipationErrors.push_back(error / mean.cwiseAbs().sum());
    if (!lambdaMax.empty()) {
      stiffness.push_back(span * std::max(lambdaMax[static_cast<std::size_t>(start)], lambdaMax[static_cast<std::size_t>(end)]));
    }
    for (Eigen::Index b = 0; b < edges; ++b) {
      if (std::abs(exact(b)) < 0.1 * scale) continue;
      ++signCells;
      signRight += (estimate(b) > 0) == (exact(b) > 0);
    }
  }
  out.spans = static_cast<int>(errors.size());
  out.medianRelativeError = median(errors);
  out.maxRelativeError = errors.empty() ? 0.0 : *std::max_element(errors.begin(), errors.end());
  out.medianDissipationError = median(dissipationErrors);
  out.medianDtauLambdaMax = lambdaMax.empty() ? std::numeric_limits<double>::quiet_NaN() : median(stiffness);
  out.signAgreement = signCells ? static_cast<double>(signRight) / signCells : 1.0;
  return out;
}

}  // namespace shellscope::transport
