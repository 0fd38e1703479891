#include "shellscope/analysis/profile_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "shellscope/analysis/least_squares.h"

namespace shellscope::analysis {

namespace {

std::uint64_t splitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (at - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

}  // namespace

std::vector<std::vector<Eigen::Index>> bootstrapResamples(Eigen::Index batches, int count, std::uint64_t seed) {
  std::uint64_t state = seed ^ 0x626F6F74ull;  // "boot"
  std::vector<std::vector<Eigen::Index>> samples(static_cast<std::size_t>(std::max(0, count)));
  for (auto& sample : samples) {
    for (Eigen::Index b = 0; b < batches; ++b) {
      sample.push_back(static_cast<Eigen::Index>(splitMix(state) % static_cast<std::uint64_t>(batches)));
    }
  }
  return samples;
}

BootstrapInterval bootstrapInterval(double estimate, const std::vector<double>& replicates, int batches,
                                    double confidence) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> finite;
  for (double r : replicates) {
    if (std::isfinite(r)) finite.push_back(r);
  }
  if (!std::isfinite(estimate) || batches < 2 || finite.size() < 2 ||
      static_cast<double>(finite.size()) < 0.9 * static_cast<double>(replicates.size())) {
    return {nan, nan, nan};
  }
  double mean = 0;
  for (double r : finite) mean += r / static_cast<double>(finite.size());
  double squares = 0;
  for (double r : finite) squares += (r - mean) * (r - mean);
  const double sd = std::sqrt(squares / static_cast<double>(finite.size() - 1));
  const double error = sd * std::sqrt(static_cast<double>(batches) / static_cast<double>(batches - 1));
  const double half = studentTQuantile(0.5 + confidence / 2.0, batches - 1) * error;
  return {error, estimate - half, estimate + half};
}

Eigen::VectorXd resampledMean(const Run& run, const std::vector<Eigen::Index>& batches) {
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(run.shellCount());
  for (Eigen::Index b : batches) sum += run.shellEnergyBatches.row(b).transpose();
  return sum / static_cast<double>(batches.size());
}

ProfileStatistics profileStatistics(const Run& run, const AnalysisOptions& options) {
  ProfileStatistics s;
  s.window = run.window;
  const Eigen::Index S = run.shellCount(), B = run.batchCount();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.mean = run.shellEnergy;
  s.standardError = Eigen::VectorXd::Zero(S);
  if (B > 1) {
    for (Eigen::Index j = 0; j < S; ++j) {
      const Eigen::VectorXd column = run.shellEnergyBatches.col(j);
      const double variance = (column.array() - column.mean()).square().sum() / static_cast<double>(B - 1);
      s.standardError(j) = std::sqrt(variance / static_cast<double>(B));
    }
  }
  s.batchMinimum = S > 0 && B > 0 ? Eigen::VectorXd(run.shellEnergyBatches.colwise().minCoeff().transpose())
                                  : Eigen::VectorXd::Constant(S, nan);

  // Bootstrap percentile interval of the mean profile.
  s.bootstrapLow = s.bootstrapHigh = s.mean;
  if (B > 1 && options.bootstrapSamples > 1) {
    std::vector<std::vector<double>> perShell(static_cast<std::size_t>(S));
    for (const auto& sample : bootstrapResamples(B, options.bootstrapSamples, options.seed)) {
      const Eigen::VectorXd m = resampledMean(run, sample);
      for (Eigen::Index j = 0; j < S; ++j) perShell[static_cast<std::size_t>(j)].push_back(m(j));
    }
    const double tail = (1.0 - options.confidence) / 2.0;
    for (Eigen::Index j = 0; j < S; ++j) {
      s.bootstrapLow(j) = percentile(perShell[static_cast<std::size_t>(j)], tail);
      s.bootstrapHigh(j) = percentile(perShell[static_cast<std::size_t>(j)], 1.0 - tail);
    }
  }

  // The smallest single quadrature mass per shell.
  s.smallestMass = Eigen::VectorXd::Constant(S, nan);
  for (Eigen::Index b = 0; b < B; ++b) {
    for (Eigen::Index i = 0; i < run.ritzValues.cols(); ++i) {
      const double lambda = run.ritzValues(b, i), weight = run.ritzWeights(b, i);
      if (!std::isfinite(lambda) || !std::isfinite(weight)) continue;
      const int shell = run.window.locate(lambda);
      if (shell < 0 || shell >= S) continue;
      const double mass = run.errorNorm2(b) * weight;
      double& current = s.smallestMass(shell);
      if (std::isnan(current) || mass < current) current = mass;
    }
  }
  const double roundoff = run.meta.dtype == "float64" ? std::ldexp(1.0, -53) : std::ldexp(1.0, -24);
  s.massFloor = run.meanErrorNorm2() * roundoff;
  s.lambdaFloor = run.lambdaFloor;
  return s;
}

}  // namespace shellscope::analysis
