// Lines, curvature and the scale-free window of trend series (trend_fits.h).
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

double curvatureScore(const Series& s, int first, int last) {
  const std::vector<int> points = pointsWithValue(s, first, last);
  const int R = s.replicateCount();
  if (points.size() < 3 || R < 2) return kNan;
  // y = a + b u + c u², u = (x - x̄) / half-range, so the normal equations stay well conditioned.
  double lo = s.x[static_cast<std::size_t>(points.front())], hi = lo, mean = 0;
  for (int i : points) {
    const double x = s.x[static_cast<std::size_t>(i)];
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    mean += x / static_cast<double>(points.size());
  }
  const double half = 0.5 * (hi - lo);
  if (!(half > 0)) return kNan;
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
  if (lu.rank() < 3) return kNan;
  // c = Σ g_k y_k, g the last row of (AᵀA)⁻¹ Aᵀ.
  const Eigen::VectorXd g = (lu.inverse() * design.transpose()).row(2).transpose();
  double c = 0;
  for (Eigen::Index k = 0; k < n; ++k) c += g(k) * s.y[static_cast<std::size_t>(points[static_cast<std::size_t>(k)])];
  std::vector<double> replicates;
  for (int r = 0; r < R; ++r) {
    const double value = replicateCombination(s, points, g, r);
    if (std::isfinite(value)) replicates.push_back(value);
  }
  if (replicates.size() < 2 || 2 * replicates.size() < static_cast<std::size_t>(R)) return kNan;
  double rMean = 0;
  for (double v : replicates) rMean += v / static_cast<double>(replicates.size());
  double squares = 0;
  for (double v : replicates) squares += (v - rMean) * (v - rMean);
  const double sd = std::sqrt(squares / static_cast<double>(replicates.size() - 1));
  // Noise-free data (identical replicates): only rounding separates c from zero.
  const double scale = g.array().abs().sum() * 1e-12 * (1.0 + std::abs(c));
  return c / std::max(sd, scale);
}

DetectedWindow detectWindow(const std::vector<const Series*>& series, int minPoints, double z) {
  DetectedWindow best;
  const int n = series.empty() ? 0 : series.front()->size();
  for (int length = n; length >= std::max(minPoints, 3) && !best.found; --length) {
    for (int first = 0; first + length <= n; ++first) {
      const int last = first + length - 1;
      double worst = 0;
      bool passes = true;
      for (const Series* s : series) {
        const double score = curvatureScore(*s, first, last);
        if (!std::isfinite(score)) continue;
        worst = std::max(worst, std::abs(score));
        if (std::abs(score) > z) {
          passes = false;
          break;
        }
      }
      if (!passes) continue;
      const double span = series.front()->x[static_cast<std::size_t>(last)] - series.front()->x[static_cast<std::size_t>(first)];
      const double bestSpan = best.found ? series.front()->x[static_cast<std::size_t>(best.last)] -
                                               series.front()->x[static_cast<std::size_t>(best.first)]
                                         : -1.0;
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
