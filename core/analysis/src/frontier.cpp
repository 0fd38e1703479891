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

namespace {

/// The peak of the smoothed profile on the fine grid (1/50 shell). Once the non-empty shells are
/// known the smoothed curve is a fixed linear map of their log energies, W (fine grid x shells,
/// rows normalised). The bootstrap's resamples nearly always share the non-empty shells, so W is
/// built once per run and each resample costs a matrix-vector product instead of
/// grid x shells exponentials (this was 70% of the analysis time).
class FinePeakFinder {
 public:
  FinePeakFinder(const ShellWindow& window, double width) : window_(window), width_(width) {}

  double operator()(const Eigen::VectorXd& energy, double* peakLogEnergy) {
    std::vector<int> shells;
    for (Eigen::Index j = 0; j < energy.size(); ++j) {
      if (energy(j) > 0 && std::isfinite(energy(j))) shells.push_back(static_cast<int>(j));
    }
    if (shells.empty()) return kNan;
    if (width_ <= 0) return unsmoothedPeak(energy, peakLogEnergy);
    if (shells != shells_) buildWeights(shells);
    Eigen::VectorXd logEnergy(static_cast<Eigen::Index>(shells.size()));
    for (std::size_t k = 0; k < shells.size(); ++k) logEnergy(static_cast<Eigen::Index>(k)) = std::log10(energy(shells[k]));
    const Eigen::VectorXd fine = weights_ * logEnergy;
    double bestX = grid_.front(), bestY = -std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < grid_.size(); ++g) {
      if (fine(static_cast<Eigen::Index>(g)) > bestY) {  // the first of equal maxima; NaN never wins
        bestY = fine(static_cast<Eigen::Index>(g));
        bestX = grid_[g];
      }
    }
    if (peakLogEnergy) *peakLogEnergy = bestY;
    return std::pow(10.0, bestX);
  }

 private:
  double gridStep() const { return 1.0 / (window_.shellsPerDecade * kGridPerShell); }

  void buildWeights(const std::vector<int>& shells) {
    shells_ = shells;
    std::vector<double> x;
    for (const int j : shells) x.push_back(std::log10(window_.centre(j)));
    grid_.clear();
    for (double g = x.front(); g <= x.back() + 1e-12; g += gridStep()) grid_.push_back(g);
    weights_.resize(static_cast<Eigen::Index>(grid_.size()), static_cast<Eigen::Index>(x.size()));
    for (std::size_t g = 0; g < grid_.size(); ++g) {
      double total = 0;
      for (std::size_t k = 0; k < x.size(); ++k) {
        const double u = (grid_[g] - x[k]) / width_;
        total += weights_(static_cast<Eigen::Index>(g), static_cast<Eigen::Index>(k)) = std::exp(-0.5 * u * u);
      }
      weights_.row(static_cast<Eigen::Index>(g)) /= total;  // total 0 (absurdly narrow kernel): NaN row
    }
  }

  /// Width 0 means no smoothing: the peak of the piecewise-linear log-log profile.
  double unsmoothedPeak(const Eigen::VectorXd& energy, double* peakLogEnergy) const {
    const LogLogSmoother smooth = LogLogSmoother::ofProfile(window_, energy, width_);
    double bestX = smooth.xMin(), bestY = -std::numeric_limits<double>::infinity();
    for (double x = smooth.xMin(); x <= smooth.xMax() + 1e-12; x += gridStep()) {
      const double y = smooth(x);
      if (y > bestY) {
        bestY = y;
        bestX = x;
      }
    }
    if (peakLogEnergy) *peakLogEnergy = bestY;
    return std::pow(10.0, bestX);
  }

  const ShellWindow& window_;
  double width_;
  std::vector<int> shells_;   ///< the non-empty shells weights_ was built for
  std::vector<double> grid_;  ///< fine grid in log10 λ
  Eigen::MatrixXd weights_;
};

}  // namespace

double smoothedPeak(const ShellWindow& window, const Eigen::VectorXd& energy, double width, double* peakLogEnergy) {
  return FinePeakFinder(window, width)(energy, peakLogEnergy);
}

Frontier findFrontier(const Run& run, const AnalysisOptions& options) {
  Frontier f;
  const Eigen::Index S = run.shellCount();
  f.smoothedLogEnergy = Eigen::VectorXd::Constant(S, kNan);
  const LogLogSmoother smooth = LogLogSmoother::ofProfile(run.window, run.shellEnergy, options.smoothingWidth);
  if (smooth.empty()) {
    f.status = FrontierStatus::failure(FrontierCode::EmptyProfile, "no peak: every shell is empty");
    f.lambda = f.ciLow = f.ciHigh = f.peakShellLambda = f.peakEnergy = f.cutoffLambda = f.widthDecades = kNan;
    return f;
  }
  for (Eigen::Index j = 0; j < S; ++j) {
    if (run.shellEnergy(j) > 0) f.smoothedLogEnergy(j) = smooth(std::log10(run.window.centre(static_cast<int>(j))));
  }
  FinePeakFinder peakOf(run.window, options.smoothingWidth);
  double peakLog = 0;
  f.lambda = peakOf(run.shellEnergy, &peakLog);
  f.peakEnergy = std::pow(10.0, peakLog);
  f.peakShellLambda = run.window.centre(run.peakShell());
  const double xPeak = std::log10(f.lambda);
  f.status = FrontierStatus::success();
  if (xPeak <= smooth.xMin() + 1e-9 || xPeak >= smooth.xMax() - 1e-9) {
    f.status = FrontierStatus::failure(FrontierCode::MonotoneProfile,
                                       "no peak: the profile is monotone (largest at the edge of the window)");
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
      const double p = peakOf(resampledMean(run, sample), nullptr);
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
