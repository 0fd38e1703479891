#pragma once
// Synthetic runs with known profiles for tests of the analysis and the views: per-batch shell
// energies equal a chosen curve times lognormal noise, with one Ritz value per shell so that the
// masses and the energy identity are consistent.

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "shellscope/spectral/run.h"

namespace shellscope {

inline constexpr double kLn10 = 2.302585092994046;

/// A run whose per-batch shell energies are `truth(λ_centre)` times lognormal noise (σ in natural
/// log units), with one Ritz value per shell so that masses and the energy identity are consistent.
inline Run syntheticRun(const std::function<double(double)>& truth, double noise, int batches, std::uint64_t seed,
                 int firstEdge = -12, int shells = 24, const std::string& model = "synthetic", std::int64_t step = 1000) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  std::vector<BatchSpectrum> spectra;
  ShellWindow window{4, firstEdge, shells};
  for (int b = 0; b < batches; ++b) {
    BatchSpectrum s;
    s.batchIndex = b;
    std::vector<double> values, energies;
    for (int j = 0; j < shells; ++j) {
      const double e = truth(window.centre(j)) * std::exp(normal(rng));
      if (e > 0) {
        values.push_back(window.centre(j));
        energies.push_back(e);
      }
    }
    double total = 0;
    for (double e : energies) total += e;
    s.stepsTaken = static_cast<int>(values.size());
    s.ritzValues = Eigen::Map<Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
    s.ritzWeights.resize(s.stepsTaken);
    for (int i = 0; i < s.stepsTaken; ++i) s.ritzWeights(i) = energies[static_cast<size_t>(i)] / total;
    s.errorNorm2 = total;
    s.loss = std::sqrt(total);
    s.nTokens = 256;
    spectra.push_back(s);
  }
  RunMetadata meta;
  meta.modelName = model;
  meta.step = step;
  meta.lanczosSteps = shells;
  meta.shellsPerDecade = 4;
  meta.dtype = "float64";
  ShellWindowPolicy policy;
  policy.lambdaMin = window.edge(0) * 1.0001;
  policy.lambdaMax = window.edge(shells) * 0.9999;
  Run run = assembleRun(meta, spectra, policy);
  run.id = "run-" + std::to_string(step);
  return run;
}

inline std::function<double(double)> theoryCurve(double logC, double p, double kappa) {
  return [=](double lambda) { return std::pow(10.0, logC) * std::pow(lambda, p + 1) * std::exp(-kappa * lambda); };
}

}  // namespace shellscope
