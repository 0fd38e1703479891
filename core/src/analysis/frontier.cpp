#include "shellscope/analysis/frontier.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shellscope::analysis {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr int kGridPerShell = 50;
}  // namespace

LogLogSmoother::LogLogSmoother(std::vector<double> x, std::vector<double> y, double width)
    : x_(std::move(x)), y_(std::move(y)), width_(width) {}

double LogLogSmoother::operator()(double x) const {
  if (x_.empty()) return kNan;
  if (width_ <= 0) {  // no smoothing: linear interpolation between the points
    if (x <= x_.front()) return y_.front();
    if (x >= x_.back()) return y_.back();
    const auto hi = static_cast<std::size_t>(std::upper_bound(x_.begin(), x_.end(), x) - x_.begin());
    const double f = (x - x_[hi - 1]) / (x_[hi] - x_[hi - 1]);
    return y_[hi - 1] + f * (y_[hi] - y_[hi - 1]);
  }
  double numerator = 0, denominator = 0;
  for (std::size_t k = 0; k < x_.size(); ++k) {
    const double u = (x - x_[k]) / width_;
    const double w = std::exp(-0.5 * u * u);
    numerator += w * y_[k];
    denominator += w;
  }
  return denominator > 0 ? numerator / denominator : kNan;
}

LogLogSmoother LogLogSmoother::ofProfile(const ShellWindow& window, const Eigen::VectorXd& energy, double width) {
  std::vector<double> x, y;
  for (Eigen::Index j = 0; j < energy.size(); ++j) {
    if (energy(j) > 0 && std::isfinite(energy(j))) {
      x.push_back(std::log10(window.centre(static_cast<int>(j))));
      y.push_back(std::log10(energy(j)));
    }
  }
  return LogLogSmoother(std::move(x), std::move(y), width);
}

double smoothedPeak(const ShellWindow& window, const Eigen::VectorXd& energy, double width, double* peakLogEnergy) {
  const LogLogSmoother smooth = LogLogSmoother::ofProfile(window, energy, width);
  if (smooth.empty()) return kNan;
  const double step = 1.0 / (window.shellsPerDecade * kGridPerShell);
  double bestX = smooth.xMin(), bestY = -std::numeric_limits<double>::infinity();
  for (double x = smooth.xMin(); x <= smooth.xMax() + 1e-12; x += step) {
    const double y = smooth(x);
    if (y > bestY) {
      bestY = y;
      bestX = x;
    }
  }
  if (peakLogEnergy) *peakLogEnergy = bestY;
  return std::pow(10.0, bestX);
}

Frontier findFrontier(const Run& run, const AnalysisOptions& options) {
  Frontier f;
  const Eigen::Index S = run.shellCount();
  f.smoothedLogEnergy = Eigen::VectorXd::Constant(S, kNan);
  const LogLogSmoother smooth = LogLogSmoother::ofProfile(run.window, run.shellEnergy, options.smoothingWidth);
  if (smooth.empty()) {
    f.status = "no peak: every shell is empty";
    f.lambda = f.ciLow = f.ciHigh = f.peakShellLambda = f.peakEnergy = f.cutoffLambda = f.widthDecades = kNan;
    return f;
  }
  for (Eigen::Index j = 0; j < S; ++j) {
    if (run.shellEnergy(j) > 0) f.smoothedLogEnergy(j) = smooth(std::log10(run.window.centre(static_cast<int>(j))));
  }
  double peakLog = 0;
  f.lambda = smoothedPeak(run.window, run.shellEnergy, options.smoothingWidth, &peakLog);
  f.peakEnergy = std::pow(10.0, peakLog);
  f.peakShellLambda = run.window.centre(run.peakShell());
  const double xPeak = std::log10(f.lambda);
  if (xPeak <= smooth.xMin() + 1e-9 || xPeak >= smooth.xMax() - 1e-9) {
    f.status = "no peak: the profile is monotone (largest at the edge of the window)";
  }

  // Cut-off and width on the same fine grid.
  const double step = 1.0 / (run.window.shellsPerDecade * kGridPerShell);
  const double collapseLevel = peakLog + std::log10(options.collapseFactor), half = peakLog - std::log10(2.0);
  f.cutoffLambda = kNan;
  double right = kNan, left = kNan;
  for (double x = xPeak; x <= smooth.xMax() + 1e-12; x += step) {
    const double y = smooth(x);
    if (std::isnan(right) && y <= half) right = x;
    if (y <= collapseLevel) {
      f.cutoffLambda = std::pow(10.0, x);
      break;
    }
  }
  for (double x = xPeak; x >= smooth.xMin() - 1e-12; x -= step) {
    if (smooth(x) <= half) {
      left = x;
      break;
    }
  }
  f.widthDecades = right - left;  // NaN when either side does not reach half the peak

  // Bootstrap over batches.
  f.ciLow = f.ciHigh = f.lambda;
  if (run.batchCount() > 1 && options.bootstrapSamples > 1) {
    std::vector<double> peaks;
    for (const auto& sample : bootstrapResamples(run.batchCount(), options.bootstrapSamples, options.seed)) {
      const double p = smoothedPeak(run.window, resampledMean(run, sample), options.smoothingWidth);
      if (std::isfinite(p)) peaks.push_back(std::log10(p));
    }
    std::sort(peaks.begin(), peaks.end());
    const double tail = (1.0 - options.confidence) / 2.0;
    auto at = [&](double q) {
      const double i = q * static_cast<double>(peaks.size() - 1);
      const auto lo = static_cast<std::size_t>(std::floor(i));
      const std::size_t hi = std::min(lo + 1, peaks.size() - 1);
      return std::pow(10.0, peaks[lo] + (i - static_cast<double>(lo)) * (peaks[hi] - peaks[lo]));
    };
    if (!peaks.empty()) {
      f.ciLow = at(tail);
      f.ciHigh = at(1.0 - tail);
    }
  }
  return f;
}

}  // namespace shellscope::analysis
