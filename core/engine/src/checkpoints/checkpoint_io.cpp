#include "checkpoints/checkpoint_io.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "checkpoints/safetensors.h"
#include "checkpoints/torch_state_dict.h"
#include "shellscope/base/file_error.h"
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

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Buffers old GPT-NeoX checkpoints carry that are not parameters.
bool isLegacyBuffer(const std::string& name) {
  return endsWith(name, ".attention.bias") || endsWith(name, ".attention.masked_bias") ||
         endsWith(name, ".attention.rotary_emb.inv_freq");
}

json readJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileFormatError(path, "cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw FileFormatError(path, std::string("not valid JSON: ") + e.what());
  }
}

/// The tensors of all weight files of a checkpoint, by name.
std::map<std::string, StoredTensor> collectTensors(const CheckpointFiles& files) {
  using Layout = CheckpointFiles::Layout;
  const bool safetensors = files.layout == Layout::Safetensors || files.layout == Layout::ShardedSafetensors;
  auto readFile = [&](const std::string& path) {
    return safetensors ? readSafetensors(path) : readTorchStateDict(path);
  };
  std::map<std::string, StoredTensor> tensors;
  auto addAll = [&](std::vector<StoredTensor> list) {
    for (StoredTensor& t : list) {
      const auto [it, fresh] = tensors.emplace(t.name, t);
      if (!fresh) throw FileFormatError(t.file, "tensor '" + t.name + "' also appears in " + it->second.file);
    }
  };
  if (files.layout == Layout::Safetensors || files.layout == Layout::TorchBin) {
    addAll(readFile(files.weights));
    return tensors;
  }
  // Sharded: the index's weight_map names the shard of every tensor.
  const json index = readJson(files.weights);
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
    shardOf[name] = shard;
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
    if (!shardOf.count(name) && !isLegacyBuffer(name)) {
      throw FileFormatError(tensor.file, "tensor '" + name + "' is not listed in " + files.weights);
    }
  }
  return tensors;
}

double number(const json& j, const char* key, double fallback, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number()) throw FileFormatError(path, std::string("'") + key + "' is not a number");
  return j[key].get<double>();
}

}  // namespace

GptNeoxConfig readGptNeoxConfig(const std::string& path) {
  const json j = readJson(path);
  if (!j.is_object()) throw FileFormatError(path, "not a JSON object");
  GptNeoxConfig c;
  auto integer = [&](const char* key) -> std::int64_t {
    if (!j.contains(key)) throw FileFormatError(path, std::string("missing '") + key + "'");
    if (!j[key].is_number_integer()) throw FileFormatError(path, std::string("'") + key + "' is not an integer");
    return j[key].get<std::int64_t>();
  };
  auto flag = [&](const char* key, bool fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    if (!j[key].is_boolean()) throw FileFormatError(path, std::string("'") + key + "' is not true or false");
    return j[key].get<bool>();
  };
  const std::string type = j.value("model_type", std::string("gpt_neox"));
  if (type != "gpt_neox") throw FileFormatError(path, "model_type '" + type + "' is not gpt_neox");
  c.hiddenSize = integer("hidden_size");
  c.numLayers = integer("num_hidden_layers");
  c.numHeads = integer("num_attention_heads");
  c.intermediateSize = integer("intermediate_size");
  c.vocabSize = integer("vocab_size");
  c.maxPositions = j.contains("max_position_embeddings") ? integer("max_position_embeddings") : 2048;
  c.layerNormEps = number(j, "layer_norm_eps", 1e-5, path);
  c.parallelResidual = flag("use_parallel_residual", true);
  c.attentionBias = flag("attention_bias", true);
  c.initializerRange = number(j, "initializer_range", 0.02, path);
  // Rotary: rope_parameters > partial_rotary_factor/rope_theta > rotary_pct/rotary_emb_base.
  c.rotaryPct = number(j, "rotary_pct", 0.25, path);
  c.rotaryBase = number(j, "rotary_emb_base", 10000.0, path);
  c.rotaryPct = number(j, "partial_rotary_factor", c.rotaryPct, path);
  c.rotaryBase = number(j, "rope_theta", c.rotaryBase, path);
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    const json& rope = j[key];
    if (!rope.is_object()) throw FileFormatError(path, std::string("'") + key + "' is not an object");
    const std::string ropeType = rope.value("rope_type", rope.value("type", std::string("default")));
    if (ropeType != "default") throw FileFormatError(path, "RoPE type '" + ropeType + "' is not supported (only default)");
    c.rotaryPct = number(rope, "partial_rotary_factor", c.rotaryPct, path);
    c.rotaryBase = number(rope, "rope_theta", c.rotaryBase, path);
  }
  const std::string act = j.value("hidden_act", std::string("gelu"));
  if (act != "gelu") throw FileFormatError(path, "hidden_act '" + act + "' is not supported (only exact 'gelu')");
  if (flag("tie_word_embeddings", false)) throw FileFormatError(path, "tied word embeddings are not supported");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw FileFormatError(path, e.what());
  }
  return c;
}

void writeGptNeoxConfig(const std::string& path, const GptNeoxConfig& c, const std::string& torchDtype) {
  const json j = {
      {"architectures", {"GPTNeoXForCausalLM"}},
      {"model_type", "gpt_neox"},
      {"hidden_size", c.hiddenSize},
      {"num_hidden_layers", c.numLayers},
      {"num_attention_heads", c.numHeads},
      {"intermediate_size", c.intermediateSize},
      {"vocab_size", c.vocabSize},
      {"max_position_embeddings", c.maxPositions},
      {"rotary_pct", c.rotaryPct},
      {"rotary_emb_base", c.rotaryBase},
      {"layer_norm_eps", c.layerNormEps},
      {"use_parallel_residual", c.parallelResidual},
      {"attention_bias", c.attentionBias},
      {"hidden_act", "gelu"},
      {"initializer_range", c.initializerRange},
      {"tie_word_embeddings", false},
      {"bos_token_id", 0},
      {"eos_token_id", 0},
      {"torch_dtype", torchDtype},
  };
  std::ofstream out(path);
  if (!out) throw FileFormatError(path, "cannot create the file");
  out << j.dump(2) << "\n";
  if (!out) throw FileFormatError(path, "write failed");
}

LoadedCheckpoint loadGptNeoxCheckpoint(const std::string& folder, at::ScalarType dtype) {
  const double start = monotonicSeconds();
  LoadedCheckpoint loaded;
  loaded.files = locateCheckpoint(folder);
  const GptNeoxConfig config = readGptNeoxConfig(loaded.files.config);
  std::map<std::string, StoredTensor> tensors = collectTensors(loaded.files);
  std::set<std::string> storedDtypes;
  auto source = [&](const std::string& name, const std::vector<std::int64_t>& shape, GptNeoxModel::TensorRole) {
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
    at::Tensor value = t.load().to(dtype, /*non_blocking=*/false, /*copy=*/true);
    tensors.erase(found);
    return value;
  };
  loaded.model = std::make_unique<GptNeoxModel>(config, source);
  for (const auto& [name, t] : tensors) {
    if (!isLegacyBuffer(name)) {
      throw FileFormatError(t.file, "unexpected tensor '" + name + "' (not a parameter of GPT-NeoX with this config.json)");
    }
  }
  for (const std::string& d : storedDtypes) loaded.storedDtypes += (loaded.storedDtypes.empty() ? "" : ",") + d;
  loaded.seconds = monotonicSeconds() - start;
  return loaded;
}

void saveGptNeoxCheckpoint(const GptNeoxModel& model, const std::string& folder, CheckpointFiles::Layout layout,
                           at::ScalarType storeDtype, int shards) {
  using Layout = CheckpointFiles::Layout;
  fs::create_directories(folder);
  const std::string torchDtype = storeDtype == at::kHalf ? "float16" : storeDtype == at::kBFloat16 ? "bfloat16" : "float32";
  writeGptNeoxConfig((fs::path(folder) / "config.json").string(), model.config(), torchDtype);
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
}

}  // namespace shellscope::engine
