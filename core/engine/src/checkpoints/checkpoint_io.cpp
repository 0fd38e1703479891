#include "checkpoints/checkpoint_io.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoints/safetensors.h"
#include "checkpoints/torch_state_dict.h"
#include "shellscope/base/file_error.h"
#include "shellscope/base/input_file.h"
#include "shellscope/base/progress.h"

namespace shellscope::engine {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string shapeText(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

json readJsonFile(const std::string& path) {
  requireRegularFile(path);
  std::ifstream in(path);
  if (!in) throw FileFormatError(path, "cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw FileFormatError(path, std::string("not valid JSON: ") + e.what());
  }
}

namespace {

/// The tensors of all weight files of a checkpoint, by name.
std::map<std::string, StoredTensor> collectTensors(const CheckpointFiles& files, const ModelFamily& family) {
  using Layout = CheckpointFiles::Layout;
  const bool safetensors = files.layout == Layout::Safetensors || files.layout == Layout::ShardedSafetensors;
  auto readFile = [&](const std::string& path) {
    return safetensors ? readSafetensors(path) : readTorchStateDict(path);
  };
  std::map<std::string, StoredTensor> tensors;
  auto addAll = [&](std::vector<StoredTensor> list) {
    for (StoredTensor& t : list) {
      const auto [it, fresh] = tensors.emplace(family.parameterName(t.name), t);
      if (!fresh) {
        throw FileFormatError(t.file, "tensor '" + t.name + "' also appears in " + it->second.file +
                                          (it->second.name == t.name ? "" : " as '" + it->second.name + "'"));
      }
    }
  };
  if (files.layout == Layout::Safetensors || files.layout == Layout::TorchBin) {
    addAll(readFile(files.weights));
    return tensors;
  }
  // Sharded: the index's weight_map names the shard of every tensor.
  const json index = readJsonFile(files.weights);
  if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw FileFormatError(files.weights, "no weight_map: not a sharded checkpoint index");
  }
  std::map<std::string, std::string> shardOf;
  std::set<std::string> shards;
  for (const auto& [name, file] : index["weight_map"].items()) {
    if (!file.is_string()) throw FileFormatError(files.weights, "weight_map entry of '" + name + "' is not a file name");
    const std::string shard = file.get<std::string>();
    if (shard.find('/') != std::string::npos || shard == ".." ) {
      throw FileFormatError(files.weights, "shard '" + shard + "' is not a file in the checkpoint folder");
    }
    shardOf[family.parameterName(name)] = shard;
    shards.insert(shard);
  }
  for (const std::string& shard : shards) {
    const std::string path = (fs::path(files.folder) / shard).string();
    if (!fs::exists(path)) throw FileFormatError(path, "missing shard named by " + files.weights);
    addAll(readFile(path));
  }
  for (const auto& [name, shard] : shardOf) {
    const auto found = tensors.find(name);
    if (found == tensors.end()) {
      throw FileFormatError((fs::path(files.folder) / shard).string(), "tensor '" + name + "' named by the index is missing");
    }
    if (fs::path(found->second.file).filename() != shard) {
      throw FileFormatError(found->second.file, "tensor '" + name + "' is in this shard, the index says " + shard);
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (!shardOf.count(name) && !family.isIgnoredTensor(name)) {
      throw FileFormatError(tensor.file, "tensor '" + name + "' is not listed in " + files.weights);
    }
  }
  return tensors;
}

}  // namespace

LoadedCheckpoint loadCheckpoint(const std::string& folder, at::ScalarType dtype, const at::Device& device) {
  const double start = monotonicSeconds();
  LoadedCheckpoint loaded;
  loaded.files = locateCheckpoint(folder);
  const json config = readJsonFile(loaded.files.config);
  const ModelFamily& family = ModelFamilyRegistry::instance().forConfig(config, loaded.files.config);
  loaded.family = family.modelType();
  // The weight files are read when the family asks for its first tensor, after it has checked
  // config.json: a bad config is reported before anything about the weights.
  std::map<std::string, StoredTensor> tensors;
  bool collected = false;
  std::set<std::string> storedDtypes;
  auto source = [&](const std::string& name, const std::vector<std::int64_t>& shape, TensorRole) {
    if (!collected) {
      tensors = collectTensors(loaded.files, family);
      collected = true;
    }
    const auto found = tensors.find(name);
    if (found == tensors.end()) {
      throw FileFormatError(loaded.files.weights, "tensor '" + name + "' is missing (config.json implies shape " +
                                                      shapeText(shape) + ")");
    }
    const StoredTensor& t = found->second;
    if (t.shape != shape) {
      throw FileFormatError(t.file, "tensor '" + name + "' has shape " + shapeText(t.shape) + ", config.json implies " +
                                        shapeText(shape));
    }
    if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16" && t.dtype != "F64") {
      throw FileFormatError(t.file, "tensor '" + name + "' has dtype " + t.dtype + ", expected F32, F16 or BF16");
    }
    storedDtypes.insert(t.dtype);
    at::Tensor value = t.load().to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
    tensors.erase(found);
    return value;
  };
  loaded.model = family.build(config, loaded.files.config, source);
  if (!collected) tensors = collectTensors(loaded.files, family);  // a model without parameters
  for (const auto& [name, t] : tensors) {
    if (!family.isIgnoredTensor(name)) {
      throw FileFormatError(t.file, "unexpected tensor '" + name + "' (not a parameter of " + family.modelType() +
                                        " with this config.json)");
    }
  }
  for (const std::string& d : storedDtypes) loaded.storedDtypes += (loaded.storedDtypes.empty() ? "" : ",") + d;
  loaded.seconds = monotonicSeconds() - start;
  return loaded;
}

std::unique_ptr<ModelFunction> randomModel(const json& config, const std::string& configPath, std::uint64_t seed) {
  const ModelFamily& family = ModelFamilyRegistry::instance().forConfig(config, configPath);
  return family.build(config, configPath, randomTensors(seed, family.initializerRange(config)));
}

void saveCheckpoint(const ModelFunction& model, const std::string& folder, CheckpointFiles::Layout layout,
                    at::ScalarType storeDtype, int shards) {
  using Layout = CheckpointFiles::Layout;
  const ModelFamily& family = ModelFamilyRegistry::instance().named(model.description().family);
  fs::create_directories(folder);
  const std::string torchDtype = storeDtype == at::kHalf       ? "float16"
                                 : storeDtype == at::kBFloat16 ? "bfloat16"
                                 : storeDtype == at::kDouble   ? "float64"
                                                               : "float32";
  // config.json goes last, by rename: a folder with a config is a complete checkpoint, and a save
  // that is killed leaves none (checkpoint_series.h refuses a config without weights).
  const auto writeConfig = [&] {
    const std::string configPath = (fs::path(folder) / "config.json").string();
    const std::string staging = configPath + ".partial";
    {
      std::ofstream out(staging);
      if (!out) throw FileFormatError(configPath, "cannot create the file");
      out << family.configOf(model, torchDtype).dump(2) << "\n";
      if (!out) throw FileFormatError(configPath, "write failed");
    }
    fs::rename(staging, configPath);
  };
  std::vector<std::pair<std::string, at::Tensor>> named;
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    named.emplace_back(model.parameterNames()[i], model.parameters()[i].detach().to(at::kCPU, storeDtype));
  }
  const bool safetensors = layout == Layout::Safetensors || layout == Layout::ShardedSafetensors;
  auto write = [&](const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& part) {
    if (safetensors) {
      writeSafetensors(path, part, {{"format", "pt"}});
    } else {
      writeTorchStateDict(path, part);
    }
  };
  if (layout == Layout::Safetensors || layout == Layout::TorchBin) {
    write((fs::path(folder) / (safetensors ? "model.safetensors" : "pytorch_model.bin")).string(), named);
    writeConfig();
    return;
  }
  const int count = std::max(1, shards);
  json weightMap = json::object();
  std::int64_t totalSize = 0;
  for (int s = 0; s < count; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, safetensors ? "model-%05d-of-%05d.safetensors" : "pytorch_model-%05d-of-%05d.bin",
                  s + 1, count);
    std::vector<std::pair<std::string, at::Tensor>> part;
    for (std::size_t i = static_cast<std::size_t>(s); i < named.size(); i += static_cast<std::size_t>(count)) {
      part.push_back(named[i]);
      weightMap[named[i].first] = name;
      totalSize += named[i].second.numel() * named[i].second.element_size();
    }
    write((fs::path(folder) / name).string(), part);
  }
  const json index = {{"metadata", {{"total_size", totalSize}}}, {"weight_map", weightMap}};
  std::ofstream out(fs::path(folder) / (safetensors ? "model.safetensors.index.json" : "pytorch_model.bin.index.json"));
  out << index.dump(2) << "\n";
  if (!out) throw FileFormatError(folder, "cannot write the shard index");
  out.close();
  writeConfig();
}

}  // namespace shellscope::engine
