#pragma once
// GPT-NeoX causal language model (the Pythia architecture) as a function of its parameters,
// numerically following Hugging Face GPTNeoXForCausalLM (docs: ../shared formats.md):
// parallel or sequential residual, partial rotary embedding with half-split rotate_half and
// inv_freq in fp32, per-head interleaved fused QKV, exact GELU, untied embed_out. Attention is
// explicit matmul + softmax so that forward-mode AD runs through it. The family (config.json
// <-> GptNeoxConfig, loading and writing) is gpt_neox_family.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <string>

#include "models/model_family.h"
#include "models/model_function.h"

namespace shellscope::engine {

struct GptNeoxConfig {
  std::int64_t vocabSize = 64;
  std::int64_t hiddenSize = 32;
  std::int64_t numLayers = 2;
  std::int64_t numHeads = 4;
  std::int64_t intermediateSize = 128;
  std::int64_t maxPositions = 2048;
  double rotaryPct = 0.25;
  double rotaryBase = 10000.0;
  double layerNormEps = 1e-5;
  bool parallelResidual = true;
  bool attentionBias = true;
  double initializerRange = 0.02;

  std::int64_t headSize() const { return hiddenSize / numHeads; }
  std::int64_t rotaryDims() const { return static_cast<std::int64_t>(headSize() * rotaryPct); }
  /// Throws std::invalid_argument for inconsistent sizes.
  void validate() const;
};

class GptNeoxModel final : public ModelFunction {
 public:
  /// Builds the model from `source`, asked once per parameter in Hugging Face order; measures
  /// `observable` (default: lm-logprob).
  GptNeoxModel(const GptNeoxConfig& config, const TensorSource& source,
               std::shared_ptr<const Observable> observable = languageModelLogProb());
  /// Random initialisation as in GPT-NeoX: weights N(0, initializerRange), biases 0, LayerNorm 1/0.
  static std::unique_ptr<GptNeoxModel> randomlyInitialised(const GptNeoxConfig& config, std::uint64_t seed);

  const GptNeoxConfig& config() const { return config_; }
  ModelDescription description() const override;
  ModelOutput output() const override { return ModelOutput::Logits; }
  const std::vector<at::Tensor>& parameters() const override { return params_; }
  const std::vector<std::string>& parameterNames() const override { return names_; }
  void to(at::Device device, at::ScalarType dtype) override { convertParameters(params_, device, dtype); }

  /// Logits [B, L, V].
  at::Tensor rawOutputs(const std::vector<at::Tensor>& params, const Batch& batch) const override;
  /// Linearisation with the output layer split off exactly (gpt_neox_linearization.cpp), for
  /// observables that offer a logit linearisation; nullptr otherwise.
  std::unique_ptr<ModelLinearization> linearize(const Batch& batch,
                                                const LinearizationOptions& options = {}) const override;
  /// Final hidden states [B, L, H] (after final_layer_norm).
  at::Tensor hiddenStates(const std::vector<at::Tensor>& params, const at::Tensor& inputIds) const;
  /// Logits [B, L, V].
  at::Tensor logits(const std::vector<at::Tensor>& params, const at::Tensor& inputIds) const;

 private:
  // Positions of one layer's tensors in params_ (-1 when absent, e.g. attention without bias).
  struct LayerSlots {
    int ln1Weight, ln1Bias, ln2Weight, ln2Bias, qkvWeight, qkvBias, denseWeight, denseBias;
    int upWeight, upBias, downWeight, downBias;
  };

  friend class GptNeoxLinearization;

  // Activations the tangent pass reuses (detached: they share storage with the autograd graph).
  struct NormActivations {
    at::Tensor input, output;
  };
  struct LayerActivations {
    NormActivations ln1, ln2;
    at::Tensor query, key, value;  ///< [B, heads, T, hs]; query and key after the rotary embedding
    at::Tensor probabilities;      ///< attention softmax [B, heads, T, T]
    at::Tensor merged;             ///< heads merged, before attention.dense [B, T, H]
    at::Tensor preGelu, postGelu;  ///< MLP hidden layer [B, T, I]
  };
  struct Activations {
    std::vector<LayerActivations> layers;
    NormActivations finalNorm;
  };

  /// The body up to the final LayerNorm, [B, T, H]; with `record`, the activations the tangent
  /// pass needs go there.
  at::Tensor forward(const std::vector<at::Tensor>& p, const at::Tensor& inputIds, Activations* record) const;
  /// The pieces of forward(): x_0, x_{l+1} from x_l, and the final LayerNorm.
  at::Tensor embed(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const;
  at::Tensor layer(const std::vector<at::Tensor>& p, size_t l, const at::Tensor& x, LayerActivations* record) const;
  at::Tensor layerNorm(const std::vector<at::Tensor>& p, const at::Tensor& x, int weight, int bias,
                       NormActivations* record) const;
  int add(const TensorSource& source, const std::string& name, std::vector<std::int64_t> shape, TensorRole role);
  at::Tensor attention(const std::vector<at::Tensor>& p, const LayerSlots& slots, const at::Tensor& x,
                       LayerActivations* record) const;
  at::Tensor mlp(const std::vector<at::Tensor>& p, const LayerSlots& slots, const at::Tensor& x,
                 LayerActivations* record) const;
  /// cos and sin tables [T, r] for the rotary embedding, cached per (length, dtype, device).
  std::pair<at::Tensor, at::Tensor> rotaryTables(std::int64_t length, const at::Tensor& like) const;

  GptNeoxConfig config_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> names_;
  int embedIn_ = -1, finalNormWeight_ = -1, finalNormBias_ = -1, embedOut_ = -1;
  std::vector<LayerSlots> layers_;
  mutable std::mutex cacheMutex_;
  mutable std::map<std::string, std::pair<at::Tensor, at::Tensor>> rotaryCache_;
};

}  // namespace shellscope::engine

namespace shellscope::engine {

/// The GPT-NeoX family (model_type "gpt_neox", GPTNeoXForCausalLM) for the registry.
std::unique_ptr<ModelFamily> makeGptNeoxFamily();
/// GptNeoxConfig from a parsed config.json; accepts rotary_pct/rotary_emb_base,
/// partial_rotary_factor/rope_theta and rope_parameters. Throws FileFormatError naming `path`.
GptNeoxConfig gptNeoxConfigFromJson(const nlohmann::json& config, const std::string& path);
/// The config.json Hugging Face's GPTNeoXConfig reads.
nlohmann::json gptNeoxConfigJson(const GptNeoxConfig& config, const std::string& torchDtype);

}  // namespace shellscope::engine
