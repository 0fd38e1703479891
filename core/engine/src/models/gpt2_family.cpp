// The GPT-2 family: Hugging Face config.json (GPT2Config's keys and its attribute_map aliases)
// <-> Gpt2Config, the stored tensor names with or without "transformer.", and the legacy buffers
// (attn.bias, attn.masked_bias) and the tied lm_head.weight copy skipped on loading.
#include <stdexcept>

#include "models/gpt2.h"
#include "shellscope/base/file_error.h"

namespace shellscope::engine {

using json = nlohmann::json;

namespace {

bool startsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }
bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Gpt2Family final : public ModelFamily {
 public:
  std::string modelType() const override { return "gpt2"; }
  std::vector<std::string> architectures() const override { return {"GPT2LMHeadModel"}; }

  std::unique_ptr<ModelFunction> build(const json& config, const std::string& configPath,
                                       const TensorSource& tensors) const override {
    return std::make_unique<Gpt2Model>(gpt2ConfigFromJson(config, configPath), tensors);
  }

  /// GPT2Model's own checkpoints (openai-community/gpt2) store "h.0.ln_1.weight", GPT2LMHeadModel's
  /// "transformer.h.0.ln_1.weight".
  std::string parameterName(const std::string& stored) const override {
    if (startsWith(stored, "transformer.") || startsWith(stored, "lm_head.")) return stored;
    return "transformer." + stored;
  }

  /// The causal-mask buffers of older checkpoints, and lm_head.weight, which is wte (tied).
  bool isIgnoredTensor(const std::string& name) const override {
    return endsWith(name, ".attn.bias") || endsWith(name, ".attn.masked_bias") || name == "lm_head.weight";
  }

  json configOf(const ModelFunction& model, const std::string& torchDtype) const override {
    const auto* gpt2 = dynamic_cast<const Gpt2Model*>(&model);
    if (!gpt2) throw std::invalid_argument("not a GPT-2 model");
    return gpt2ConfigJson(gpt2->config(), torchDtype);
  }
};

}  // namespace

std::unique_ptr<ModelFamily> makeGpt2Family() { return std::make_unique<Gpt2Family>(); }

Gpt2Config gpt2ConfigFromJson(const json& j, const std::string& path) {
  if (!j.is_object()) throw FileFormatError(path, "not a JSON object");
  const auto present = [&](const char* key) { return j.contains(key) && !j[key].is_null(); };
  // GPT2Config's attribute_map: hidden_size = n_embd, num_hidden_layers = n_layer, ...
  auto integer = [&](const char* key, const char* alias, std::int64_t fallback, bool required) -> std::int64_t {
    const char* found = present(key) ? key : present(alias) ? alias : nullptr;
    if (!found) {
      if (required) throw FileFormatError(path, std::string("missing '") + key + "'");
      return fallback;
    }
    if (!j[found].is_number_integer()) throw FileFormatError(path, std::string("'") + found + "' is not an integer");
    return j[found].get<std::int64_t>();
  };
  auto number = [&](const char* key, double fallback) {
    if (!present(key)) return fallback;
    if (!j[key].is_number()) throw FileFormatError(path, std::string("'") + key + "' is not a number");
    return j[key].get<double>();
  };
  auto flag = [&](const char* key, bool fallback) {
    if (!present(key)) return fallback;
    if (!j[key].is_boolean()) throw FileFormatError(path, std::string("'") + key + "' is not true or false");
    return j[key].get<bool>();
  };
  const std::string type = j.value("model_type", std::string("gpt2"));
  if (type != "gpt2") throw FileFormatError(path, "model_type '" + type + "' is not gpt2");
  Gpt2Config c;
  c.vocabSize = integer("vocab_size", "vocab_size", 0, true);
  c.hiddenSize = integer("n_embd", "hidden_size", 0, true);
  c.numLayers = integer("n_layer", "num_hidden_layers", 0, true);
  c.numHeads = integer("n_head", "num_attention_heads", 0, true);
  c.innerSize = integer("n_inner", "n_inner", 0, false);
  c.maxPositions = integer("n_positions", "max_position_embeddings", 1024, false);
  c.layerNormEps = number("layer_norm_epsilon", 1e-5);
  c.initializerRange = number("initializer_range", 0.02);
  c.scaleAttnWeights = flag("scale_attn_weights", true);
  c.scaleAttnByInverseLayerIdx = flag("scale_attn_by_inverse_layer_idx", false);
  // Hugging Face then computes q k^T (scaled first) and the softmax in fp32: the same function,
  // which ShellScope evaluates in fp32 or fp64 anyway.
  c.reorderAndUpcastAttn = flag("reorder_and_upcast_attn", false);
  if (present("activation_function") && !j["activation_function"].is_string()) {
    throw FileFormatError(path, "'activation_function' is not a string");
  }
  const std::string act = j.value("activation_function", std::string("gelu_new"));
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast") {
    c.activation = Gpt2Config::Activation::GeluTanh;
  } else if (act == "gelu") {
    c.activation = Gpt2Config::Activation::GeluExact;
  } else {
    throw FileFormatError(path, "'activation_function' '" + act +
                                    "' is not supported (gelu_new, gelu_pytorch_tanh, gelu_fast or gelu)");
  }
  if (!flag("tie_word_embeddings", true)) {
    throw FileFormatError(path, "'tie_word_embeddings' false is not supported for gpt2 (lm_head must be wte)");
  }
  if (flag("add_cross_attention", false)) {
    throw FileFormatError(path, "'add_cross_attention' true is not supported (a decoder-only model is needed)");
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw FileFormatError(path, e.what());
  }
  return c;
}

json gpt2ConfigJson(const Gpt2Config& c, const std::string& torchDtype) {
  return {
      {"architectures", {"GPT2LMHeadModel"}},
      {"model_type", "gpt2"},
      {"vocab_size", c.vocabSize},
      {"n_embd", c.hiddenSize},
      {"n_layer", c.numLayers},
      {"n_head", c.numHeads},
      {"n_inner", c.innerSize > 0 ? json(c.innerSize) : json(nullptr)},
      {"n_positions", c.maxPositions},
      {"n_ctx", c.maxPositions},
      {"layer_norm_epsilon", c.layerNormEps},
      {"activation_function", c.activation == Gpt2Config::Activation::GeluTanh ? "gelu_new" : "gelu"},
      {"scale_attn_weights", c.scaleAttnWeights},
      {"scale_attn_by_inverse_layer_idx", c.scaleAttnByInverseLayerIdx},
      {"reorder_and_upcast_attn", c.reorderAndUpcastAttn},
      {"initializer_range", c.initializerRange},
      {"tie_word_embeddings", true},
      {"resid_pdrop", 0.1},
      {"embd_pdrop", 0.1},
      {"attn_pdrop", 0.1},
      {"bos_token_id", c.vocabSize - 1},
      {"eos_token_id", c.vocabSize - 1},
      {"torch_dtype", torchDtype},
  };
}

}  // namespace shellscope::engine
