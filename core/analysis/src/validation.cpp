// Synthetic profiles with a known frontier, and the bias/coverage study of the estimators
// (validation.h).
#include "shellscope/analysis/validation.h"

#include <cmath>
#include <limits>
#include <random>

#include "shellscope/spectral/run.h"

namespace shellscope::analysis {

namespace {

constexpr double kLn10 = 2.302585092994046;

/// log10 E of E = λ^a exp(-(λ/λ0)^q) (a power law with an exponential collapse; q = 1: the theory
/// form with p + 1 = a, κ = 1/λ0).
std::function<double(double)> powerLawCollapse(double a, double lambda0, double q) {
  return [=](double x) { return a * x - std::pow(std::pow(10.0, x) / lambda0, q) / kLn10; };
}

/// log10 E of a log-normal bump of sd `sigma` decades centred at 10^mu.
std::function<double(double)> logNormal(double mu, double sigma) {
  return [=](double x) { return -(x - mu) * (x - mu) / (2.0 * sigma * sigma) / kLn10; };
}

/// The maximum of f on [lo, hi] (a grid, then golden section around its best point).
double maximumOf(const std::function<double(double)>& f, double lo, double hi) {
  double best = lo;
  for (double x = lo; x <= hi; x += 1e-3) {
    if (f(x) > f(best)) best = x;
  }
  double a = best - 1e-3, b = best + 1e-3;
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  for (int i = 0; i < 100; ++i) {
    const double c = b - g * (b - a), d = a + g * (b - a);
    (f(c) > f(d) ? b : a) = f(c) > f(d) ? d : c;
  }
  return 0.5 * (a + b);
}

/// Where f first falls to `level` going from `from` by `step` (bisection inside the bracket).
double crossingOf(const std::function<double(double)>& f, double from, double step, double level) {
  double x = from;
  for (int i = 0; i < 100000 && f(x + step) > level; ++i) x += step;
  double a = x, b = x + step;
  for (int i = 0; i < 200; ++i) {
    const double m = 0.5 * (a + b);
    (f(m) > level ? a : b) = m;
  }
  return 0.5 * (a + b);
}

/// One batch whose quadrature has a single node at each shell centre, with mass energy(shell)
/// (non-positive or non-finite masses are left out); its loss is sqrt(mean e²) unless set later.
BatchSpectrum spectrumAtShellCentres(const ShellWindow& window, int batch, const std::function<double(int)>& energy) {
  BatchSpectrum s;
  s.batchIndex = batch;
  std::vector<double> values, energies;
  for (int j = 0; j < window.shellCount; ++j) {
    const double e = energy(j);
    if (e > 0 && std::isfinite(e)) {
      values.push_back(window.centre(j));
      energies.push_back(e);
    }
  }
  double total = 0;
  for (double e : energies) total += e;
  s.stepsTaken = static_cast<int>(values.size());
  s.ritzValues = Eigen::Map<Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  s.ritzWeights.resize(s.stepsTaken);
  for (int i = 0; i < s.stepsTaken; ++i) s.ritzWeights(i) = energies[static_cast<std::size_t>(i)] / total;
  s.errorNorm2 = total;
  s.loss = std::sqrt(total);
  s.nTokens = 256;
  return s;
}

/// A float64 run of `spectra` on exactly `window` (the policy's range just inside its edges).
Run syntheticRun(RunMetadata meta, const ShellWindow& window, std::vector<BatchSpectrum> spectra) {
  meta.dtype = "float64";
  meta.shellsPerDecade = window.shellsPerDecade;
  meta.lanczosSteps = window.shellCount;
  ShellWindowPolicy policy;
  policy.lambdaMin = window.edge(0) * 1.0001;
  policy.lambdaMax = window.edge(window.shellCount) * 0.9999;
  return assembleRun(meta, std::move(spectra), policy);
}

SyntheticShape shape(std::string name, std::function<double(double)> f, double collapseFactor) {
  SyntheticShape s;
  s.name = std::move(name);
  s.logEnergy = std::move(f);
  s.peak = maximumOf(s.logEnergy, -4.0, 4.0);
  const double top = s.logEnergy(s.peak);
  s.cutoff = crossingOf(s.logEnergy, s.peak, 1e-3, top + std::log10(collapseFactor));
  const double half = top - std::log10(2.0);
  s.width = crossingOf(s.logEnergy, s.peak, 1e-3, half) - crossingOf(s.logEnergy, s.peak, -1e-3, half);
  return s;
}

/// Tally of one estimate: `estimate`, its interval [lo, hi] and the truth, all in decades.
void tally(EstimateCheck& check, double estimate, double lo, double hi, double truth, std::vector<double>& errors) {
  if (!std::isfinite(estimate) || !std::isfinite(lo) || !std::isfinite(hi)) return;
  ++check.estimated;
  errors.push_back(estimate - truth);
  check.covered += lo <= truth && truth <= hi;
}

void summarise(EstimateCheck& check, const std::vector<double>& errors) {
  if (errors.empty()) {
    check.bias = check.spread = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  double mean = 0;
  for (double e : errors) mean += e / static_cast<double>(errors.size());
  double squares = 0;
  for (double e : errors) squares += (e - mean) * (e - mean);
  check.bias = mean;
  check.spread = errors.size() > 1 ? std::sqrt(squares / static_cast<double>(errors.size() - 1)) : 0.0;
}

}  // namespace

std::vector<SyntheticShape> validationShapes(double collapseFactor) {
  return {
      shape("theory p+1=1.5 κ=1.7", powerLawCollapse(1.5, 1.0 / 1.7, 1.0), collapseFactor),
      shape("theory p+1=0.8 κ=0.5", powerLawCollapse(0.8, 2.0, 1.0), collapseFactor),
      shape("theory p+1=3 κ=10", powerLawCollapse(3.0, 0.1, 1.0), collapseFactor),
      shape("log-normal σ=0.5 dec", logNormal(0.1, 0.5), collapseFactor),
      shape("log-normal σ=0.3 dec", logNormal(-1.0, 0.3), collapseFactor),
      shape("λ e^-λ^4 (sharp collapse)", powerLawCollapse(1.0, 1.0, 4.0), collapseFactor),
      shape("λ^0.5 e^-(λ/3)^4", powerLawCollapse(0.5, 3.0, 4.0), collapseFactor),
      shape("λ e^-λ^2", powerLawCollapse(1.0, 1.0, 2.0), collapseFactor),
      shape("theory, peak on a shell edge", powerLawCollapse(1.5, 1.0 / 1.5, 1.0), collapseFactor),
      shape("theory, peak at a shell centre", powerLawCollapse(1.5, std::pow(10.0, 0.125) / 1.5, 1.0), collapseFactor),
      shape("log-normal, peak on an edge", logNormal(0.0, 0.4), collapseFactor),
      shape("log-normal, peak at a centre", logNormal(0.125, 0.4), collapseFactor),
  };
}

Run syntheticProfileRun(const SyntheticShape& shape, int batches, double noise, std::uint64_t seed, int shellsPerDecade) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  // Four decades below the peak to two and a half above it.
  const ShellWindow window{shellsPerDecade, static_cast<int>(std::floor((shape.peak - 4.0) * shellsPerDecade)),
                           static_cast<int>(6.5 * shellsPerDecade)};
  std::vector<BatchSpectrum> spectra;
  for (int b = 0; b < batches; ++b) {
    spectra.push_back(spectrumAtShellCentres(window, b, [&](int j) {
      return std::pow(10.0, shape.logEnergy(std::log10(window.centre(j)))) * std::exp(normal(rng));
    }));
  }
  RunMetadata meta;
  meta.modelName = "synthetic";
  return syntheticRun(meta, window, std::move(spectra));
}

FrontierValidation validateFrontier(const SyntheticShape& shape, int batches, double noise, int trials,
                                    const AnalysisOptions& options, std::uint64_t seed) {
  FrontierValidation v;
  v.shape = shape.name;
  v.batches = batches;
  v.noise = noise;
  v.trials = trials;
  std::vector<double> peakErrors, cutoffErrors, widthErrors;
  for (int t = 0; t < trials; ++t) {
    const Run run = syntheticProfileRun(shape, batches, noise, seed * 1000003 + static_cast<std::uint64_t>(t));
    AnalysisOptions o = options;
    o.seed = seed + static_cast<std::uint64_t>(t);
    const Frontier f = findFrontier(run, o);
    if (!f.status.ok()) continue;
    tally(v.peak, std::log10(f.lambda), std::log10(f.ciLow), std::log10(f.ciHigh), shape.peak, peakErrors);
    tally(v.cutoff, std::log10(f.cutoffLambda), std::log10(f.cutoffCiLow), std::log10(f.cutoffCiHigh), shape.cutoff,
          cutoffErrors);
    tally(v.width, f.widthDecades, f.widthCiLow, f.widthCiHigh, shape.width, widthErrors);
  }
  summarise(v.peak, peakErrors);
  summarise(v.cutoff, cutoffErrors);
  summarise(v.width, widthErrors);
  return v;
}

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double tauOf(const TrendScenario& s, int k) {
  return s.tauFirst * std::pow(s.tauLast / s.tauFirst, static_cast<double>(k) / (s.checkpoints - 1));
}

}  // namespace

std::vector<TrendScenario> trendScenarios() {
  std::vector<TrendScenario> out;
  const double c0 = 0.5, p = 1.0, a = 0.25;
  TrendScenario base;
  base.checkpoints = 16;
  base.c0 = c0;
  base.frontierExponent = -1.0;
  base.kappaExponent = 1.0;
  base.lossExponent = a;
  base.predictedLossExponent = (1 + c0) * p + 1;
  base.p = [p](double) { return p; };
  {
    TrendScenario s = base;
    s.name = "plateau, window, late decay";
    s.windowFirst = 3;
    s.windowLast = 12;
    const double t0 = tauOf(s, s.windowFirst), T = tauOf(s, s.windowLast);
    s.kappa = [=](double tau) { return 2 * std::max(tau, t0) / (1 + c0); };
    s.loss = [=](double tau) { return 3.0 * std::pow(std::max(tau, t0), -a) * (tau > T ? std::exp(-(tau / T - 1)) : 1.0); };
    out.push_back(s);
  }
  {
    TrendScenario s = base;
    s.name = "power law throughout";
    s.kappa = [=](double tau) { return 2 * tau / (1 + c0); };
    s.loss = [=](double tau) { return 3.0 * std::pow(tau, -a); };
    out.push_back(s);
  }
  {
    TrendScenario s = base;
    s.name = "κ ∝ √τ (not transport)";
    s.kappa = [=](double tau) { return 2 * std::sqrt(tau) / (1 + c0); };
    s.loss = [=](double tau) { return 3.0 * std::pow(tau, -a); };
    s.frontierExponent = -0.5;
    s.kappaExponent = 0.5;
    s.c0 = s.predictedLossExponent = kNan;
    s.assumptionsHold = false;
    out.push_back(s);
  }
  {
    TrendScenario s = base;
    s.name = "p drifts 0.5 to 1.5";
    const double x0 = std::log10(s.tauFirst), x1 = std::log10(s.tauLast);
    s.p = [=](double tau) { return 0.5 + (std::log10(tau) - x0) / (x1 - x0); };
    s.kappa = [=](double tau) { return 2 * tau / (1 + c0); };
    s.loss = [=](double tau) { return 3.0 * std::pow(tau, -a); };
    s.frontierExponent = s.c0 = s.predictedLossExponent = kNan;  // λ* = (p+1)/κ is no power law then
    s.assumptionsHold = false;
    out.push_back(s);
  }
  return out;
}

Session syntheticCheckpointSeries(const TrendScenario& scenario, int batches, double noise, std::uint64_t seed) {
  constexpr double kLearningRate = 1e-3;
  constexpr int kShellsPerDecade = 4;
  // Shared batch effects (per batch and shell, and per batch for the loss), then fresh noise.
  std::mt19937_64 shared(seed);
  std::normal_distribution<double> half(0.0, noise / std::sqrt(2.0));
  const ShellWindow window{kShellsPerDecade, -6 * kShellsPerDecade, 10 * kShellsPerDecade};  // 1e-6 .. 1e4
  std::vector<std::vector<double>> batchEffect(static_cast<std::size_t>(batches));
  std::vector<double> lossEffect;
  for (auto& row : batchEffect) {
    for (int j = 0; j < window.shellCount; ++j) row.push_back(half(shared));
    lossEffect.push_back(half(shared) / 3.0);
  }
  Session session;
  TrainingLog log;
  log.modelName = "synthetic";
  const auto stepOf = [&](int k) { return static_cast<std::int64_t>(std::llround(tauOf(scenario, k) / kLearningRate)); };
  const std::int64_t lastStep = stepOf(scenario.checkpoints - 1);
  for (std::int64_t s = 0; s <= lastStep; ++s) log.steps.push_back(s);
  log.loss = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(log.steps.size()), 1.0);
  log.learningRate = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(log.steps.size()), kLearningRate);
  session.trainingLogs.push_back(log);
  for (int k = 0; k < scenario.checkpoints; ++k) {
    const std::int64_t step = stepOf(k);
    const double tau = kLearningRate * static_cast<double>(step);
    const double kappa = scenario.kappa(tau), p = scenario.p(tau), loss = scenario.loss(tau);
    std::mt19937_64 fresh(seed * 7919 + static_cast<std::uint64_t>(k) + 1);
    std::vector<BatchSpectrum> spectra;
    for (int b = 0; b < batches; ++b) {
      const auto& effect = batchEffect[static_cast<std::size_t>(b)];
      BatchSpectrum spectrum = spectrumAtShellCentres(window, b, [&](int j) {
        const double lambda = window.centre(j);
        return std::pow(lambda, p + 1) * std::exp(-kappa * lambda) * std::exp(effect[static_cast<std::size_t>(j)] + half(fresh));
      });
      spectrum.loss = loss * std::exp(lossEffect[static_cast<std::size_t>(b)] + half(fresh) / 3.0);
      spectra.push_back(spectrum);
    }
    RunMetadata meta;
    meta.modelName = "synthetic";
    meta.step = step;
    meta.batchesSha256 = "synthetic-" + std::to_string(seed);
    session.addRun(syntheticRun(meta, window, std::move(spectra)));
  }
  return session;
}

namespace {

void tallyTrends(TrendEstimateChecks& checks, std::vector<std::vector<double>>& errors, const ModelTrends& m,
                 const TrendScenario& s) {
  const auto exponent = [&](const char* quantity, EstimateCheck& check, std::vector<double>& e, double truth) {
    const Trend* t = m.find(quantity, "accumulated_lr");
    if (t && t->status.ok() && std::isfinite(truth)) tally(check, t->exponent, t->ciLow, t->ciHigh, truth, e);
  };
  exponent("frontier_lambda", checks.frontier, errors[0], s.frontierExponent);
  exponent("kappa", checks.kappa, errors[1], s.kappaExponent);
  if (std::isfinite(s.lossExponent)) {
    tally(checks.loss, m.measuredLossExponent, m.measuredCiLow, m.measuredCiHigh, s.lossExponent, errors[2]);
  }
  if (std::isfinite(s.c0)) tally(checks.c0, m.c0, m.c0CiLow, m.c0CiHigh, s.c0, errors[3]);
  if (std::isfinite(s.predictedLossExponent)) {
    tally(checks.predicted, m.predictedLossExponent, m.predictedCiLow, m.predictedCiHigh, s.predictedLossExponent,
          errors[4]);
  }
}

void summariseTrends(TrendEstimateChecks& checks, const std::vector<std::vector<double>>& errors) {
  summarise(checks.frontier, errors[0]);
  summarise(checks.kappa, errors[1]);
  summarise(checks.loss, errors[2]);
  summarise(checks.c0, errors[3]);
  summarise(checks.predicted, errors[4]);
}

}  // namespace

TrendValidation validateTrends(const TrendScenario& scenario, int batches, double noise, int trials,
                               const AnalysisOptions& options, std::uint64_t seed) {
  TrendValidation v;
  v.scenario = scenario.name;
  v.batches = batches;
  v.noise = noise;
  v.trials = trials;
  std::vector<std::vector<double>> detectedErrors(5), givenErrors(5);
  double shareSum = 0;
  const int trueCount = scenario.windowLast - scenario.windowFirst + 1;
  for (int t = 0; t < trials; ++t) {
    const Session session = syntheticCheckpointSeries(scenario, batches, noise, seed * 1000003 + static_cast<std::uint64_t>(t));
    AnalysisOptions o = options;
    o.seed = seed + static_cast<std::uint64_t>(t);
    std::vector<RunAnalysis> analyses;
    for (const Run& run : session.runs) {
      analyses.push_back(analyzeRun(run, o));
      analyses.back().fingerprint = run.id;
    }
    std::vector<const RunAnalysis*> runs;
    for (const RunAnalysis& a : analyses) runs.push_back(&a);
    const TrainingLog* log = session.findTrainingLog("synthetic");
    const ModelTrends detected = modelTrends("synthetic", runs, log, nullptr, o.confidence);
    const StepRange truth{session.runs[static_cast<std::size_t>(scenario.windowFirst)].meta.step,
                          session.runs[static_cast<std::size_t>(scenario.windowLast)].meta.step};
    const ModelTrends given = modelTrends("synthetic", runs, log, &truth, o.confidence);
    // The detected window against the true one, in checkpoints.
    int inside = 0, first = -1, last = -1;
    for (int k = 0; k < scenario.checkpoints; ++k) {
      if (!detected.window.contains(session.runs[static_cast<std::size_t>(k)].meta.step)) continue;
      if (first < 0) first = k;
      last = k;
      inside += k >= scenario.windowFirst && k <= scenario.windowLast;
    }
    v.windowInside += first >= scenario.windowFirst && last <= scenario.windowLast && first >= 0;
    v.windowExact += first == scenario.windowFirst && last == scenario.windowLast;
    shareSum += static_cast<double>(inside) / trueCount;
    v.predictionWithheld += !detected.predictionStatus.ok();
    tallyTrends(v.detected, detectedErrors, detected, scenario);
    tallyTrends(v.given, givenErrors, given, scenario);
  }
  v.meanWindowShare = trials > 0 ? shareSum / trials : kNan;
  summariseTrends(v.detected, detectedErrors);
  summariseTrends(v.given, givenErrors);
  return v;
}

}  // namespace shellscope::analysis
