#pragma once
// Hugging Face GPT-NeoX checkpoint folders: config.json plus weights in any of the four layouts
// (model.safetensors, sharded safetensors, pytorch_model.bin, sharded .bin), read into a
// GptNeoxModel with every tensor checked against the config; and the writer the tests and the
// built-in experiment use to produce such folders.

#include <memory>
#include <string>

#include "models/gpt_neox.h"
#include "shellscope/data/checkpoint_series.h"

namespace shellscope::engine {

/// Reads config.json; accepts rotary_pct/rotary_emb_base, partial_rotary_factor/rope_theta and
/// rope_parameters. Throws FileFormatError naming the file and the key.
GptNeoxConfig readGptNeoxConfig(const std::string& path);

/// Writes a config.json that Hugging Face's GPTNeoXConfig reads.
void writeGptNeoxConfig(const std::string& path, const GptNeoxConfig& config, const std::string& torchDtype);

struct LoadedCheckpoint {
  std::unique_ptr<GptNeoxModel> model;
  CheckpointFiles files;
  std::string storedDtypes;  ///< e.g. "F16"
  double seconds = 0;
};

/// Loads a checkpoint folder, converting weights to `dtype`. Missing, extra, mis-shaped or
/// undecodable tensors give one FileFormatError naming the file and the tensor. The legacy
/// buffers attention.bias, attention.masked_bias and attention.rotary_emb.inv_freq are skipped.
LoadedCheckpoint loadGptNeoxCheckpoint(const std::string& folder, at::ScalarType dtype);

/// Writes `model` as a checkpoint folder in `layout` with weights stored as `storeDtype`
/// (F32, F16 or BF16); sharded layouts split the tensors over `shards` files.
void saveGptNeoxCheckpoint(const GptNeoxModel& model, const std::string& folder, CheckpointFiles::Layout layout,
                           at::ScalarType storeDtype, int shards = 2);

}  // namespace shellscope::engine
