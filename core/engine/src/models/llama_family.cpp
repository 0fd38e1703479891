// The Llama and OLMo 2 families: Hugging Face config.json (LlamaConfig's and Olmo2Config's keys;
// rope_scaling / rope_parameters of the default and linear kinds, others refused) <-> LlamaConfig,
// and the buffers older checkpoints carry (rotary_emb.inv_freq) and the tied lm_head copy skipped
// on loading. One family class serves both: OLMo 2 is LlamaConfig's Olmo2 variant.
#include <stdexcept>

#include "models/llama.h"
#include "shellscope/base/file_error.h"

namespace shellscope::engine {

using json = nlohmann::json;

namespace {

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class LlamaFamily final : public ModelFamily {
 public:
  explicit LlamaFamily(LlamaConfig::Variant variant) : variant_(variant) {}
  std::string modelType() const override { return variant_ == LlamaConfig::Variant::Olmo2 ? "olmo2" : "llama"; }
  std::vector<std::string> architectures() const override {
    return {variant_ == LlamaConfig::Variant::Olmo2 ? "Olmo2ForCausalLM" : "LlamaForCausalLM"};
  }

  std::unique_ptr<ModelFunction> build(const json& config, const std::string& configPath,
                                       const TensorSource& tensors) const override {
    return std::make_unique<LlamaModel>(llamaConfigFromJson(config, configPath, variant_), tensors);
  }

  /// rotary_emb.inv_freq buffers; lm_head.weight when tied (an untied model asks for it first).
  bool isIgnoredTensor(const std::string& name) const override {
    return endsWith(name, ".rotary_emb.inv_freq") || name == "lm_head.weight";
  }

  json configOf(const ModelFunction& model, const std::string& torchDtype) const override {
    const auto* llama = dynamic_cast<const LlamaModel*>(&model);
    if (!llama || llama->config().variant != variant_) throw std::invalid_argument("not a " + modelType() + " model");
    return llamaConfigJson(llama->config(), torchDtype);
  }

 private:
  LlamaConfig::Variant variant_;
};

}  // namespace

std::unique_ptr<ModelFamily> makeLlamaFamily() { return std::make_unique<LlamaFamily>(LlamaConfig::Variant::Llama); }
std::unique_ptr<ModelFamily> makeOlmo2Family() { return std::make_unique<LlamaFamily>(LlamaConfig::Variant::Olmo2); }

LlamaConfig llamaConfigFromJson(const json& j, const std::string& path, LlamaConfig::Variant variant) {
  if (!j.is_object()) throw FileFormatError(path, "not a JSON object");
  const auto present = [](const json& o, const char* key) { return o.contains(key) && !o[key].is_null(); };
  auto integer = [&](const char* key, std::int64_t fallback, bool required) -> std::int64_t {
    if (!present(j, key)) {
      if (required) throw FileFormatError(path, std::string("missing '") + key + "'");
      return fallback;
    }
    if (!j[key].is_number_integer()) throw FileFormatError(path, std::string("'") + key + "' is not an integer");
    return j[key].get<std::int64_t>();
  };
  auto number = [&](const json& o, const char* key, double fallback) {
    if (!present(o, key)) return fallback;
    if (!o[key].is_number()) throw FileFormatError(path, std::string("'") + key + "' is not a number");
    return o[key].get<double>();
  };
  auto flag = [&](const char* key, bool fallback) {
    if (!present(j, key)) return fallback;
    if (!j[key].is_boolean()) throw FileFormatError(path, std::string("'") + key + "' is not true or false");
    return j[key].get<bool>();
  };
  LlamaConfig c;
  c.variant = variant;
  const bool olmo2 = c.olmo2();
  const std::string type = j.value("model_type", c.modelType());
  if (type != c.modelType()) throw FileFormatError(path, "model_type '" + type + "' is not " + c.modelType());
  c.vocabSize = integer("vocab_size", 0, true);
  c.hiddenSize = integer("hidden_size", 0, true);
  c.intermediateSize = integer("intermediate_size", 0, true);
  c.numLayers = integer("num_hidden_layers", 0, true);
  c.numHeads = integer("num_attention_heads", 0, true);
  c.numKeyValueHeads = integer("num_key_value_heads", c.numHeads, false);
  c.headDim = integer("head_dim", 0, false);
  c.maxPositions = integer("max_position_embeddings", 2048, false);
  c.rmsNormEps = number(j, "rms_norm_eps", olmo2 ? 1e-5 : 1e-6);  // the defaults of LlamaConfig and Olmo2Config
  c.initializerRange = number(j, "initializer_range", 0.02);
  c.attentionBias = flag("attention_bias", false);
  c.mlpBias = flag("mlp_bias", false);
  if (olmo2 && c.mlpBias) throw FileFormatError(path, "'mlp_bias' true is not an OLMo 2 option (its MLP has no biases)");
  c.tieWordEmbeddings = flag("tie_word_embeddings", false);
  c.ropeTheta = number(j, "rope_theta", 10000.0);
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    if (!present(j, key)) continue;
    const json& rope = j[key];
    if (!rope.is_object()) throw FileFormatError(path, std::string("'") + key + "' is not an object");
    const json kind = rope.contains("rope_type") ? rope["rope_type"] : rope.value("type", json("default"));
    if (!kind.is_string()) throw FileFormatError(path, std::string("'") + key + "' has a rope_type that is not a string");
    const std::string ropeType = kind.get<std::string>();
    if (ropeType == "linear") {
      c.ropeLinearFactor = number(rope, "factor", 0.0);
    } else if (ropeType != "default") {
      throw FileFormatError(path, std::string("'") + key + "' of rope_type '" + ropeType +
                                      "' is not supported (default or linear)");
    }
    c.ropeTheta = number(rope, "rope_theta", c.ropeTheta);
  }
  if (present(j, "hidden_act") && j["hidden_act"] != "silu") {
    throw FileFormatError(path, "'hidden_act' " + j["hidden_act"].dump() + " is not supported (only silu)");
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw FileFormatError(path, e.what());
  }
  return c;
}

json llamaConfigJson(const LlamaConfig& c, const std::string& torchDtype) {
  const bool olmo2 = c.olmo2();
  json j = {
      {"architectures", {olmo2 ? "Olmo2ForCausalLM" : "LlamaForCausalLM"}},
      {"model_type", c.modelType()},
      {"vocab_size", c.vocabSize},
      {"hidden_size", c.hiddenSize},
      {"intermediate_size", c.intermediateSize},
      {"num_hidden_layers", c.numLayers},
      {"num_attention_heads", c.numHeads},
      {"num_key_value_heads", c.numKeyValueHeads},
      {"max_position_embeddings", c.maxPositions},
      {"rms_norm_eps", c.rmsNormEps},
      {"rope_theta", c.ropeTheta},
      {"rope_scaling", c.ropeLinearFactor == 1.0 ? json(nullptr) : json{{"rope_type", "linear"}, {"factor", c.ropeLinearFactor}}},
      {"attention_bias", c.attentionBias},
      {"mlp_bias", c.mlpBias},
      {"tie_word_embeddings", c.tieWordEmbeddings},
      {"hidden_act", "silu"},
      {"initializer_range", c.initializerRange},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      {"torch_dtype", torchDtype},
  };
  if (c.headDim > 0) j["head_dim"] = c.headDim;
  if (olmo2) j.erase("mlp_bias");  // not an Olmo2Config key
  return j;
}

}  // namespace shellscope::engine
