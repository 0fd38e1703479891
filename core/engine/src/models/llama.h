#pragma once
// Llama-style causal language model (Llama 2, TinyLlama, LLM360 Amber, SmolLM2, and OLMo 2 as a
// variant) as a function of its parameters, numerically following Hugging Face LlamaForCausalLM
// (transformers/models/llama/modeling_llama.py) and Olmo2ForCausalLM (models/olmo2/
// modeling_olmo2.py): RMSNorm before each block (OLMo 2: after each sublayer, on its output, and
// RMSNorm q_norm/k_norm over the whole q and k projections before the heads and RoPE) and after the last,
// rotary embedding on the full head (half-split rotate_half, inv_freq in fp32, rope_theta,
// optional linear rope_scaling), grouped-query attention (num_key_value_heads, key/value heads
// repeated as repeat_kv does), separate q/k/v/o projections, SwiGLU MLP down(silu(gate x) * up x),
// optional biases (attention_bias, mlp_bias), tied or untied output. The family (config.json <->
// LlamaConfig) is llama_family.cpp, the tangent pass llama_linearization.cpp.

#include <cstdint>
#include <memory>
#include <string>

#include "models/model_family.h"
#include "models/model_function.h"

namespace shellscope::engine {

struct LlamaConfig {
  /// Llama: x + attn(norm(x)), x + mlp(norm(x)).  OLMo 2: x + norm(attn(x)), x + norm(mlp(x)),
  /// q = q_norm(x W_q^T), k = k_norm(x W_k^T) (RMSNorm over all heads at once), no MLP biases.
  enum class Variant { Llama, Olmo2 };
  Variant variant = Variant::Llama;
  std::int64_t vocabSize = 64;
  std::int64_t hiddenSize = 32;
  std::int64_t numLayers = 2;
  std::int64_t numHeads = 4;
  std::int64_t numKeyValueHeads = 4;
  std::int64_t headDim = 0;  ///< 0 means hidden_size / num_attention_heads
  std::int64_t intermediateSize = 88;
  std::int64_t maxPositions = 2048;
  double rmsNormEps = 1e-6;
  double ropeTheta = 10000.0;
  double ropeLinearFactor = 1.0;  ///< rope_scaling {rope_type: linear, factor}; 1 = none
  bool attentionBias = false;
  bool mlpBias = false;
  bool tieWordEmbeddings = false;
  double initializerRange = 0.02;

  std::int64_t headSize() const { return headDim > 0 ? headDim : hiddenSize / numHeads; }
  bool olmo2() const { return variant == Variant::Olmo2; }
  /// config.json's model_type: "llama" or "olmo2".
  std::string modelType() const { return olmo2() ? "olmo2" : "llama"; }
  /// Throws std::invalid_argument for inconsistent sizes.
  void validate() const;
};

class LlamaModel final : public ModelFunction {
 public:
  LlamaModel(const LlamaConfig& config, const TensorSource& source,
             std::shared_ptr<const Observable> observable = languageModelLogProb());
  static std::unique_ptr<LlamaModel> randomlyInitialised(const LlamaConfig& config, std::uint64_t seed);

  const LlamaConfig& config() const { return config_; }
  ModelDescription description() const override;
  ModelOutput output() const override { return ModelOutput::Logits; }
  const std::vector<at::Tensor>& parameters() const override { return params_; }
  const std::vector<std::string>& parameterNames() const override { return names_; }
  void to(at::Device device, at::ScalarType dtype) override { convertParameters(params_, device, dtype); }

  /// Logits [B, L, V].
  at::Tensor rawOutputs(const std::vector<at::Tensor>& params, const Batch& batch) const override;
  /// Hand-written tangent pass (llama_linearization.cpp) with the plain product (no output split),
  /// for observables that linearise at the logits; nullptr otherwise.
  std::unique_ptr<ModelLinearization> linearize(const Batch& batch,
                                                const LinearizationOptions& options = {}) const override;

 private:
  /// attentionNorm / mlpNorm: the RMSNorm of each sublayer, before it (Llama's input_layernorm,
  /// post_attention_layernorm) or after it (OLMo 2's post_attention_layernorm,
  /// post_feedforward_layernorm); qNorm, kNorm: OLMo 2's, -1 for Llama.
  struct LayerSlots {
    int attentionNorm, mlpNorm, qNorm, kNorm, qWeight, qBias, kWeight, kBias, vWeight, vBias, oWeight, oBias;
    int gateWeight, gateBias, upWeight, upBias, downWeight, downBias;
  };
  friend class LlamaLinearization;

  struct NormActivations {
    at::Tensor input, output;
  };
  struct LayerActivations {
    NormActivations attentionNorm, mlpNorm, qNorm, kNorm;
    at::Tensor attentionInput, mlpInput;  ///< what the q/k/v and gate/up projections see [B, T, H]
    at::Tensor query, key, value;  ///< [B, heads, T, hd]; key and value repeated to every query head
    at::Tensor probabilities;      ///< [B, heads, T, T]
    at::Tensor merged;             ///< [B, T, heads * hd], before o_proj
    at::Tensor gate, up, product;  ///< MLP: gate x, up x, silu(gate x) * up x  [B, T, I]
  };
  struct Activations {
    std::vector<LayerActivations> layers;
    NormActivations finalNorm;
  };

  at::Tensor forward(const std::vector<at::Tensor>& p, const at::Tensor& inputIds, Activations* record) const;
  /// The pieces of forward(): x_0 and x_{l+1} from x_l.
  at::Tensor embed(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const;
  at::Tensor layer(const std::vector<at::Tensor>& p, size_t l, const at::Tensor& x, LayerActivations* record) const;
  at::Tensor attention(const std::vector<at::Tensor>& p, const LayerSlots& s, const at::Tensor& x,
                       LayerActivations* record) const;
  /// down(silu(gate x) ⊙ up x).
  at::Tensor mlp(const std::vector<at::Tensor>& p, const LayerSlots& s, const at::Tensor& x, LayerActivations* record) const;
  /// w ⊙ x / √(mean(x²) + eps) over the last dimension.
  at::Tensor rmsNorm(const std::vector<at::Tensor>& p, const at::Tensor& x, int weight, NormActivations* record) const;
  /// [B, T, heads * hd] -> [B, heads, T, hd], key/value heads repeated to the query heads.
  at::Tensor splitHeads(const at::Tensor& x, std::int64_t heads) const;
  std::pair<at::Tensor, at::Tensor> rotary(std::int64_t length, const at::Tensor& like) const;
  int add(const TensorSource& source, const std::string& name, std::vector<std::int64_t> shape, TensorRole role);
  int addOptional(bool present, const TensorSource& source, const std::string& name, std::int64_t size);

  LlamaConfig config_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> names_;
  int embed_ = -1, finalNorm_ = -1, output_ = -1;  ///< output_ == embed_ when tied
  std::vector<LayerSlots> layers_;
};

/// The Llama family (model_type "llama", LlamaForCausalLM) for the registry.
std::unique_ptr<ModelFamily> makeLlamaFamily();
/// The OLMo 2 family (model_type "olmo2", Olmo2ForCausalLM): the Llama model's Olmo2 variant.
std::unique_ptr<ModelFamily> makeOlmo2Family();
/// LlamaConfig of `variant` from a parsed config.json. Throws FileFormatError naming `path` and the key.
LlamaConfig llamaConfigFromJson(const nlohmann::json& config, const std::string& path,
                                LlamaConfig::Variant variant = LlamaConfig::Variant::Llama);
/// The config.json Hugging Face's LlamaConfig (Olmo2Config for the OLMo 2 variant) reads.
nlohmann::json llamaConfigJson(const LlamaConfig& config, const std::string& torchDtype);

}  // namespace shellscope::engine
