// The GPT-NeoX family: Hugging Face config.json (GPTNeoXConfig's keys, the three spellings of
// the rotary settings) <-> GptNeoxConfig, and the model built from a checkpoint's tensors.
#include <stdexcept>

#include "models/gpt_neox.h"
#include "shellscope/base/file_error.h"

namespace shellscope::engine {

using json = nlohmann::json;

namespace {

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double number(const json& j, const char* key, double fallback, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number()) throw FileFormatError(path, std::string("'") + key + "' is not a number");
  return j[key].get<double>();
}

class GptNeoxFamily final : public ModelFamily {
 public:
  std::string modelType() const override { return "gpt_neox"; }
  std::vector<std::string> architectures() const override { return {"GPTNeoXForCausalLM"}; }

  std::unique_ptr<ModelFunction> build(const json& config, const std::string& configPath,
                                       const TensorSource& tensors) const override {
    return std::make_unique<GptNeoxModel>(gptNeoxConfigFromJson(config, configPath), tensors);
  }

  /// Buffers old GPT-NeoX checkpoints carry that are not parameters.
  bool isIgnoredTensor(const std::string& name) const override {
    return endsWith(name, ".attention.bias") || endsWith(name, ".attention.masked_bias") ||
           endsWith(name, ".attention.rotary_emb.inv_freq");
  }

  json configOf(const ModelFunction& model, const std::string& torchDtype) const override {
    const auto* neox = dynamic_cast<const GptNeoxModel*>(&model);
    if (!neox) throw std::invalid_argument("not a GPT-NeoX model");
    return gptNeoxConfigJson(neox->config(), torchDtype);
  }
};

}  // namespace

std::unique_ptr<ModelFamily> makeGptNeoxFamily() { return std::make_unique<GptNeoxFamily>(); }

GptNeoxConfig gptNeoxConfigFromJson(const json& j, const std::string& path) {
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

json gptNeoxConfigJson(const GptNeoxConfig& c, const std::string& torchDtype) {
  return {
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
}

}  // namespace shellscope::engine
