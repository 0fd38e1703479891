#pragma once
// Fits of a shell profile, in y = log10 E against x = log10 λ, weighted by the batch standard
// errors (σ_y = SE / (E ln 10), at least 1% relative).
//
// Piecewise (paper Fig. 1b):  y = (1 - w) (a + s x) + w (b - κ λ / ln 10),
//                             w = 1 / (1 + exp(-(x - x_b) / δ)), δ >= half a shell,
// a power law E = 10^a λ^s below the frontier, exponential suppression E ∝ exp(-κ λ) above it, and
// a logistic blend at λ_b = 10^x_b of width δ decades, all six fitted.
// Theory (paper Eq. 16):      E = C λ^(p+1) exp(-κ λ), linear in (log10 C, p+1, κ); its peak is
//                             at λ = (p+1)/κ.

#include <string>

#include "shellscope/analysis/least_squares.h"
#include "shellscope/analysis/profile_statistics.h"

namespace shellscope::analysis {

/// The shells a fit uses: positive energy, above the numerical floor, inside [lambdaMin, lambdaMax].
struct FitPoints {
  Eigen::VectorXd x, y, sigma;  ///< log10 λ (shell centre), log10 E, σ of y
  double lambdaMin = 0, lambdaMax = 0;  ///< the range actually used (recorded with the fit)
};
FitPoints fitPoints(const ProfileStatistics& statistics, const AnalysisOptions& options);

struct PiecewiseFit {
  FitResult fit;               ///< parameters a, s, b, κ, x_b[, log(δ - δ_min)]
  double slope = 0, slopeError = 0;      ///< s: the power-law exponent of the low-λ side
  double intercept = 0, interceptError = 0;  ///< a: log10 of the power law at λ = 1
  double highIntercept = 0;    ///< b: log10 of the suppressed side's prefactor
  double kappa = 0, kappaError = 0;
  double blendLambda = 0, blendLambdaError = 0;  ///< λ_b
  double blendWidth = 0;       ///< δ in decades
  bool blendWidthFixed = false;  ///< the fit wanted a blend sharper than half a shell; fixed there
  double lambdaMin = 0, lambdaMax = 0;
  /// log10 E of the fitted curve at x (for plotting its components too).
  double evaluate(double x) const;
  double lowSide(double x) const;
  double highSide(double x) const;
};

struct TheoryFit {
  FitResult fit;               ///< parameters log10 C, p + 1, κ
  double p = 0, pError = 0;
  double kappa = 0, kappaError = 0;
  double logC = 0, logCError = 0;
  double peakLambda = 0, peakLambdaError = 0;  ///< (p+1)/κ
  double lambdaMin = 0, lambdaMax = 0;
  double evaluate(double x) const;
};

/// `start`, when it is a successful fit of similar data (a bootstrap resample's full-data fit),
/// is the only start point tried, with its blend width free or fixed as it was.
PiecewiseFit fitPiecewise(const FitPoints& points, const PiecewiseFit* start = nullptr);
TheoryFit fitTheory(const FitPoints& points);

/// "piecewise", "theory" or "undecided" (AIC difference below 2, or a fit missing).
std::string betterModel(const PiecewiseFit& piecewise, const TheoryFit& theory, double* aicDifference = nullptr);

}  // namespace shellscope::analysis
