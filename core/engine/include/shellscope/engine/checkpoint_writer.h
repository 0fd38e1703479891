#pragma once
// Writing randomly initialised checkpoint folders in the Hugging Face layout (config.json +
// weights), for tests and benchmarks at real shapes: a named GPT-NeoX (Pythia's), GPT-2 or Llama shape, or the
// shape a config.json of any model family this build knows describes. No LibTorch types here.

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/data/checkpoint_series.h"

namespace shellscope {

/// Named shapes: GPT-NeoX pythia-14m, -70m, -160m, -410m, -1b, -1.4b, -2.8b, -6.9b (vocabulary
/// 50432, the others 50304) and the built-in language models tiny-lm, small-lm, base-lm; GPT-2
/// gpt2-small (124M); Llama smollm2-135m, tinyllama-1.1b and amber-7b; OLMo 2 olmo2-7b.
std::vector<std::string> knownModelShapes();

struct RandomCheckpointOptions {
  std::string shape = "pythia-70m";  ///< a known shape, or empty with configPath
  std::string configPath;            ///< a config.json to take the shape from instead
  CheckpointFiles::Layout layout = CheckpointFiles::Layout::Safetensors;
  std::string storeDtype = "float16";  ///< float32 | float16 | bfloat16
  std::uint64_t seed = 0;
  int shards = 2;                    ///< for the sharded layouts
};

/// Writes a randomly initialised model (weights N(0, initializer_range), biases 0, norms 1/0, as
/// GPT-NeoX initialises) to `folder`; returns its parameter count.
std::int64_t writeRandomCheckpoint(const std::string& folder, const RandomCheckpointOptions& options);

/// "safetensors", "sharded-safetensors", "bin", "sharded-bin".
CheckpointFiles::Layout parseLayout(const std::string& text);

}  // namespace shellscope
