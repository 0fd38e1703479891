#pragma once
// The smoothed profile and the resolution frontier (paper §5, Fig. 1-2).
//
// Smoothing is Gaussian kernel regression of y = log10 E on x = log10 λ (shell centres with
// E > 0): ŷ(x) = Σ_k K(x - x_k) y_k / Σ_k K(x - x_k), K a Gaussian of width σ decades. It is a
// smooth function of x, evaluated anywhere; a symmetric kernel keeps a symmetric peak in place.
// The frontier λ* is the maximum of ŷ (on a grid 1/50 of a shell fine), with a bootstrap interval
// over batches; the cut-off is where ŷ first falls to log10(collapseFactor) below the peak beyond
// λ*; the width is the full width at half maximum in decades.

#include <Eigen/Core>
#include <string>
#include <vector>

#include "shellscope/analysis/outcomes.h"
#include "shellscope/analysis/profile_statistics.h"

namespace shellscope::analysis {

/// ŷ(x) for the points (x_k, y_k).
class LogLogSmoother {
 public:
  LogLogSmoother(std::vector<double> x, std::vector<double> y, double width);
  double operator()(double x) const;
  bool empty() const { return x_.empty(); }
  double xMin() const { return x_.front(); }
  double xMax() const { return x_.back(); }

  /// The smoother of a mean profile (shells with positive energy).
  static LogLogSmoother ofProfile(const ShellWindow& window, const Eigen::VectorXd& energy, double width);

 private:
  std::vector<double> x_, y_;
  double width_;
};

struct Frontier {
  FrontierStatus status = notComputed<FrontierCode>();  ///< Ok, or why there is no frontier
  double lambda = 0;                ///< λ* (smoothed peak)
  double ciLow = 0, ciHigh = 0;     ///< bootstrap interval of λ*
  double peakShellLambda = 0;       ///< centre of the raw peak shell
  double peakEnergy = 0;            ///< smoothed E at λ*
  double cutoffLambda = 0;          ///< NaN when the profile does not collapse within the window
  double widthDecades = 0;          ///< FWHM in decades, NaN when a side does not fall to half
  Eigen::VectorXd smoothedLogEnergy;  ///< [S] ŷ at the shell centres (NaN where no data)
};

Frontier findFrontier(const Run& run, const AnalysisOptions& options);

/// λ* of a profile alone (no bootstrap), NaN when it has fewer than one positive shell.
double smoothedPeak(const ShellWindow& window, const Eigen::VectorXd& energy, double width, double* peakLogEnergy = nullptr);

}  // namespace shellscope::analysis
