// Weighted least squares (see least_squares.h). The regularised incomplete gamma function follows
// the classic series / continued-fraction split at x = a + 1.
#include "shellscope/analysis/least_squares.h"

#include <Eigen/Dense>
#include <cmath>
#include <limits>

namespace shellscope::analysis {

double FitResult::error(int i) const {
  return covariance.size() ? std::sqrt(std::max(0.0, covariance(i, i))) : std::numeric_limits<double>::quiet_NaN();
}

namespace {

/// Q(a, x) = Γ(a, x) / Γ(a).
double gammaQ(double a, double x) {
  if (x <= 0) return 1.0;
  const double logPrefix = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1.0) {  // series for P
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 1000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::abs(term) < std::abs(sum) * 1e-15) break;
    }
    return std::max(0.0, 1.0 - sum * std::exp(logPrefix));
  }
  // Continued fraction for Q (modified Lentz).
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < 1e-15) break;
  }
  return std::exp(logPrefix) * h;
}

/// Fills covariance and goodness of fit from the weighted Jacobian at the solution.
void finish(FitResult& r, const Eigen::MatrixXd& weightedJacobian, const Eigen::VectorXd& weightedResidual) {
  const Eigen::Index n = weightedResidual.size(), k = r.parameters.size();
  r.chiSquare = weightedResidual.squaredNorm();
  r.degreesOfFreedom = static_cast<int>(n - k);
  const Eigen::MatrixXd normal = weightedJacobian.transpose() * weightedJacobian;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(normal);
  if (!lu.isInvertible()) {
    r.ok = false;
    r.status = "parameters are not determined by the data (singular normal matrix)";
    return;
  }
  const double scale = r.degreesOfFreedom > 0 ? r.chiSquare / r.degreesOfFreedom : 1.0;
  r.covariance = lu.inverse() * scale;
  r.pValue = r.degreesOfFreedom > 0 ? chiSquareSurvival(r.chiSquare, r.degreesOfFreedom) : 1.0;
  r.ok = r.parameters.allFinite() && r.covariance.allFinite();
  r.status = r.ok ? "ok" : "non-finite parameters";
}

}  // namespace

double chiSquareSurvival(double chiSquare, int degreesOfFreedom) {
  if (degreesOfFreedom <= 0) return 1.0;
  return gammaQ(0.5 * degreesOfFreedom, 0.5 * chiSquare);
}

FitResult weightedLinearFit(const Eigen::MatrixXd& design, const Eigen::VectorXd& y, const Eigen::VectorXd& sigma) {
  FitResult r;
  if (design.rows() < design.cols()) {
    r.status = "too few points (" + std::to_string(design.rows()) + ") for " + std::to_string(design.cols()) + " parameters";
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
    r.status = "too few points (" + std::to_string(n) + ") for " + std::to_string(k) + " parameters";
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
    r.status = "the model is not finite at the start values";
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
  if (r.ok && !converged) {
    r.ok = false;
    r.status = "did not converge in " + std::to_string(options.maxIterations) + " iterations";
  }
  return r;
}

}  // namespace shellscope::analysis
