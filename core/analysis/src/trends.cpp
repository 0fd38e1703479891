#include "shellscope/analysis/trends.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "shellscope/analysis/least_squares.h"

namespace shellscope::analysis {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kLn10 = 2.302585092994046;
constexpr double kNormalQuantile975 = 1.959963984540054;

struct Sample {
  double time, value, error;  ///< error <= 0 or NaN: unknown
};

/// log10 value = exponent · log10 time + intercept, weighted by the values' errors where known.
Trend logLogSlope(const std::string& quantity, const std::string& axis, const std::vector<Sample>& samples) {
  Trend t;
  t.quantity = quantity;
  t.timeAxis = axis;
  t.exponent = t.exponentError = t.intercept = kNan;
  std::vector<Sample> usable;
  for (const Sample& s : samples) {
    if (s.time > 0 && std::isfinite(s.value)) usable.push_back(s);
  }
  t.points = static_cast<int>(usable.size());
  if (usable.size() < 3) {
    t.status = TrendStatus::failure(TrendCode::TooFewPoints, "too few points: " + std::to_string(usable.size()) +
                                                                 " checkpoint(s) with a value, a slope needs 3");
    return t;
  }
  if (std::any_of(usable.begin(), usable.end(), [](const Sample& s) { return !(s.value > 0); })) {
    t.status = TrendStatus::failure(TrendCode::NotPositive, "not positive at every checkpoint: no log-log slope");
    return t;
  }
  const bool weighted = std::all_of(usable.begin(), usable.end(), [](const Sample& s) { return s.error > 0 && std::isfinite(s.error); });
  const Eigen::Index n = static_cast<Eigen::Index>(usable.size());
  Eigen::MatrixXd design(n, 2);
  Eigen::VectorXd y(n), sigma(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Sample& s = usable[static_cast<std::size_t>(i)];
    design(i, 0) = 1.0;
    design(i, 1) = std::log10(s.time);
    y(i) = std::log10(s.value);
    sigma(i) = weighted ? std::max(s.error / (s.value * kLn10), 1e-6) : 1.0;
  }
  const FitResult fit = weightedLinearFit(design, y, sigma);
  if (!fit.ok()) {
    t.status = TrendStatus::failure(TrendCode::FitFailed, fit.status.message());
    return t;
  }
  t.intercept = fit.parameters(0);
  t.exponent = fit.parameters(1);
  t.exponentError = fit.error(1);
  t.status = TrendStatus::success();
  return t;
}

double logError(double value, double low, double high) {
  // The half-width of a 95% interval in decades, as a standard error in value units.
  if (!(low > 0) || !(high > 0) || !(value > 0)) return kNan;
  const double sigmaLog10 = (std::log10(high) - std::log10(low)) / (2 * kNormalQuantile975);
  return sigmaLog10 * value * kLn10;
}

}  // namespace

RunAnalysis analyzeRun(const Run& run, const AnalysisOptions& options) {
  RunAnalysis a;
  a.runId = run.id;
  a.modelName = run.meta.modelName;
  a.step = run.meta.step;
  a.loss = run.loss.size() ? run.loss.mean() : kNan;
  const Eigen::Index B = run.loss.size();
  a.lossError = B > 1 ? std::sqrt((run.loss.array() - a.loss).square().sum() / static_cast<double>(B - 1) / B) : kNan;
  a.statistics = profileStatistics(run, options);
  a.frontier = findFrontier(run, options, a.statistics.massFloor);
  const FitPoints points = fitPoints(a.statistics, options);
  a.piecewise = fitPiecewise(points);
  a.theory = fitTheory(points);
  a.betterModel = betterModel(a.piecewise, a.theory, &a.aicDifference);
  return a;
}

const Trend* ModelTrends::find(const std::string& quantity, const std::string& axis) const {
  for (const Trend& t : trends) {
    if (t.quantity == quantity && t.timeAxis == axis) return &t;
  }
  return nullptr;
}

ModelTrends modelTrends(const std::string& modelName, std::vector<const RunAnalysis*> runs, const TrainingLog* log) {
  ModelTrends m;
  m.modelName = modelName;
  std::sort(runs.begin(), runs.end(), [](const RunAnalysis* a, const RunAnalysis* b) { return a->step < b->step; });
  for (const RunAnalysis* r : runs) m.fingerprint += r->fingerprint + ";";
  m.timeAxis = log ? "accumulated_lr" : "step";
  auto timeOf = [&](const RunAnalysis* r, const std::string& axis) {
    if (axis == "step") return static_cast<double>(r->step);
    return log ? log->accumulatedLearningRate(r->step) : kNan;
  };
  std::vector<std::string> axes{"step"};
  if (log) axes.push_back("accumulated_lr");
  for (const std::string& axis : axes) {
    std::vector<Sample> frontier, kappa, p, amplitude, loss;
    for (const RunAnalysis* r : runs) {
      const double t = timeOf(r, axis);
      if (r->frontier.status.ok()) {
        frontier.push_back({t, r->frontier.lambda, logError(r->frontier.lambda, r->frontier.ciLow, r->frontier.ciHigh)});
      }
      if (r->theory.fit.ok()) {
        kappa.push_back({t, r->theory.kappa, r->theory.kappaError});
        p.push_back({t, r->theory.p, r->theory.pError});
      }
      if (r->piecewise.fit.ok()) {
        const double value = std::pow(10.0, r->piecewise.intercept);
        amplitude.push_back({t, value, value * kLn10 * r->piecewise.interceptError});
      }
      loss.push_back({t, r->loss, r->lossError});
    }
    m.trends.push_back(logLogSlope("frontier_lambda", axis, frontier));
    m.trends.push_back(logLogSlope("kappa", axis, kappa));
    m.trends.push_back(logLogSlope("p", axis, p));
    m.trends.push_back(logLogSlope("amplitude", axis, amplitude));
    m.trends.push_back(logLogSlope("loss", axis, loss));
  }

  // c0 from κ = k τ (least squares through the origin), over checkpoints with a theory fit.
  m.c0 = m.c0Error = m.meanP = m.meanPError = m.predictedLossExponent = m.predictedLossExponentError = kNan;
  m.measuredLossExponent = m.measuredLossExponentError = kNan;
  double sxx = 0, sxy = 0, pSum = 0, pWeight = 0;
  int used = 0;
  for (const RunAnalysis* r : runs) {
    const double t = timeOf(r, m.timeAxis);
    if (!(t > 0) || !r->theory.fit.ok() || !(r->theory.kappaError > 0)) continue;
    const double w = 1.0 / (r->theory.kappaError * r->theory.kappaError);
    sxx += w * t * t;
    sxy += w * t * r->theory.kappa;
    if (r->theory.pError > 0) {
      pSum += r->theory.p / (r->theory.pError * r->theory.pError);
      pWeight += 1.0 / (r->theory.pError * r->theory.pError);
    }
    ++used;
  }
  if (used < 2) {
    m.c0Status = TransportStatus::failure(
        TransportCode::TooFewPoints, "too few points: " + std::to_string(used) + " checkpoint(s) with a theory fit, c0 needs 2");
  } else {
    const double k = sxy / sxx, kError = std::sqrt(1.0 / sxx);
    m.c0 = 2.0 / k - 1.0;
    m.c0Error = 2.0 * kError / (k * k);
    m.c0Status = k > 0 ? TransportStatus::success()
                       : TransportStatus::failure(TransportCode::KappaNotGrowing,
                                                  "κ does not grow with training: no transport exponent");
    if (pWeight > 0) {
      m.meanP = pSum / pWeight;
      m.meanPError = std::sqrt(1.0 / pWeight);
      m.predictedLossExponent = (1 + m.c0) * m.meanP + 1;
      m.predictedLossExponentError = std::hypot(m.meanP * m.c0Error, (1 + m.c0) * m.meanPError);
    }
  }
  const Trend* lossTrend = m.find("loss", m.timeAxis);
  if (lossTrend && lossTrend->status.ok()) {
    m.measuredLossExponent = -lossTrend->exponent;  // L ∝ τ^-exponent
    m.measuredLossExponentError = lossTrend->exponentError;
    m.lossExponentStatus = TransportStatus::success();
  } else {
    m.lossExponentStatus =
        TransportStatus::failure(TransportCode::NoLossTrend,
                                 lossTrend ? "no loss trend: " + lossTrend->status.message() : "no loss trend");
  }
  // c0 only means something where κ grows like τ, as the transport solution says.
  const Trend* kappaTrend = m.find("kappa", m.timeAxis);
  if (m.c0Status.ok() && kappaTrend && kappaTrend->status.ok() &&
      std::abs(kappaTrend->exponent - 1.0) > 3.0 * kappaTrend->exponentError) {
    char note[220];
    const bool grows = kappaTrend->exponent > 3.0 * kappaTrend->exponentError;
    std::snprintf(note, sizeof note,
                  grows ? "not supported by the data: κ grows like τ^%.2f±%.2f, not like τ, so the transport solution "
                          "does not describe these checkpoints"
                        : "not supported by the data: κ does not grow with training (κ ∝ τ^%.2f±%.2f), so there is "
                          "no transport exponent",
                  kappaTrend->exponent, kappaTrend->exponentError);
    m.c0Status = TransportStatus::failure(grows ? TransportCode::NotLinearInTime : TransportCode::KappaNotGrowing, note);
  }
  if (m.timeAxis == "step" && m.c0Status.ok()) {
    m.c0Status = TransportStatus::success("ok (time = step: the session has no learning-rate log)");
  }
  return m;
}

namespace {

/// The bulk of a profile: shells within kBulkDecades of its largest energy (the far tails, decades
/// below the peak, would otherwise dominate the alignment's squared differences).
constexpr double kBulkDecades = 4.0;
Eigen::VectorXd bulk(const Eigen::VectorXd& energy) {
  const double top = energy.size() ? energy.maxCoeff() : 0.0;
  Eigen::VectorXd out = energy;
  for (Eigen::Index j = 0; j < out.size(); ++j) {
    if (!(out(j) >= top * std::pow(10.0, -kBulkDecades))) out(j) = 0.0;
  }
  return out;
}

/// A smoother tabulated every 0.002 decades and read by linear interpolation. The search below
/// evaluates each curve ~60,000 times per alignment (and again per bootstrap resample); the
/// table costs a few hundred evaluations. With the default kernel (0.25 decades) the
/// interpolation error is ~1e-5 in log10 E, far below the bootstrap spread.
class TabulatedCurve {
 public:
  explicit TabulatedCurve(const LogLogSmoother& smooth) : x0_(smooth.xMin()) {
    const int n = static_cast<int>(std::ceil((smooth.xMax() - x0_) / kStep)) + 1;
    // The last node may lie up to one step past xMax: the kernel smoother is defined there too.
    for (int i = 0; i < n; ++i) values_.push_back(smooth(x0_ + i * kStep));
    xMax_ = smooth.xMax();
  }
  double xMin() const { return x0_; }
  double xMax() const { return xMax_; }
  double operator()(double x) const {
    const double t = std::clamp((x - x0_) / kStep, 0.0, static_cast<double>(values_.size() - 1));
    const auto i = std::min(static_cast<std::size_t>(t), values_.size() - 1);
    if (i + 1 >= values_.size()) return values_.back();
    const double f = t - static_cast<double>(i);
    return values_[i] + f * (values_[i + 1] - values_[i]);
  }

 private:
  static constexpr double kStep = 0.002;
  double x0_, xMax_;
  std::vector<double> values_;
};

/// Best (Δx, Δy) aligning smoother a onto b by a grid search over Δx, then a parabola.
bool bestShift(const LogLogSmoother& smoothA, const LogLogSmoother& smoothB, double& dx, double& dy, double& rms) {
  const TabulatedCurve a(smoothA), b(smoothB);
  auto cost = [&](double shift, double& meanDiff) {
    const double lo = std::max(a.xMin() + shift, b.xMin()), hi = std::min(a.xMax() + shift, b.xMax());
    if (hi - lo < 0.5) return std::numeric_limits<double>::infinity();  // at least half a decade of overlap
    constexpr int kSamples = 100;
    std::vector<double> diff;
    for (int i = 0; i < kSamples; ++i) {
      const double x = lo + (hi - lo) * i / (kSamples - 1);
      diff.push_back(b(x) - a(x - shift));
    }
    meanDiff = 0;
    for (double d : diff) meanDiff += d / kSamples;
    double sq = 0;
    for (double d : diff) sq += (d - meanDiff) * (d - meanDiff) / kSamples;
    return sq;
  };
  double best = std::numeric_limits<double>::infinity(), bestShift = 0, bestDy = 0;
  constexpr double kStep = 0.01;
  for (double shift = -1.5; shift <= 1.5 + 1e-9; shift += kStep) {
    double m = 0;
    const double c = cost(shift, m);
    if (c < best) {
      best = c;
      bestShift = shift;
      bestDy = m;
    }
  }
  if (!std::isfinite(best)) return false;
  double m1 = 0, m2 = 0;
  const double left = cost(bestShift - kStep, m1), right = cost(bestShift + kStep, m2);
  const double curvature = left - 2 * best + right;
  if (std::isfinite(left) && std::isfinite(right) && curvature > 0) {
    const double offset = 0.5 * kStep * (left - right) / curvature;
    double m = 0;
    const double refined = cost(bestShift + offset, m);
    if (refined <= best) {
      bestShift += offset;
      bestDy = m;
      best = refined;
    }
  }
  dx = bestShift;
  dy = bestDy;
  rms = std::sqrt(best);
  return true;
}

}  // namespace

Alignment alignProfiles(const Run& reference, const Run& other, const AnalysisOptions& options) {
  Alignment a;
  a.reference = reference.meta.modelName;
  a.other = other.meta.modelName;
  a.step = other.meta.step;
  a.amplitudeShift = a.amplitudeShiftError = a.peakDisplacement = a.peakDisplacementError = a.rmsResidual = kNan;
  const double width = options.smoothingWidth;
  const auto smoothA = LogLogSmoother::ofProfile(reference.window, bulk(reference.shellEnergy), width);
  const auto smoothB = LogLogSmoother::ofProfile(other.window, bulk(other.shellEnergy), width);
  if (smoothA.empty() || smoothB.empty() || !bestShift(smoothA, smoothB, a.peakDisplacement, a.amplitudeShift, a.rmsResidual)) {
    a.status = AlignmentStatus::failure(AlignmentCode::NoOverlap, "cannot align: the profiles do not overlap by half a decade");
    return a;
  }
  // Bootstrap both runs' batches.
  const int samples = std::max(0, options.bootstrapSamples / 2);
  const auto resA = bootstrapResamples(reference.batchCount(), samples, options.seed);
  const auto resB = bootstrapResamples(other.batchCount(), samples, options.seed + 1);
  std::vector<double> dxs, dys;
  for (int s = 0; s < samples && reference.batchCount() > 1 && other.batchCount() > 1; ++s) {
    const auto a2 = LogLogSmoother::ofProfile(reference.window, bulk(resampledMean(reference, resA[static_cast<std::size_t>(s)])), width);
    const auto b2 = LogLogSmoother::ofProfile(other.window, bulk(resampledMean(other, resB[static_cast<std::size_t>(s)])), width);
    double dx = 0, dy = 0, rms = 0;
    if (!a2.empty() && !b2.empty() && bestShift(a2, b2, dx, dy, rms)) {
      dxs.push_back(dx);
      dys.push_back(dy);
    }
  }
  auto sd = [](const std::vector<double>& v) {
    if (v.size() < 2) return kNan;
    double mean = 0;
    for (double x : v) mean += x / static_cast<double>(v.size());
    double sq = 0;
    for (double x : v) sq += (x - mean) * (x - mean);
    return std::sqrt(sq / static_cast<double>(v.size() - 1));
  };
  a.peakDisplacementError = sd(dxs);
  a.amplitudeShiftError = sd(dys);
  a.status = AlignmentStatus::success();
  return a;
}

}  // namespace shellscope::analysis
