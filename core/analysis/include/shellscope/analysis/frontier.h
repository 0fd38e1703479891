#pragma once
// The resolution frontier λ*, the cut-off and the peak width of a shell profile (paper §5, Fig. 1-2).
//
// λ* is the maximum of the profile itself, located without the bias smoothing brings: a Gaussian
// kernel of σ decades moves the peak of C λ^(p+1) e^(−κλ) by −σ² ln10 / 2 decades (science.md §7).
// On the (up to) seven shells around the largest, y = ln E is fitted in u = ln λ − ln λ_j by
//     y(u) = a + b u − c φ_k(u),   φ_k(u) = 2 (e^(k u) − 1 − k u) / k²   (φ_0 = u²),
// linear in (a, b, c) for each k, with k found by a one-dimensional search (variable projection).
// k = 1 is the theory form exactly, k → 0 a parabola in log λ (a log-normal bump), larger k a
// sharper collapse, negative k its mirror image; the maximum of the fit is at e^(k u*) = 1 + k b / 2c.
// The cut-off (where E first falls to collapseFactor times the peak beyond λ*) and the two
// half-maximum points are where the local fit meets that level when it does so within the fitted
// shells (a sharp collapse), else where polynomial interpolation of log E in log λ through the
// shells around the crossing does. Every interval is a bootstrap over batches:
// estimate ± t_(B−1) · sd · sqrt(B/(B−1)), sd the standard deviation of the resampled estimates.
// Bias and coverage on synthetic profiles: docs/analysis.md (`shellscope-cli bench-analysis`).
//
// The smoothed profile (Gaussian kernel regression of log E on log λ) is not used for λ*: it is
// drawn, and the alignment of model sizes (trends.h) matches smoothed curves.

#include <Eigen/Core>
#include <string>
#include <vector>

#include "shellscope/analysis/outcomes.h"
#include "shellscope/analysis/profile_statistics.h"

namespace shellscope::analysis {

/// ŷ(x) = Σ_k K(x - x_k) y_k / Σ_k K(x - x_k) for the points (x_k, y_k), K a Gaussian of width σ
/// decades (σ = 0: linear interpolation). For display.
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

/// The peak of a profile (shells with energy above `floor` count).
struct PeakEstimate {
  bool found = false;          ///< false: no shell above the floor, or the largest is at an end (monotone)
  double lambda = 0;           ///< λ*
  double logEnergy = 0;        ///< log10 E of the fitted curve at λ*
  double shape = 0;            ///< k of the local fit (1: the theory form; 0: a parabola)
  int peakShell = -1;          ///< the shell with the largest energy
  // The local fit: ln E = a + b u - c φ_k(u), u = ln λ - ln(centre of peakShell), on [uMin, uMax].
  double a = 0, b = 0, c = 0, uMin = 0, uMax = 0;
  /// log10 λ where the fitted curve falls to log10 E = `level` going from λ* in `direction`,
  /// NaN when it does not within the fitted shells.
  double crossing(const ShellWindow& window, double level, int direction) const;
};
PeakEstimate locatePeak(const ShellWindow& window, const Eigen::VectorXd& energy, double floor = 0);

/// log10 λ where log10 E, interpolated between shell centres by the polynomial through the two
/// shells around the crossing and up to two more on each side, first reaches `level`
/// going from shell `from` in `direction` (+1 towards larger λ, -1 towards smaller); NaN when it
/// does not within the shells above `floor`.
double levelCrossing(const ShellWindow& window, const Eigen::VectorXd& energy, int from, int direction, double level,
                     double floor = 0);

struct Frontier {
  FrontierStatus status = notComputed<FrontierCode>();  ///< Ok, or why there is no frontier
  double lambda = 0;                ///< λ*
  double ciLow = 0, ciHigh = 0;     ///< bootstrap interval of λ*
  double peakShellLambda = 0;       ///< centre of the raw peak shell
  double peakEnergy = 0;            ///< E of the local fit at λ*
  double peakShape = 0;             ///< k of the local fit
  double cutoffLambda = 0;          ///< NaN when the profile does not collapse within the window
  double cutoffCiLow = 0, cutoffCiHigh = 0;
  double widthDecades = 0;          ///< FWHM in decades, NaN when a side does not fall to half
  double widthCiLow = 0, widthCiHigh = 0;
  Eigen::VectorXd smoothedLogEnergy;  ///< [S] ŷ at the shell centres (NaN where no data), for display
};

/// λ*, cut-off and width of `run` with bootstrap intervals; `floor` (the statistics' mass floor)
/// leaves out shells at the numerical floor. `lambdaReplicates`, when given, receives λ* of every
/// bootstrap resample (NaN where it has no peak), for the trends' batch-consistent bootstrap.
Frontier findFrontier(const Run& run, const AnalysisOptions& options, double floor = 0,
                      std::vector<double>* lambdaReplicates = nullptr);

}  // namespace shellscope::analysis
