// Weighted least squares (see least_squares.h); χ² tail probabilities from Eigen's incomplete gamma.
#include "shellscope/analysis/least_squares.h"

#include <Eigen/Dense>
#include <unsupported/Eigen/SpecialFunctions>
#include <cmath>
#include <limits>

namespace shellscope::analysis {

double FitResult::error(int i) const {
  return covariance.size() ? std::sqrt(std::max(0.0, covariance(i, i))) : std::numeric_limits<double>::quiet_NaN();
}

namespace {

/// Fills covariance and goodness of fit from the weighted Jacobian at the solution.
void finish(FitResult& r, const Eigen::MatrixXd& weightedJacobian, const Eigen::VectorXd& weightedResidual) {
  const Eigen::Index n = weightedResidual.size(), k = r.parameters.size();
  r.chiSquare = weightedResidual.squaredNorm();
  r.degreesOfFreedom = static_cast<int>(n - k);
  const Eigen::MatrixXd normal = weightedJacobian.transpose() * weightedJacobian;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(normal);
  if (!lu.isInvertible()) {
    r.status = FitStatus::failure(FitCode::Undetermined, "parameters are not determined by the data (singular normal matrix)");
    return;
  }
  const double scale = r.degreesOfFreedom > 0 ? r.chiSquare / r.degreesOfFreedom : 1.0;
  r.covariance = lu.inverse() * scale;
  r.pValue = r.degreesOfFreedom > 0 ? chiSquareSurvival(r.chiSquare, r.degreesOfFreedom) : 1.0;
  r.status = r.parameters.allFinite() && r.covariance.allFinite()
                 ? FitStatus::success()
                 : FitStatus::failure(FitCode::NotFinite, "non-finite parameters");
}

}  // namespace

double chiSquareSurvival(double chiSquare, int degreesOfFreedom) {
  if (degreesOfFreedom <= 0) return 1.0;
  // Q(a, x) = Γ(a, x) / Γ(a), Eigen's regularised upper incomplete gamma.
  return Eigen::numext::igammac(0.5 * degreesOfFreedom, std::max(0.0, 0.5 * chiSquare));
}

double studentTQuantile(double p, int degreesOfFreedom) {
  if (!(p > 0 && p < 1)) return std::numeric_limits<double>::quiet_NaN();
  if (p < 0.5) return -studentTQuantile(1 - p, degreesOfFreedom);
  const double nu = degreesOfFreedom;
  // P(T <= t) = 1 - I_{ν/(ν+t²)}(ν/2, 1/2) / 2 for t >= 0 (the normal CDF without a dof), increasing
  // in t: bisection.
  auto cdf = [&](double t) {
    if (degreesOfFreedom <= 0) return 0.5 * std::erfc(-t / std::sqrt(2.0));
    return 1.0 - 0.5 * Eigen::numext::betainc(0.5 * nu, 0.5, nu / (nu + t * t));
  };
  double lo = 0, hi = 1;
  while (cdf(hi) < p && hi < 1e12) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

FitResult weightedLinearFit(const Eigen::MatrixXd& design, const Eigen::VectorXd& y, const Eigen::VectorXd& sigma) {
  FitResult r;
  if (design.rows() < design.cols()) {
    r.status = FitStatus::failure(FitCode::TooFewPoints, "too few points (" + std::to_string(design.rows()) + ") for " +
                                                             std::to_string(design.cols()) + " parameters");
    return r;
  }
  const Eigen::VectorXd w = sigma.cwiseInverse();
  const Eigen::MatrixXd a = w.asDiagonal() * design;
  const Eigen::VectorXd b = w.asDiagonal() * y;
  r.parameters = a.colPivHouseholderQr().solve(b);
  finish(r, a, b - a * r.parameters);
  return r;
}

FitResult levenbergMarquardt(const ModelFunction& model, const Eigen::VectorXd& y, const Eigen::VectorXd& sigma,
                             const Eigen::VectorXd& start, const LevenbergMarquardtOptions& options) {
  FitResult r;
  const Eigen::Index n = y.size(), k = start.size();
  if (n < k) {
    r.status = FitStatus::failure(FitCode::TooFewPoints,
                                  "too few points (" + std::to_string(n) + ") for " + std::to_string(k) + " parameters");
    return r;
  }
  const Eigen::VectorXd w = sigma.cwiseInverse();
  auto residual = [&](const Eigen::VectorXd& theta) { return Eigen::VectorXd(w.cwiseProduct(y - model(theta))); };
  auto jacobian = [&](const Eigen::VectorXd& theta, const Eigen::VectorXd& base) {
    Eigen::MatrixXd j(n, k);  // of the weighted model, w ⊙ f
    for (Eigen::Index p = 0; p < k; ++p) {
      Eigen::VectorXd shifted = theta;
      const double h = 1e-7 * std::max(1.0, std::abs(theta(p)));
      shifted(p) += h;
      j.col(p) = (base - residual(shifted)) / h;
    }
    return j;
  };
  Eigen::VectorXd theta = start;
  Eigen::VectorXd res = residual(theta);
  if (!res.allFinite()) {
    r.status = FitStatus::failure(FitCode::NotFinite, "the model is not finite at the start values");
    return r;
  }
  double chi = res.squaredNorm(), lambda = 1e-3;
  bool converged = false;
  for (r.iterations = 0; r.iterations < options.maxIterations && !converged; ++r.iterations) {
    const Eigen::MatrixXd j = jacobian(theta, res);
    const Eigen::MatrixXd normal = j.transpose() * j;
    const Eigen::VectorXd gradient = j.transpose() * res;
    bool stepped = false;
    while (lambda < 1e12) {
      Eigen::MatrixXd damped = normal;
      damped.diagonal() += lambda * normal.diagonal().cwiseMax(1e-12);
      const Eigen::VectorXd step = damped.ldlt().solve(gradient);
      const Eigen::VectorXd candidate = theta + step;
      const Eigen::VectorXd candidateResidual = residual(candidate);
      const double candidateChi = candidateResidual.squaredNorm();
      if (candidateResidual.allFinite() && candidateChi < chi) {
        converged = (chi - candidateChi) <= options.tolerance * chi || step.norm() <= 1e-12 * (1 + theta.norm());
        theta = candidate;
        res = candidateResidual;
        chi = candidateChi;
        lambda = std::max(lambda / 10, 1e-12);
        stepped = true;
        break;
      }
      lambda *= 10;
    }
    if (!stepped) converged = true;  // no downhill step left: a minimum (or a flat valley)
  }
  r.parameters = theta;
  finish(r, jacobian(theta, res), res);
  if (r.ok() && !converged) {
    r.status = FitStatus::failure(FitCode::NotConverged,
                                  "did not converge in " + std::to_string(options.maxIterations) + " iterations");
  }
  return r;
}

}  // namespace shellscope::analysis
