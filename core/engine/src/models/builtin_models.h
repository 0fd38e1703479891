#pragma once
// Built-in models ("builtin:<name>") with their own synthetic data, for tests, benchmarks and the
// default run: GPT-NeoX language models of a few sizes on a Markov token stream, and an MLP
// regressor on a sum of sines.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compute/batch_source.h"
#include "models/gpt_neox.h"
#include "models/mlp_regressor.h"

namespace shellscope::engine {

inline constexpr const char* kBuiltinPrefix = "builtin:";

bool isBuiltinModel(const std::string& spec);
/// The names after "builtin:", e.g. "tiny-lm".
std::vector<std::string> builtinNames();
/// Throws std::invalid_argument listing the known names when `spec` is not one of them.
std::unique_ptr<ModelFunction> makeBuiltinModel(const std::string& spec, std::uint64_t seed);
/// The built-in LM configurations by name (tiny-lm, small-lm, base-lm).
GptNeoxConfig builtinLmConfig(const std::string& name);
/// The model's own synthetic data, cut into `batches` batches of batchSize x seqLen points: a
/// Markov token stream over its vocabulary when its observable reads token ids, sums of sines of
/// its inputs when it reads real values.
std::unique_ptr<BatchSource> makeBuiltinData(const ModelFunction& model, std::int64_t batches, std::int64_t batchSize,
                                             std::int64_t seqLen, std::uint64_t seed);

}  // namespace shellscope::engine
