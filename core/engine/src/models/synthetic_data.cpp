#include "models/synthetic_data.h"

#include <cmath>

namespace shellscope::engine {

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double SplitMix64::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::vector<std::int64_t> markovTokenStream(std::int64_t vocabSize, std::int64_t length, std::uint64_t seed) {
  constexpr int kSuccessors = 4;
  constexpr double kNoise = 0.05;
  SplitMix64 rng(seed ^ 0x6D61726B6F76ull);  // "markov"
  std::vector<std::int64_t> successors(static_cast<size_t>(vocabSize * kSuccessors));
  for (auto& s : successors) s = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(vocabSize));

  std::vector<std::int64_t> stream(static_cast<size_t>(length));
  std::int64_t token = 0;
  for (std::int64_t t = 0; t < length; ++t) {
    stream[static_cast<size_t>(t)] = token;
    if (rng.uniform() < kNoise) {
      token = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(vocabSize));
    } else {
      // Successor j with probability ∝ 1/(j+1).
      const double harmonic = 1.0 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4;
      double u = rng.uniform() * harmonic;
      int j = 0;
      while (j < kSuccessors - 1 && u >= 1.0 / (j + 1)) u -= 1.0 / (j++ + 1);
      token = successors[static_cast<size_t>(token * kSuccessors + j)];
    }
  }
  return stream;
}

RegressionPoints regressionBatch(int inputDim, std::int64_t points, std::uint64_t seed, std::int64_t batch) {
  constexpr int kTerms = 6;
  SplitMix64 target(seed ^ 0x7461726765747300ull);  // "targets"
  std::vector<double> amplitude(kTerms), phase(kTerms), omega(static_cast<size_t>(kTerms * inputDim));
  for (int j = 0; j < kTerms; ++j) {
    amplitude[static_cast<size_t>(j)] = 1.0 / (j + 1);
    phase[static_cast<size_t>(j)] = 2.0 * M_PI * target.uniform();
    for (int k = 0; k < inputDim; ++k) omega[static_cast<size_t>(j * inputDim + k)] = target.normal() * (0.5 + 0.5 * j);
  }

  RegressionPoints data;
  data.inputs.resize(static_cast<size_t>(points * inputDim));
  data.targets.resize(static_cast<size_t>(points));
  SplitMix64 rng(seed * 0x100000001B3ull + static_cast<std::uint64_t>(batch) + 1);
  for (std::int64_t i = 0; i < points; ++i) {
    double* x = &data.inputs[static_cast<size_t>(i * inputDim)];
    for (int k = 0; k < inputDim; ++k) x[k] = rng.normal();
    double y = 0.0;
    for (int j = 0; j < kTerms; ++j) {
      double dot = phase[static_cast<size_t>(j)];
      for (int k = 0; k < inputDim; ++k) dot += omega[static_cast<size_t>(j * inputDim + k)] * x[k];
      y += amplitude[static_cast<size_t>(j)] * std::sin(dot);
    }
    data.targets[static_cast<size_t>(i)] = y;
  }
  return data;
}

}  // namespace shellscope::engine
