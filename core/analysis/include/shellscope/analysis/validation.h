#pragma once
// Validation of the frontier estimators against synthetic profiles whose truth is known: per
// shape, noise level and batch count, the bias of λ*, the cut-off and the width (in decades) over
// seeded trials and how often their 95% intervals hold the truth. `shellscope-cli bench-analysis`
// prints the table recorded in docs/analysis.md; tests/core/analysis runs a small version.
//
// A trial: per batch b and shell α, E_bα = E(λ_α) exp(ε_bα), ε ~ N(0, noise²) (log-normal noise),
// at the shell centres λ_α of 4 shells per decade, one Ritz value per shell so that the run is a
// consistent quadrature; the truth is the maximum of E(λ) itself and its crossings.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shellscope/analysis/frontier.h"

namespace shellscope::analysis {

struct SyntheticShape {
  std::string name;
  std::function<double(double)> logEnergy;  ///< log10 E as a function of log10 λ
  double peak = 0;                          ///< log10 λ of the maximum
  double cutoff = 0;                        ///< log10 λ where E falls to collapseFactor × the maximum
  double width = 0;                         ///< full width at half maximum, decades
};

/// The shapes of the study (the theory form with three parameter sets, log-normal bumps, power
/// laws with a sharp exponential collapse, peaks exactly on a shell edge and at a shell centre),
/// with their truths for `collapseFactor`.
std::vector<SyntheticShape> validationShapes(double collapseFactor);

/// One trial's run: `batches` batches with log-normal noise of `noise` (natural-log sd).
Run syntheticProfileRun(const SyntheticShape& shape, int batches, double noise, std::uint64_t seed,
                        int shellsPerDecade = 4);

/// Bias, spread and interval coverage of one estimate over the trials.
struct EstimateCheck {
  double bias = 0, spread = 0;  ///< mean and standard deviation of estimate - truth (decades)
  int covered = 0;              ///< trials whose interval held the truth
  int estimated = 0;            ///< trials with an estimate and an interval
};

struct FrontierValidation {
  std::string shape;
  int batches = 0;
  double noise = 0;
  int trials = 0;
  EstimateCheck peak, cutoff, width;
};

/// `trials` seeded trials of one configuration (options: bootstrap resamples, confidence, ...).
FrontierValidation validateFrontier(const SyntheticShape& shape, int batches, double noise, int trials,
                                    const AnalysisOptions& options, std::uint64_t seed);

}  // namespace shellscope::analysis
