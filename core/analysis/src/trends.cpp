// Trends across checkpoints over a window, with batch-consistent bootstrap intervals (trends.h;
// paper §5: inside the scale-free window κ ∝ τ, λ* ∝ 1/τ and L ∝ τ^-[(1+c0)p+1]), and the alignment
// of two model sizes (paper Fig. 3). Validated by validation.h (`bench-analysis --trends`).
#include "shellscope/analysis/trends.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "shellscope/analysis/least_squares.h"
#include "trend_fits.h"

namespace shellscope::analysis {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
/// How far from the theory's assumptions (κ ∝ τ¹, p constant) an interval may sit and still be
/// taken as agreeing with them: effects smaller than this are not worth withholding a prediction.
constexpr double kAssumptionTolerance = 0.1;
/// An interval wider than this (half-width) cannot tell agreement from disagreement: the
/// assumption counts as untested, not as holding.
constexpr double kUntestableHalfWidth = 0.5;
/// The family-wise level of the window's curvature tests (Bonferroni over the series tested).
constexpr double kWindowTestLevel = 0.05;

using trendfits::LineFit;
using trendfits::Series;

enum class Quantity { Frontier, Kappa, P, Amplitude, Loss };
constexpr Quantity kQuantities[] = {Quantity::Frontier, Quantity::Kappa, Quantity::P, Quantity::Amplitude, Quantity::Loss};

const char* keyOf(Quantity q) {
  switch (q) {
    case Quantity::Frontier: return "frontier_lambda";
    case Quantity::Kappa: return "kappa";
    case Quantity::P: return "p";
    case Quantity::Amplitude: return "amplitude";
    case Quantity::Loss: return "loss";
  }
  return "";
}

double valueOf(const RunAnalysis& r, Quantity q) {
  switch (q) {
    case Quantity::Frontier: return r.frontier.status.ok() ? r.frontier.lambda : kNan;
    case Quantity::Kappa: return r.theory.fit.ok() ? r.theory.kappa : kNan;
    case Quantity::P: return r.theory.fit.ok() ? r.theory.p : kNan;
    case Quantity::Amplitude: return r.piecewise.fit.ok() ? std::pow(10.0, r.piecewise.intercept) : kNan;
    case Quantity::Loss: return r.loss;
  }
  return kNan;
}

const std::vector<double>& replicatesOf(const RunAnalysis& r, Quantity q) {
  switch (q) {
    case Quantity::Frontier: return r.replicates.frontierLambda;
    case Quantity::Kappa: return r.replicates.kappa;
    case Quantity::P: return r.replicates.p;
    case Quantity::Amplitude: return r.replicates.amplitude;
    case Quantity::Loss: break;
  }
  return r.replicates.loss;
}

/// log10 of a positive value, NaN otherwise.
double log10OrNan(double v) { return v > 0 && std::isfinite(v) ? std::log10(v) : kNan; }

/// A quantity along the checkpoints: y = log10 value (`logarithmic`) or the value, x = log10 time.
Series seriesOf(const std::vector<const RunAnalysis*>& runs, const std::vector<double>& times, Quantity q,
                bool logarithmic, int replicateCount) {
  Series s;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    s.x.push_back(std::log10(times[i]));
    const double v = valueOf(*runs[i], q);
    s.y.push_back(logarithmic ? log10OrNan(v) : v);
    std::vector<double> replicates(static_cast<std::size_t>(replicateCount), kNan);
    const std::vector<double>& stored = replicatesOf(*runs[i], q);
    for (std::size_t r = 0; r < replicates.size() && r < stored.size(); ++r) {
      replicates[r] = logarithmic ? log10OrNan(stored[r]) : stored[r];
    }
    s.replicates.push_back(std::move(replicates));
  }
  return s;
}

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0, double e = 0) {
  char text[320];
  std::snprintf(text, sizeof text, pattern, a, b, c, d, e);
  return text;
}

/// The log-log trend of one quantity over checkpoints [first, last].
Trend trendOf(const std::vector<const RunAnalysis*>& runs, const Series& series, Quantity q, const std::string& axis,
              int first, int last, int batches, double confidence) {
  Trend t;
  t.quantity = keyOf(q);
  t.timeAxis = axis;
  t.exponent = t.exponentError = t.intercept = t.ciLow = t.ciHigh = kNan;
  int withValue = 0, notPositive = 0;
  for (int i = first; i <= last; ++i) {
    const double v = valueOf(*runs[static_cast<std::size_t>(i)], q);
    if (!std::isfinite(v)) continue;
    ++withValue;
    notPositive += !(v > 0);
  }
  t.points = withValue;
  if (withValue < 3) {
    t.status = TrendStatus::failure(TrendCode::TooFewPoints, "too few points: " + std::to_string(withValue) +
                                                                 " checkpoint(s) in the window with a value, a slope needs 3");
    return t;
  }
  if (notPositive > 0) {
    t.status = TrendStatus::failure(TrendCode::NotPositive, "not positive at every checkpoint: no log-log slope");
    return t;
  }
  const LineFit fit = trendfits::fitLine(series, first, last, batches, confidence);
  if (!std::isfinite(fit.slope)) {
    t.status = TrendStatus::failure(TrendCode::FitFailed, "slope not determined: every checkpoint at the same time");
    return t;
  }
  t.exponent = fit.slope;
  t.intercept = fit.intercept;
  t.exponentError = fit.standardError;
  t.ciLow = fit.low;
  t.ciHigh = fit.high;
  t.status = TrendStatus::success();
  return t;
}

/// How the batches are paired across the checkpoints, in words.
std::string pairingOf(const std::vector<const RunAnalysis*>& runs) {
  if (runs.empty()) return "";
  bool sameCount = true, sameBatches = true;
  for (const RunAnalysis* r : runs) {
    sameCount &= r->batches == runs.front()->batches;
    sameBatches &= !r->batchesSha256.empty() && r->batchesSha256 == runs.front()->batchesSha256;
  }
  if (!sameCount) {
    return "batch counts differ between checkpoints: each is resampled by index on its own count, intervals use the "
           "smallest";
  }
  if (sameBatches) return "the same batches at every checkpoint (batches_sha256): resampled together";
  return "batches resampled by index together at every checkpoint (not recorded as the same batches: treated as "
         "independent draws)";
}

}  // namespace

RunAnalysis analyzeRun(const Run& run, const AnalysisOptions& options) {
  RunAnalysis a;
  a.runId = run.id;
  a.modelName = run.meta.modelName;
  a.step = run.meta.step;
  a.batches = static_cast<int>(run.batchCount());
  a.batchesSha256 = run.meta.batchesSha256;
  a.loss = run.loss.size() ? run.loss.mean() : kNan;
  const Eigen::Index B = run.loss.size();
  a.lossError = B > 1 ? std::sqrt((run.loss.array() - a.loss).square().sum() / static_cast<double>(B - 1) / B) : kNan;
  a.statistics = profileStatistics(run, options);
  a.frontier = findFrontier(run, options, a.statistics.massFloor, &a.replicates.frontierLambda);
  const FitPoints points = fitPoints(a.statistics, options);
  a.piecewise = fitPiecewise(points);
  a.theory = fitTheory(points);
  a.betterModel = betterModel(a.piecewise, a.theory, &a.aicDifference);

  // The trend quantities on the frontier's bootstrap resamples (the same draws at every run with
  // as many batches), with the full data's weights; the piecewise fit starts from the full fit.
  TrendReplicates& rep = a.replicates;
  if (B < 2 || options.bootstrapSamples < 2 || run.batchCount() != B) {
    rep = TrendReplicates{};
    return a;
  }
  const auto resamples = bootstrapResamples(B, options.bootstrapSamples, options.seed);
  rep.frontierLambda.resize(resamples.size(), kNan);
  ProfileStatistics resampled;
  resampled.window = a.statistics.window;
  resampled.standardError = a.statistics.standardError;
  resampled.massFloor = a.statistics.massFloor;
  for (const auto& sample : resamples) {
    double loss = 0;
    for (Eigen::Index b : sample) loss += run.loss(b) / static_cast<double>(sample.size());
    rep.loss.push_back(loss);
    resampled.mean = resampledMean(run, sample);
    const FitPoints p = fitPoints(resampled, options);
    const TheoryFit theory = fitTheory(p);
    rep.kappa.push_back(theory.fit.ok() ? theory.kappa : kNan);
    rep.p.push_back(theory.fit.ok() ? theory.p : kNan);
    const PiecewiseFit piecewise = a.piecewise.fit.ok() ? fitPiecewise(p, &a.piecewise) : PiecewiseFit{};

    rep.amplitude.push_back(piecewise.fit.ok() ? std::pow(10.0, piecewise.intercept) : kNan);
  }
  return a;
}

const Trend* ModelTrends::find(const std::string& quantity, const std::string& axis) const {
  for (const Trend& t : trends) {
    if (t.quantity == quantity && t.timeAxis == axis) return &t;
  }
  return nullptr;
}

ModelTrends modelTrends(const std::string& modelName, std::vector<const RunAnalysis*> runs, const TrainingLog* log,
                        const StepRange* userWindow, double confidence) {
  ModelTrends m;
  m.modelName = modelName;
  std::sort(runs.begin(), runs.end(), [](const RunAnalysis* a, const RunAnalysis* b) { return a->step < b->step; });
  for (const RunAnalysis* r : runs) m.fingerprint += r->fingerprint + ";";
  m.timeAxis = log ? "accumulated_lr" : "step";
  m.c0 = m.c0Error = m.c0CiLow = m.c0CiHigh = kNan;
  m.meanP = m.meanPError = m.meanPCiLow = m.meanPCiHigh = kNan;
  m.predictedLossExponent = m.predictedLossExponentError = m.predictedCiLow = m.predictedCiHigh = kNan;
  m.measuredLossExponent = m.measuredLossExponentError = m.measuredCiLow = m.measuredCiHigh = kNan;

  // Checkpoints with a positive time on both axes (a log-log slope cannot use t = 0).
  std::vector<const RunAnalysis*> usable;
  std::vector<double> steps, taus;
  for (const RunAnalysis* r : runs) {
    const double tau = log ? log->accumulatedLearningRate(r->step) : kNan;
    if (r->step <= 0 || (log && !(tau > 0))) continue;
    usable.push_back(r);
    steps.push_back(static_cast<double>(r->step));
    taus.push_back(tau);
  }
  const int N = static_cast<int>(usable.size());
  int R = N > 0 ? std::numeric_limits<int>::max() : 0, batches = N > 0 ? std::numeric_limits<int>::max() : 0;
  for (const RunAnalysis* r : usable) {
    R = std::min(R, static_cast<int>(r->replicates.size()));
    batches = std::min(batches, r->batches);
  }
  m.batchPairing = pairingOf(usable);
  const std::vector<double>& modelTimes = log ? taus : steps;
  std::vector<Series> logSeries;  // on the model's time axis, per quantity
  for (Quantity q : kQuantities) logSeries.push_back(seriesOf(usable, modelTimes, q, true, R));
  auto seriesFor = [&](Quantity q) -> const Series& { return logSeries[static_cast<std::size_t>(q)]; };

  // The window: the user's, else detected on loss, λ* and κ.
  TrendWindow& w = m.window;
  w.available = N;
  int first = 0, last = N - 1;
  bool noScaleFreeWindow = false;
  std::string noWindowReason;
  if (userWindow) {
    w.choice = "user";
    w.firstStep = userWindow->first;
    w.lastStep = userWindow->last;
    first = N;
    last = -1;
    for (int i = 0; i < N; ++i) {
      if (w.contains(usable[static_cast<std::size_t>(i)]->step)) {
        first = std::min(first, i);
        last = std::max(last, i);
      }
    }
    w.checkpoints = std::max(0, last - first + 1);
    w.reason = "chosen by the user: steps " + std::to_string(w.firstStep) + " to " + std::to_string(w.lastStep) + ", " +
               std::to_string(w.checkpoints) + " of " + std::to_string(N) + " checkpoints";
  } else {
    // Three two-sided tests at a family-wise level, on the t scale of every interval here.
    const double z = studentTQuantile(1.0 - kWindowTestLevel / 6.0, std::max(1, batches - 1));
    const std::vector<const Series*> tested{&seriesFor(Quantity::Loss), &seriesFor(Quantity::Frontier),
                                            &seriesFor(Quantity::Kappa)};
    const trendfits::DetectedWindow detected =
        N >= kMinWindowCheckpoints && R >= 2 && batches >= 2
            ? trendfits::detectWindow(tested, kMinWindowCheckpoints, z, batches)
            : trendfits::DetectedWindow{};
    if (detected.found) {
      w.choice = "auto";
      first = detected.first;
      last = detected.last;
      w.reason = format("detected: the longest run of consecutive checkpoints (%.0f of %.0f) on which log loss, log λ* "
                        "and log κ bend no more than the batch noise allows (log-log curvature within %.2f bootstrap "
                        "standard errors of zero; worst %.2f)",
                        last - first + 1, N, z, detected.worstScore);
    } else {
      w.choice = "all";
      if (N < kMinWindowCheckpoints) {
        w.reason = "all checkpoints: " + std::to_string(N) + " with a positive time, too few to detect a window (needs " +
                   std::to_string(kMinWindowCheckpoints) + ")";
      } else if (R < 2 || batches < 2) {
        w.reason = "all checkpoints: without batch resamples (fewer than two batches) there is no noise to test a "
                   "power law against";
      } else {
        noScaleFreeWindow = true;
        noWindowReason = format("no scale-free window: no run of %.0f or more consecutive checkpoints has log loss, "
                                "log λ* and log κ straight within the batch noise (curvature beyond %.2f bootstrap "
                                "standard errors, or not testable)",
                                kMinWindowCheckpoints, z);
        w.reason = "all checkpoints: " + noWindowReason;
      }
    }
    w.checkpoints = N > 0 ? last - first + 1 : 0;
    w.firstStep = N > 0 ? usable[static_cast<std::size_t>(first)]->step : -1;
    w.lastStep = N > 0 ? usable[static_cast<std::size_t>(last)]->step : -1;
  }

  std::vector<std::string> axes{"step"};
  if (log) axes.push_back("accumulated_lr");
  for (const std::string& axis : axes) {
    const std::vector<double>& times = axis == "step" ? steps : taus;
    for (Quantity q : kQuantities) {
      const Series series = axis == m.timeAxis ? seriesFor(q) : seriesOf(usable, times, q, true, R);
      m.trends.push_back(trendOf(usable, series, q, axis, first, last, batches, confidence));
    }
  }

  // c0 from κ = k τ on the window: log10 k = mean of log10 κ - log10 τ.
  const Series& kappa = seriesFor(Quantity::Kappa);
  const Series pLinear = seriesOf(usable, modelTimes, Quantity::P, false, R);
  std::vector<int> withFit;
  for (int i = first; i <= last; ++i) {
    if (std::isfinite(kappa.y[static_cast<std::size_t>(i)]) && std::isfinite(pLinear.y[static_cast<std::size_t>(i)])) {
      withFit.push_back(i);
    }
  }
  auto c0And = [&](const std::function<double(int)>& logKappa, const std::function<double(int)>& p, double& meanP) {
    double logK = 0;
    meanP = 0;
    for (int i : withFit) {
      const double y = logKappa(i);
      if (!std::isfinite(y) || !std::isfinite(p(i))) return kNan;
      logK += (y - kappa.x[static_cast<std::size_t>(i)]) / static_cast<double>(withFit.size());
      meanP += p(i) / static_cast<double>(withFit.size());
    }
    return 2.0 / std::pow(10.0, logK) - 1.0;
  };
  const Trend* kappaTrend = m.find("kappa", m.timeAxis);
  std::vector<std::string> failedAssumptions;
  TransportCode firstFailure = TransportCode::Ok;
  auto fail = [&](TransportCode code, const std::string& why) {
    if (firstFailure == TransportCode::Ok) firstFailure = code;
    failedAssumptions.push_back(why);
  };
  if (noScaleFreeWindow) fail(TransportCode::NoWindow, noWindowReason);
  if (withFit.size() < 2) {
    m.c0Status = TransportStatus::failure(TransportCode::TooFewPoints,
                                          "too few points: " + std::to_string(withFit.size()) +
                                              " checkpoint(s) in the window with a theory fit, c0 needs 2");
  } else {
    m.c0 = c0And([&](int i) { return kappa.y[static_cast<std::size_t>(i)]; },
                 [&](int i) { return pLinear.y[static_cast<std::size_t>(i)]; }, m.meanP);
    std::vector<double> c0s, meanPs, predicted;
    for (int r = 0; r < R; ++r) {
      double meanP = kNan;
      const double c0 = c0And([&](int i) { return kappa.replicates[static_cast<std::size_t>(i)][static_cast<std::size_t>(r)]; },
                              [&](int i) { return pLinear.replicates[static_cast<std::size_t>(i)][static_cast<std::size_t>(r)]; },
                              meanP);
      c0s.push_back(c0);
      meanPs.push_back(std::isfinite(c0) ? meanP : kNan);
      predicted.push_back((1 + c0) * meanP + 1);
    }
    const BootstrapInterval c0i = bootstrapInterval(m.c0, c0s, batches, confidence);
    m.c0Error = c0i.standardError;
    m.c0CiLow = c0i.low;
    m.c0CiHigh = c0i.high;
    const BootstrapInterval pi = bootstrapInterval(m.meanP, meanPs, batches, confidence);
    m.meanPError = pi.standardError;
    m.meanPCiLow = pi.low;
    m.meanPCiHigh = pi.high;
    m.predictedLossExponent = (1 + m.c0) * m.meanP + 1;
    const BootstrapInterval li = bootstrapInterval(m.predictedLossExponent, predicted, batches, confidence);
    m.predictedLossExponentError = li.standardError;
    m.predictedCiLow = li.low;
    m.predictedCiHigh = li.high;
    m.c0Status = m.c0 > -1 ? TransportStatus::success()
                           : TransportStatus::failure(TransportCode::KappaNotGrowing,
                                                      "κ does not grow with training: no transport exponent");
    // The transport solution has κ ∝ τ: c0 means something only where the data agree.
    if (kappaTrend && kappaTrend->status.ok() && std::isfinite(kappaTrend->ciLow) &&
        (kappaTrend->ciHigh < 1.0 - kAssumptionTolerance || kappaTrend->ciLow > 1.0 + kAssumptionTolerance)) {
      const bool grows = kappaTrend->ciLow > 0;
      const std::string note =
          grows ? format("not supported by the data: κ grows like τ^%.2f [%.2f, %.2f] on the window, not like τ, so the "
                         "transport solution does not describe these checkpoints",
                         kappaTrend->exponent, kappaTrend->ciLow, kappaTrend->ciHigh)
                : format("not supported by the data: κ does not grow with training on the window (κ ∝ τ^%.2f [%.2f, "
                         "%.2f]), so there is no transport exponent",
                         kappaTrend->exponent, kappaTrend->ciLow, kappaTrend->ciHigh);
      m.c0Status = TransportStatus::failure(grows ? TransportCode::NotLinearInTime : TransportCode::KappaNotGrowing, note);
    }
    if (!m.c0Status.ok()) fail(m.c0Status.code(), m.c0Status.message());
    const bool kappaWide = kappaTrend && kappaTrend->status.ok() && std::isfinite(kappaTrend->ciLow) &&
                           kappaTrend->ciHigh - kappaTrend->ciLow > 2 * kUntestableHalfWidth;
    if (m.c0Status.ok() && kappaWide) {
      fail(TransportCode::Untested,
           format("κ ∝ τ cannot be tested on the window: κ's exponent %.2f [%.2f, %.2f] is too uncertain to tell",
                  kappaTrend->exponent, kappaTrend->ciLow, kappaTrend->ciHigh));
    }
    if (m.c0Status.ok() && !(kappaTrend && kappaTrend->status.ok() && std::isfinite(kappaTrend->ciLow))) {
      fail(TransportCode::Untested,
           kappaTrend && kappaTrend->status.ok()
               ? format("κ ∝ τ cannot be tested on the window: κ's exponent %.2f has no bootstrap interval (the theory "
                        "fit fails on more than a tenth of the batch resamples)",
                        kappaTrend->exponent)
               : "κ ∝ τ cannot be tested on the window: " + (kappaTrend ? kappaTrend->status.message() : std::string("no κ trend")));
    }
    // The prediction takes p as constant on the window.
    const LineFit drift = trendfits::fitLine(pLinear, first, last, batches, confidence);
    const double span = pLinear.x[static_cast<std::size_t>(withFit.back())] - pLinear.x[static_cast<std::size_t>(withFit.front())];
    if (!std::isfinite(drift.low)) {
      fail(TransportCode::Untested, "constant p cannot be tested on the window: its drift has no bootstrap interval");
    } else if ((drift.high - drift.low) * span > 2 * kUntestableHalfWidth) {
      fail(TransportCode::Untested,
           format("constant p cannot be tested on the window: its change %.2f [%.2f, %.2f] is too uncertain to tell",
                  drift.slope * span, drift.low * span, drift.high * span));
    } else if (drift.low * span > kAssumptionTolerance || drift.high * span < -kAssumptionTolerance) {
      fail(TransportCode::PDrifting,
           format("p drifts across the window: from %.2f to %.2f (change %.2f [%.2f, %.2f]), the prediction takes it "
                  "as constant",
                  pLinear.y[static_cast<std::size_t>(withFit.front())], pLinear.y[static_cast<std::size_t>(withFit.back())],
                  drift.slope * span, drift.low * span, drift.high * span));
    }
  }
  if (m.c0Status.ok() && m.timeAxis == "step") {
    m.c0Status = TransportStatus::success("ok (time = step: the session has no learning-rate log)");
  }
  if (m.timeAxis == "step" && std::isfinite(m.predictedLossExponent)) {
    // With the step for τ, k = κ/step carries the learning rate, and so do c0 and the prediction.
    fail(TransportCode::Untested, "the prediction cannot be tested without τ: the session has no learning-rate log, and "
                                  "with the step as time c0 depends on the learning rate");
  }
  if (!std::isfinite(m.predictedLossExponent) && failedAssumptions.empty()) {
    fail(TransportCode::TooFewPoints, m.c0Status.ok() ? "no mean p on the window" : m.c0Status.message());
  }
  if (!failedAssumptions.empty()) {
    std::string why = "not predicted: ";
    for (std::size_t i = 0; i < failedAssumptions.size(); ++i) why += (i ? "; " : "") + failedAssumptions[i];
    m.predictionStatus = TransportStatus::failure(firstFailure, why);
    m.predictedLossExponent = m.predictedLossExponentError = m.predictedCiLow = m.predictedCiHigh = kNan;
  } else {
    m.predictionStatus = TransportStatus::success();
  }
  const Trend* lossTrend = m.find("loss", m.timeAxis);
  if (lossTrend && lossTrend->status.ok()) {
    m.measuredLossExponent = -lossTrend->exponent;  // L ∝ τ^-exponent
    m.measuredLossExponentError = lossTrend->exponentError;
    m.measuredCiLow = -lossTrend->ciHigh;
    m.measuredCiHigh = -lossTrend->ciLow;
    m.lossExponentStatus = TransportStatus::success();
  } else {
    m.lossExponentStatus =
        TransportStatus::failure(TransportCode::NoLossTrend,
                                 lossTrend ? "no loss trend: " + lossTrend->status.message() : "no loss trend");
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
