// Lines, curvature and the scale-free window of trend series (trend_fits.h; paper §5). Slopes and
// curvatures are linear combinations of the values, so the bootstrap applies the same weights to
// every replicate. Verified against closed forms in tests/core/analysis/test_trend_window.cpp.
#include "trend_fits.h"

#include <Eigen/Dense>
#include <cmath>

#include "shellscope/analysis/profile_statistics.h"

namespace shellscope::analysis::trendfits {

namespace {

/// Indices in [first, last] where the series has a value.
std::vector<int> pointsWithValue(const Series& s, int first, int last) {
  std::vector<int> points;
  for (int i = first; i <= last; ++i) {
    if (std::isfinite(s.y[static_cast<std::size_t>(i)]) && std::isfinite(s.x[static_cast<std::size_t>(i)])) {
      points.push_back(i);
    }
  }
  return points;
}

/// Σ_i g_i y_i over `points` for replicate r, NaN when the replicate lacks a value at one of them.
double replicateCombination(const Series& s, const std::vector<int>& points, const Eigen::VectorXd& g, int r) {
  double sum = 0;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const double y = s.replicates[static_cast<std::size_t>(points[k])][static_cast<std::size_t>(r)];
    if (!std::isfinite(y)) return kNan;
    sum += g(static_cast<Eigen::Index>(k)) * y;
  }
  return sum;
}

}  // namespace

LineFit fitLine(const Series& s, int first, int last, int batches, double confidence) {
  LineFit fit;
  const std::vector<int> points = pointsWithValue(s, first, last);
  fit.points = static_cast<int>(points.size());
  if (points.size() < 2) return fit;
  double xMean = 0, yMean = 0;
  for (int i : points) {
    xMean += s.x[static_cast<std::size_t>(i)] / static_cast<double>(points.size());
    yMean += s.y[static_cast<std::size_t>(i)] / static_cast<double>(points.size());
  }
  double sxx = 0;
  for (int i : points) sxx += (s.x[static_cast<std::size_t>(i)] - xMean) * (s.x[static_cast<std::size_t>(i)] - xMean);
  if (!(sxx > 0)) return fit;
  // slope = Σ g_i y_i with g_i = (x_i - x̄) / Sxx, for the data and for every replicate alike.
  Eigen::VectorXd g(static_cast<Eigen::Index>(points.size()));
  for (std::size_t k = 0; k < points.size(); ++k) g(static_cast<Eigen::Index>(k)) = (s.x[static_cast<std::size_t>(points[k])] - xMean) / sxx;
  fit.slope = 0;
  for (std::size_t k = 0; k < points.size(); ++k) fit.slope += g(static_cast<Eigen::Index>(k)) * s.y[static_cast<std::size_t>(points[k])];
  fit.intercept = yMean - fit.slope * xMean;
  std::vector<double> slopes;
  for (int r = 0; r < s.replicateCount(); ++r) slopes.push_back(replicateCombination(s, points, g, r));
  const BootstrapInterval interval = bootstrapInterval(fit.slope, slopes, batches, confidence);
  fit.standardError = interval.standardError;
  fit.low = interval.low;
  fit.high = interval.high;
  return fit;
}

Curvature curvature(const Series& s, int first, int last, int batches) {
  Curvature result;
  const std::vector<int> points = pointsWithValue(s, first, last);
  const int R = s.replicateCount();
  if (points.size() < 3) return result;
  result.test = Curvature::Test::Untestable;
  if (R < 2 || batches < 2) return result;
  // y = a + b u + c u², u = (x - x̄) / half-range, so the normal equations stay well conditioned.
  double lo = s.x[static_cast<std::size_t>(points.front())], hi = lo, mean = 0;
  for (int i : points) {
    const double x = s.x[static_cast<std::size_t>(i)];
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    mean += x / static_cast<double>(points.size());
  }
  const double half = 0.5 * (hi - lo);
  if (!(half > 0)) return result;
  const Eigen::Index n = static_cast<Eigen::Index>(points.size());
  Eigen::MatrixXd design(n, 3);
  for (Eigen::Index k = 0; k < n; ++k) {
    const double u = (s.x[static_cast<std::size_t>(points[static_cast<std::size_t>(k)])] - mean) / half;
    design(k, 0) = 1.0;
    design(k, 1) = u;
    design(k, 2) = u * u;
  }
  const Eigen::Matrix3d normal = design.transpose() * design;
  Eigen::FullPivLU<Eigen::Matrix3d> lu(normal);
  if (lu.rank() < 3) return result;
  // c = Σ g_k y_k, g the last row of (AᵀA)⁻¹ Aᵀ.
  const Eigen::VectorXd g = (lu.inverse() * design.transpose()).row(2).transpose();
  double c = 0;
  for (Eigen::Index k = 0; k < n; ++k) c += g(k) * s.y[static_cast<std::size_t>(points[static_cast<std::size_t>(k)])];
  std::vector<double> replicates;
  for (int r = 0; r < R; ++r) replicates.push_back(replicateCombination(s, points, g, r));
  const BootstrapInterval spread = bootstrapInterval(c, replicates, batches, 0.95);
  if (!std::isfinite(spread.standardError)) return result;
  // Noise-free data (identical replicates): only rounding separates c from zero.
  const double rounding = g.array().abs().sum() * 1e-12 * (1.0 + std::abs(c));
  result.test = Curvature::Test::Tested;
  result.score = c / std::max(spread.standardError, rounding);
  return result;
}

DetectedWindow detectWindow(const std::vector<const Series*>& series, int minPoints, double z, int batches) {
  DetectedWindow best;
  const int n = series.empty() ? 0 : series.front()->size();
  for (int length = n; length >= std::max(minPoints, 3) && !best.found; --length) {
    for (int first = 0; first + length <= n; ++first) {
      const int last = first + length - 1;
      double worst = 0;
      bool passes = true;
      for (std::size_t k = 0; k < series.size() && passes; ++k) {
        const Curvature bend = curvature(*series[k], first, last, batches);
        if (bend.test == Curvature::Test::NoValues && k > 0) continue;
        if (bend.test != Curvature::Test::Tested || std::abs(bend.score) > z) {
          passes = false;
          break;
        }
        worst = std::max(worst, std::abs(bend.score));
      }
      if (!passes) continue;
      const auto spanOf = [&](int a, int b) {
        return series.front()->x[static_cast<std::size_t>(b)] - series.front()->x[static_cast<std::size_t>(a)];
      };
      const double span = spanOf(first, last), bestSpan = best.found ? spanOf(best.first, best.last) : -1.0;
      if (!best.found || span > bestSpan + 1e-12 || (std::abs(span - bestSpan) <= 1e-12 && worst < best.worstScore)) {
        best.found = true;
        best.first = first;
        best.last = last;
        best.worstScore = worst;
      }
    }
  }
  return best;
}

}  // namespace shellscope::analysis::trendfits
