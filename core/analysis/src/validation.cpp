// Synthetic profiles with a known frontier, and the bias/coverage study of the estimators
// (validation.h).
#include "shellscope/analysis/validation.h"

#include <cmath>
#include <limits>
#include <random>

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
    BatchSpectrum s;
    s.batchIndex = b;
    std::vector<double> values, energies;
    for (int j = 0; j < window.shellCount; ++j) {
      const double e = std::pow(10.0, shape.logEnergy(std::log10(window.centre(j)))) * std::exp(normal(rng));
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
    spectra.push_back(s);
  }
  RunMetadata meta;
  meta.modelName = "synthetic";
  meta.dtype = "float64";
  meta.shellsPerDecade = shellsPerDecade;
  meta.lanczosSteps = window.shellCount;
  ShellWindowPolicy policy;
  policy.lambdaMin = window.edge(0) * 1.0001;
  policy.lambdaMax = window.edge(window.shellCount) * 0.9999;
  return assembleRun(meta, std::move(spectra), policy);
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

}  // namespace shellscope::analysis
