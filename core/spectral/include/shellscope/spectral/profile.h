#pragma once
// A run's shell profile as points for plotting and analysis: one point per shell with energy,
// at the shell's geometric centre, with the spread over batches.

#include <cstdint>
#include <vector>

#include "shellscope/spectral/run.h"

namespace shellscope {

struct ProfilePoint {
  int shell = 0;             ///< index in the run's window
  double lambdaLow = 0, lambdaHigh = 0, lambdaCentre = 0;
  double energy = 0;         ///< mean over batches
  double spread = 0;         ///< standard deviation over batches
  double standardError = 0;  ///< spread / sqrt(B)
};

/// The shells of `run` with positive, finite mean energy, in ascending λ.
std::vector<ProfilePoint> profilePoints(const Run& run);
/// Shells whose mean energy cannot be drawn or trusted: NaN, ±inf or negative (an empty shell, 0,
/// is ordinary and not counted). profilePoints leaves them out.
int undrawableShellCount(const Run& run);

/// The frontier λ* of a run: the centre of its peak shell, or NaN when every shell is empty.
double peakLambda(const Run& run);

}  // namespace shellscope
