#pragma once
// Per-run profile statistics (paper Fig. 1 and 1a): the mean profile with its spread over batches
// (standard error and a bootstrap interval), two kinds of per-shell minimum, the numerical floor,
// and a smoothed profile in log-log space.

#include <Eigen/Core>
#include <cstdint>

#include "shellscope/spectral/run.h"

namespace shellscope::analysis {

struct AnalysisOptions {
  double smoothingWidth = 0.25;    ///< Gaussian kernel σ in decades of λ (0: no smoothing)
  int bootstrapSamples = 200;      ///< resamples of the batches
  std::uint64_t seed = 1;
  double confidence = 0.95;        ///< of the bootstrap intervals
  double collapseFactor = 1e-3;    ///< the cut-off: where energy falls to this fraction of the peak
  double lambdaMin = 0, lambdaMax = 0;  ///< fitted range (<= 0: the whole profile above the floor)
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

/// Deterministic resampling of B batches with replacement, `count` times.
std::vector<std::vector<Eigen::Index>> bootstrapResamples(Eigen::Index batches, int count, std::uint64_t seed);

}  // namespace shellscope::analysis
