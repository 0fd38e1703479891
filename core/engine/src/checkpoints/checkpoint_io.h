#pragma once
// Hugging Face checkpoint folders of any registered model family (models/model_family.h):
// config.json plus weights in any of the four layouts (model.safetensors, sharded safetensors,
// pytorch_model.bin, sharded .bin), read into the family's ModelFunction with every tensor checked
// against what the config implies; and the writer the tests, benchmarks and the built-in
// experiment use to produce such folders.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "models/model_family.h"
#include "shellscope/data/checkpoint_series.h"

namespace shellscope::engine {

/// Reads and parses a JSON file; throws FileFormatError naming it.
nlohmann::json readJsonFile(const std::string& path);

struct LoadedCheckpoint {
  std::unique_ptr<ModelFunction> model;
  CheckpointFiles files;
  std::string family;        ///< model_type of the family that read it
  std::string storedDtypes;  ///< e.g. "F16"
  double seconds = 0;
};

/// Loads a checkpoint folder, converting weights to `dtype` on `device` one tensor at a time,
/// straight from the file's memory map (so a GPU load never holds the model in host memory). An
/// unknown model_type, and missing, extra, mis-shaped or undecodable tensors give one
/// FileFormatError naming the file and the tensor. Tensors the family ignores (GPT-NeoX's legacy
/// buffers) are skipped.
LoadedCheckpoint loadCheckpoint(const std::string& folder, at::ScalarType dtype, const at::Device& device = at::kCPU);

/// A model of the family `config` selects with random weights (models/model_family.h).
std::unique_ptr<ModelFunction> randomModel(const nlohmann::json& config, const std::string& configPath,
                                           std::uint64_t seed);

/// Writes `model` as a checkpoint folder in `layout` with weights stored as `storeDtype`
/// (F32, F16, BF16 or F64); sharded layouts split the tensors over `shards` files.
void saveCheckpoint(const ModelFunction& model, const std::string& folder, CheckpointFiles::Layout layout,
                    at::ScalarType storeDtype, int shards = 2);

}  // namespace shellscope::engine
