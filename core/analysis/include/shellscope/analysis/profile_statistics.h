#pragma once
// Per-run profile statistics (paper Fig. 1 and 1a): the mean profile with its spread over batches
// (standard error and a bootstrap interval), two kinds of per-shell minimum, the numerical floor,
// and a smoothed profile in log-log space.

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>

#include "shellscope/spectral/run.h"

namespace shellscope::analysis {

/// A range of training steps, both ends included.
struct StepRange {
  std::int64_t first = 0, last = 0;
};

struct AnalysisOptions {
  double smoothingWidth = 0.25;    ///< Gaussian kernel σ in decades of λ (0: no smoothing)
  int bootstrapSamples = 200;      ///< resamples of the batches
  std::uint64_t seed = 1;
  double confidence = 0.95;        ///< of the bootstrap intervals
  double collapseFactor = 1e-3;    ///< the cut-off: where energy falls to this fraction of the peak
  double lambdaMin = 0, lambdaMax = 0;  ///< fitted range (<= 0: the whole profile above the floor)
  /// Per model, the checkpoints its trends are fitted over (a model not listed: detected).
  std::map<std::string, StepRange> trendWindows;
};

struct ProfileStatistics {
  ShellWindow window;
  Eigen::VectorXd mean;            ///< [S] mean shell energy over batches
  Eigen::VectorXd standardError;   ///< [S] standard deviation over batches / sqrt(B)
  Eigen::VectorXd bootstrapLow, bootstrapHigh;  ///< [S] percentile interval of the mean
  /// [S] the smallest energy the shell has in any batch ("minimum over batches").
  Eigen::VectorXd batchMinimum;
  /// [S] the smallest single quadrature mass mean(e²)·w_i falling in the shell, over all batches
  /// (NaN when no Ritz value falls in it): the "minimum energy within each shell" of Fig. 1a read
  /// as the smallest mode energy.
  Eigen::VectorXd smallestMass;
  /// Masses below this are indistinguishable from rounding: mean(e²) times the unit roundoff of the
  /// compute dtype (2^-24 for float32, 2^-53 for float64).
  double massFloor = 0;
  double lambdaFloor = 0;          ///< the run's automatic window floor (eigenvalues below it are underflow)
};

ProfileStatistics profileStatistics(const Run& run, const AnalysisOptions& options);

/// Mean over batches of the rows `batches` (indices, repeats allowed) of shell_energy_batches.
Eigen::VectorXd resampledMean(const Run& run, const std::vector<Eigen::Index>& batches);

/// The spread of an estimate's bootstrap replicates (NaN ones dropped): standard error
/// sd · sqrt(B/(B-1)) and the interval estimate ± t_(B-1) · SE, all NaN when fewer than 90% of
/// the replicates are finite or B < 2.
struct BootstrapInterval {
  double standardError, low, high;
};
BootstrapInterval bootstrapInterval(double estimate, const std::vector<double>& replicates, int batches,
                                    double confidence);

/// Deterministic resampling of B batches with replacement, `count` times.
std::vector<std::vector<Eigen::Index>> bootstrapResamples(Eigen::Index batches, int count, std::uint64_t seed);

}  // namespace shellscope::analysis
