#pragma once
// Weighted least squares for the profile fits: linear (closed form) and nonlinear
// (Levenberg-Marquardt), with parameter covariances and goodness of fit.
//
// Minimises χ² = Σ_i ((y_i - f_i(θ)) / σ_i)^2. The covariance is s^2 (J^T W J)^-1 with
// s^2 = χ²/(n - k), i.e. the σ_i are taken as relative weights whose overall scale the residuals
// estimate (batch spreads from a handful of batches are themselves uncertain).

#include <Eigen/Core>
#include <functional>
#include <string>

#include "shellscope/analysis/outcomes.h"

namespace shellscope::analysis {

struct FitResult {
  FitStatus status = FitStatus::failure(FitCode::NotFitted, "not fitted");
  bool ok() const { return status.ok(); }
  Eigen::VectorXd parameters;
  Eigen::MatrixXd covariance;      ///< scaled by the reduced χ² (see above)
  double chiSquare = 0;
  int degreesOfFreedom = 0;
  double pValue = 0;               ///< P(χ²_dof >= chiSquare)
  int iterations = 0;

  double error(int i) const;       ///< sqrt(covariance(i, i))
  /// Akaike information criterion χ² + 2k (same points and weights make fits comparable).
  double aic() const { return chiSquare + 2.0 * static_cast<double>(parameters.size()); }
};

/// y ≈ A θ.
FitResult weightedLinearFit(const Eigen::MatrixXd& design, const Eigen::VectorXd& y, const Eigen::VectorXd& sigma);

/// Predictions f(θ) at every point.
using ModelFunction = std::function<Eigen::VectorXd(const Eigen::VectorXd& parameters)>;

struct LevenbergMarquardtOptions {
  int maxIterations = 300;
  double tolerance = 1e-12;  ///< relative change of χ² that counts as converged
};

/// Levenberg-Marquardt with a forward-difference Jacobian.
FitResult levenbergMarquardt(const ModelFunction& model, const Eigen::VectorXd& y, const Eigen::VectorXd& sigma,
                             const Eigen::VectorXd& start, const LevenbergMarquardtOptions& options = {});

/// Upper tail of the χ² distribution: Q(dof/2, χ²/2).
double chiSquareSurvival(double chiSquare, int degreesOfFreedom);

/// The p-quantile of Student's t with `degreesOfFreedom` (p in (0, 1); the normal one for dof <= 0).
double studentTQuantile(double p, int degreesOfFreedom);

}  // namespace shellscope::analysis
