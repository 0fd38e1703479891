#pragma once
// Deterministic synthetic data for the built-in models: the same seed gives the same data on
// every machine (own generator, no library distributions whose algorithms may differ).

#include <cstdint>
#include <vector>

namespace shellscope::engine {

/// SplitMix64: tiny, fast and fully specified.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();   ///< [0, 1)
  double normal();    ///< standard normal (Box-Muller)

 private:
  std::uint64_t state_;
};

/// A token stream from a sparse random Markov chain: every token has a few likely successors with
/// Zipf-like probabilities, plus a little uniform noise, so a language model has structure to learn.
std::vector<std::int64_t> markovTokenStream(std::int64_t vocabSize, std::int64_t length, std::uint64_t seed);

/// Regression data for the MLP: x ~ N(0, I_d), y = Σ_j a_j sin(ω_j · x + φ_j) with a fixed random
/// target function per seed. Point i of batch b depends only on (seed, b, i).
struct RegressionPoints {
  std::vector<double> inputs;   ///< n x d, row-major
  std::vector<double> targets;  ///< n
};
RegressionPoints regressionBatch(int inputDim, std::int64_t points, std::uint64_t seed, std::int64_t batch);

}  // namespace shellscope::engine
