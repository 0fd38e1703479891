#pragma once
// What a half-precision model (bfloat16, float16) must reproduce of the float64 computation on
// the same batch, shared by the CPU test (test_compute) and the CUDA comparison (cuda_matches_cpu).
// Rounding of weights and activations (unit roundoff 2^-8 in bfloat16, 2^-11 in float16) moves
// the loss and the leading Ritz value by a few of those units; the Lanczos vectors and the
// quadrature are float64 in every case, so the Gauss weights sum to 1 to float64 rounding.

#include <Eigen/Dense>
#include <cmath>
#include <string>

#include "shellscope/engine/compute.h"

namespace shellscope::test {

struct HalfPrecisionTolerance {
  double loss;       ///< relative, on mean(e)
  double leadingRitz;  ///< relative, on the largest Ritz value
};

inline HalfPrecisionTolerance halfPrecisionTolerance(ComputeDType dtype) {
  return dtype == ComputeDType::BFloat16 ? HalfPrecisionTolerance{2e-2, 5e-2} : HalfPrecisionTolerance{4e-3, 1e-2};
}

/// "" when `half` agrees with `exact` (float64) as `dtype` should, else what differs.
inline std::string halfPrecisionDisagreement(const BatchSpectrum& half, const BatchSpectrum& exact, ComputeDType dtype) {
  const HalfPrecisionTolerance t = halfPrecisionTolerance(dtype);
  const double loss = std::abs(half.loss - exact.loss) / std::abs(exact.loss);
  const double ritz = std::abs(half.ritzValues.maxCoeff() - exact.ritzValues.maxCoeff()) / exact.ritzValues.maxCoeff();
  const double weights = std::abs(half.ritzWeights.sum() - 1.0);
  std::string problem;
  if (!(loss <= t.loss)) problem += "loss differs by " + std::to_string(loss) + " relative; ";
  if (!(ritz <= t.leadingRitz)) problem += "leading Ritz value differs by " + std::to_string(ritz) + " relative; ";
  if (!(weights <= 1e-12)) problem += "Gauss weights sum to 1 + " + std::to_string(weights) + "; ";
  return problem;
}

}  // namespace shellscope::test
