#pragma once
// Power laws across the checkpoints of one model (trends.h, paper §5: the scale-free window
// t0 < t < T where λ*, κ and the loss follow power laws of τ): least-squares lines of
// y = log10 value on x = log10 time with batch-consistent bootstrap intervals, the log-log
// curvature test, and the detection of the scale-free window from it.
//
// Identities: slope = Σ_i g_i y_i with g_i = (x_i − x̄)/Σ(x − x̄)², the quadratic term of a parabola
// c = Σ_i h_i y_i with h the last row of (AᵀA)⁻¹Aᵀ, and both are linear in y, so replicate r's
// slope (or c) is the same combination of replicate r's values.
//
// Replicate r of every checkpoint is the quantity on bootstrap resample r of that run's batches
// (RunAnalysis::replicates), so a line fitted to replicate r at every checkpoint is one draw of
// the whole series: its spread over r is the sampling spread of the slope, correlations between
// checkpoints that share batches included. Verified in tests/core/analysis/test_trend_window.cpp;
// bias and coverage on synthetic series by validation.h (`shellscope-cli bench-analysis --trends`).

#include <limits>
#include <vector>

namespace shellscope::analysis::trendfits {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

/// One quantity along a model's checkpoints in step order. y[i] NaN: no value at checkpoint i;
/// replicates[i][r] NaN: none on resample r. Every checkpoint has the same number of replicates.
struct Series {
  std::vector<double> x, y;
  std::vector<std::vector<double>> replicates;
  int size() const { return static_cast<int>(x.size()); }
  int replicateCount() const { return replicates.empty() ? 0 : static_cast<int>(replicates.front().size()); }
};

struct LineFit {
  double slope = kNan, intercept = kNan;
  double standardError = kNan, low = kNan, high = kNan;  ///< bootstrap (NaN without replicates)
  int points = 0;                                          ///< checkpoints with a value in the range
};

/// Ordinary least squares of y on x over checkpoints [first, last] that have a value; the
/// interval from the replicates that have a value at every one of those checkpoints.
LineFit fitLine(const Series& series, int first, int last, int batches, double confidence);

/// The log-log curvature of a series over a range of checkpoints.
struct Curvature {
  enum class Test { Tested, NoValues, Untestable } test = Test::NoValues;
  /// The quadratic coefficient of y on x divided by its bootstrap standard error
  /// sd · sqrt(B/(B-1)) (the yardstick of every interval here); NaN unless Tested.
  double score = kNan;
};
/// NoValues: fewer than 3 checkpoints with a value; Untestable: fewer than 90% of the replicates
/// have a value at all of them (the noise is then not known).
Curvature curvature(const Series& series, int first, int last, int batches);

struct DetectedWindow {
  bool found = false;
  int first = 0, last = -1;  ///< checkpoint indices, both included
  double worstScore = kNan;  ///< the largest |curvature score| over the series tested on it
};

/// The longest run of at least `minPoints` consecutive checkpoints on which every series has
/// |curvature score| <= z. The first series (the loss) must be tested on it; any series that has
/// values there but cannot be tested vetoes it; a series without values there is not asked.
/// Ties: the longer span in x, then the smaller worst score.
DetectedWindow detectWindow(const std::vector<const Series*>& series, int minPoints, double z, int batches);

}  // namespace shellscope::analysis::trendfits
