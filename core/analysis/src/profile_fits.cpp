#include "shellscope/analysis/profile_fits.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

namespace shellscope::analysis {

namespace {

constexpr double kLn10 = 2.302585092994046;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kMinRelativeError = 0.01;

double logistic(double z) { return 1.0 / (1.0 + std::exp(-z)); }

/// The piecewise model at x. The blend is kept at least half a shell wide (δ_min): a sharper one
/// falls between two shells, where the data cannot place it (its position and width would have no
/// curvature in χ²).
double piecewise(double a, double s, double b, double kappa, double xb, double width, double x) {
  const double w = logistic((x - xb) / width);
  return (1 - w) * (a + s * x) + w * (b - kappa * std::pow(10.0, x) / kLn10);
}

/// Half the median spacing of the points, in decades.
double halfShell(const Eigen::VectorXd& x) {
  std::vector<double> gaps;
  for (Eigen::Index i = 1; i < x.size(); ++i) gaps.push_back(x(i) - x(i - 1));
  if (gaps.empty()) return 0.125;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
  return 0.5 * gaps[gaps.size() / 2];
}

/// Slope and intercept of y on u by unweighted least squares (for start values).
std::pair<double, double> line(const std::vector<double>& u, const std::vector<double>& y) {
  const double n = static_cast<double>(u.size());
  double su = 0, sy = 0, suu = 0, suy = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    su += u[i];
    sy += y[i];
    suu += u[i] * u[i];
    suy += u[i] * y[i];
  }
  const double slope = (n * suy - su * sy) / (n * suu - su * su);
  return {slope, (sy - slope * su) / n};
}

}  // namespace

FitPoints fitPoints(const ProfileStatistics& statistics, const AnalysisOptions& options) {
  FitPoints p;
  std::vector<double> x, y, relative;
  const double floorEnergy = statistics.massFloor;
  for (Eigen::Index j = 0; j < statistics.mean.size(); ++j) {
    const double e = statistics.mean(j);
    const double lambda = statistics.window.centre(static_cast<int>(j));
    if (!(e > floorEnergy) || !std::isfinite(e)) continue;
    if (options.lambdaMin > 0 && lambda < options.lambdaMin) continue;
    if (options.lambdaMax > 0 && lambda > options.lambdaMax) continue;
    x.push_back(std::log10(lambda));
    y.push_back(std::log10(e));
    relative.push_back(statistics.standardError(j) / e);
  }
  // A shell's spread from a handful of batches is itself noisy, and a shell that came out low by
  // chance tends to get a small spread too: each relative error is shrunk halfway (in variance)
  // to the median over the fitted shells before it becomes a weight.
  std::vector<double> sorted = relative;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.empty() ? 0.0 : sorted[sorted.size() / 2];
  std::vector<double> sigma;
  for (double r : relative) {
    sigma.push_back(std::max(std::sqrt(0.5 * (r * r + median * median)), kMinRelativeError) / kLn10);
  }
  p.x = Eigen::Map<Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
  p.y = Eigen::Map<Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  p.sigma = Eigen::Map<Eigen::VectorXd>(sigma.data(), static_cast<Eigen::Index>(sigma.size()));
  p.lambdaMin = x.empty() ? kNan : std::pow(10.0, x.front());
  p.lambdaMax = x.empty() ? kNan : std::pow(10.0, x.back());
  return p;
}

double PiecewiseFit::evaluate(double x) const {
  return piecewise(intercept, slope, highIntercept, kappa, std::log10(blendLambda), blendWidth, x);
}
double PiecewiseFit::lowSide(double x) const { return intercept + slope * x; }
double PiecewiseFit::highSide(double x) const { return highIntercept - kappa * std::pow(10.0, x) / kLn10; }

double TheoryFit::evaluate(double x) const {
  return fit.parameters.size() == 3 ? logC + (p + 1) * x - kappa * std::pow(10.0, x) / kLn10 : kNan;
}

namespace {

/// Values of a fit that did not succeed are NaN, never numbers from a failed fit.
void clearPiecewise(PiecewiseFit& r) {
  r.slope = r.slopeError = r.intercept = r.interceptError = r.highIntercept = r.kappa = r.kappaError = kNan;
  r.blendLambda = r.blendLambdaError = r.blendWidth = kNan;
}

void clearTheory(TheoryFit& r) {
  r.p = r.pError = r.kappa = r.kappaError = r.logC = r.logCError = r.peakLambda = r.peakLambdaError = kNan;
}

}  // namespace

PiecewiseFit fitPiecewise(const FitPoints& points, const PiecewiseFit* start) {
  PiecewiseFit r;
  r.lambdaMin = points.lambdaMin;
  r.lambdaMax = points.lambdaMax;
  clearPiecewise(r);
  const Eigen::Index n = points.x.size();
  if (n < 7) {
    r.fit.status = FitStatus::failure(
        FitCode::TooFewPoints, "cannot fit: " + std::to_string(n) + " shells above the floor, the piecewise model needs 7");
    return r;
  }
  Eigen::Index peak = 0;
  points.y.maxCoeff(&peak);
  if (peak < 2 || peak > n - 3) {
    r.fit.status = FitStatus::failure(FitCode::NoPeak,
                                      "cannot fit: no peak with two shells on each side (monotone or edge-peaked profile)");
    return r;
  }
  // Start values: a line through the low side, a line in λ through the high side.
  std::vector<double> lowX, lowY, highL, highY;
  for (Eigen::Index i = 0; i <= peak; ++i) {
    lowX.push_back(points.x(i));
    lowY.push_back(points.y(i));
  }
  for (Eigen::Index i = peak; i < n; ++i) {
    highL.push_back(std::pow(10.0, points.x(i)));
    highY.push_back(points.y(i));
  }
  // Plain variables, not structured bindings: the lambdas below capture them (C++17 does not allow that).
  const auto lowLine = line(lowX, lowY), highLine = line(highL, highY);
  const double s = std::get<0>(lowLine), a = std::get<1>(lowLine);
  const double negKappaOverLn10 = std::get<0>(highLine), b = std::get<1>(highLine);
  const double kappa = std::max(-negKappaOverLn10 * kLn10, 1e-6 / std::pow(10.0, points.x(peak)));
  const double minWidth = halfShell(points.x);

  // θ = (a, s, b, κ, x_b[, log(δ - δ_min)]): with five parameters the blend is δ_min wide.
  auto modelWith = [&](bool freeWidth) {
    return [&, freeWidth](const Eigen::VectorXd& t) {
      Eigen::VectorXd f(n);
      const double width = freeWidth ? minWidth + std::exp(t(5)) : minWidth;
      for (Eigen::Index i = 0; i < n; ++i) f(i) = piecewise(t(0), t(1), t(2), t(3), t(4), width, points.x(i));
      return f;
    };
  };
  auto fitFrom = [&](bool freeWidth) {
    const auto model = modelWith(freeWidth);
    FitResult best;
    for (double blendShift : {0.0, -0.25, 0.25}) {
      for (double width : {0.1, 0.3}) {
        Eigen::VectorXd start(freeWidth ? 6 : 5);
        start.head(5) << a, s, b, kappa, points.x(peak) + blendShift;
        if (freeWidth) start(5) = std::log(width);
        FitResult candidate = levenbergMarquardt(model, points.y, points.sigma, start);
        if (candidate.ok() && (!best.ok() || candidate.chiSquare < best.chiSquare)) best = candidate;
        if (!best.ok() && best.status == FitCode::NotFitted) best = candidate;
        if (!freeWidth) break;  // the width start does not matter then
      }
    }
    return best;
  };
  const bool warm = start && start->fit.ok() && start->fit.parameters.size() >= 5;
  auto fitFromStart = [&] {
    const Eigen::VectorXd& t = start->fit.parameters;
    const bool freeWidth = !start->blendWidthFixed && t.size() == 6;
    const auto model = modelWith(freeWidth);
    // From a nearby solution the fit converges in a few iterations, or not usefully at all.
    LevenbergMarquardtOptions quick;
    quick.maxIterations = 40;
    return levenbergMarquardt(model, points.y, points.sigma, freeWidth ? t : Eigen::VectorXd(t.head(5)), quick);
  };
  FitResult best = warm ? fitFromStart() : fitFrom(true);
  bool fixedWidth = warm && (start->blendWidthFixed || start->fit.parameters.size() != 6);
  // A blend narrower than half a shell cannot be placed by the data: fix it at δ_min then.
  if (!warm && (!best.ok() || std::exp(best.parameters(5)) < 0.01 * minWidth)) {
    FitResult five = fitFrom(false);
    if (five.ok()) {
      best = five;
      fixedWidth = true;
    }
  }
  r.fit = best;
  if (!best.ok()) {
    r.fit.status = FitStatus::failure(best.status.code(), "cannot fit: " + best.status.message());
    return r;
  }
  const Eigen::VectorXd& t = best.parameters;
  r.intercept = t(0);
  r.interceptError = best.error(0);
  r.slope = t(1);
  r.slopeError = best.error(1);
  r.highIntercept = t(2);
  r.kappa = t(3);
  r.kappaError = best.error(3);
  r.blendLambda = std::pow(10.0, t(4));
  r.blendLambdaError = r.blendLambda * kLn10 * best.error(4);
  r.blendWidth = fixedWidth ? minWidth : minWidth + std::exp(t(5));
  r.blendWidthFixed = fixedWidth;
  if (!(r.kappa > 0)) {
    r.fit.status = FitStatus::failure(FitCode::NoSuppression, "cannot fit: no suppression beyond the frontier (fitted κ <= 0)");
  } else if (t(4) < points.x(0) || t(4) > points.x(n - 1)) {
    r.fit.status = FitStatus::failure(FitCode::OutsideRange, "cannot fit: the blend point left the fitted range");
  }
  if (!r.fit.ok()) clearPiecewise(r);
  return r;
}

TheoryFit fitTheory(const FitPoints& points) {
  TheoryFit r;
  r.lambdaMin = points.lambdaMin;
  r.lambdaMax = points.lambdaMax;
  clearTheory(r);
  const Eigen::Index n = points.x.size();
  if (n < 4) {
    r.fit.status = FitStatus::failure(
        FitCode::TooFewPoints, "cannot fit: " + std::to_string(n) + " shells above the floor, the theory fit needs 4");
    return r;
  }
  Eigen::MatrixXd design(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    design(i, 0) = 1.0;
    design(i, 1) = points.x(i);
    design(i, 2) = -std::pow(10.0, points.x(i)) / kLn10;
  }
  r.fit = weightedLinearFit(design, points.y, points.sigma);
  if (!r.fit.ok()) {
    r.fit.status = FitStatus::failure(r.fit.status.code(), "cannot fit: " + r.fit.status.message());
    clearTheory(r);
    return r;
  }
  const Eigen::VectorXd& t = r.fit.parameters;
  r.logC = t(0);
  r.logCError = r.fit.error(0);
  r.p = t(1) - 1.0;
  r.pError = r.fit.error(1);
  r.kappa = t(2);
  r.kappaError = r.fit.error(2);
  if (r.kappa > 0 && t(1) > 0) {
    r.peakLambda = t(1) / t(2);
    // Propagated through (p+1)/κ with the covariance of (p+1, κ).
    const double dA = 1.0 / t(2), dK = -t(1) / (t(2) * t(2));
    const Eigen::Matrix2d c = r.fit.covariance.block<2, 2>(1, 1);
    r.peakLambdaError = std::sqrt(std::max(0.0, dA * dA * c(0, 0) + 2 * dA * dK * c(0, 1) + dK * dK * c(1, 1)));
    if (r.peakLambda < points.lambdaMin || r.peakLambda > points.lambdaMax) {
      r.fit.status = FitStatus::failure(
          FitCode::OutsideRange, "cannot fit: the fitted peak (p+1)/κ lies outside the fitted range (a monotone profile)");
    }
  } else {
    r.fit.status = FitStatus::failure(FitCode::NoPeak, "cannot fit: the fitted curve has no peak (κ <= 0 or p + 1 <= 0)");
  }
  if (!r.fit.ok()) clearTheory(r);
  return r;
}

std::string betterModel(const PiecewiseFit& piecewise, const TheoryFit& theory, double* aicDifference) {
  if (aicDifference) *aicDifference = kNan;
  if (!piecewise.fit.ok() || !theory.fit.ok()) return "undecided";
  const double difference = theory.fit.aic() - piecewise.fit.aic();  // > 0: piecewise is better
  if (aicDifference) *aicDifference = difference;
  if (std::abs(difference) < 2.0) return "undecided";
  return difference > 0 ? "piecewise" : "theory";
}

}  // namespace shellscope::analysis
