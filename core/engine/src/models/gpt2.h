#pragma once
// GPT-2 causal language model as a function of its parameters, numerically following Hugging
// Face GPT2LMHeadModel (transformers/models/gpt2/modeling_gpt2.py): learned absolute positions
// (wpe), LayerNorm before each block and after the last (ln_f), sequential residual, fused c_attn
// split as [q | k | v] (not per head), Conv1D layers whose weights are stored [in, out] (the
// transpose of nn.Linear), GELU with the tanh approximation (gelu_new) or exact, and the output
// layer tied to wte. Attention is explicit matmul + softmax. The family (config.json <->
// Gpt2Config) is gpt2_family.cpp, the tangent pass gpt2_linearization.cpp.

#include <cstdint>
#include <memory>
#include <string>

#include "models/model_family.h"
#include "models/model_function.h"

namespace shellscope::engine {

struct Gpt2Config {
  enum class Activation { GeluTanh, GeluExact };

  std::int64_t vocabSize = 64;
  std::int64_t hiddenSize = 32;       ///< n_embd
  std::int64_t numLayers = 2;         ///< n_layer
  std::int64_t numHeads = 4;          ///< n_head
  std::int64_t innerSize = 0;         ///< n_inner; 0 means 4 * n_embd
  std::int64_t maxPositions = 1024;   ///< n_positions
  double layerNormEps = 1e-5;         ///< layer_norm_epsilon
  Activation activation = Activation::GeluTanh;
  bool scaleAttnWeights = true;                ///< scores / sqrt(head size)
  bool scaleAttnByInverseLayerIdx = false;     ///< scores / (layer index + 1)
  bool reorderAndUpcastAttn = false;           ///< HF computes q k^T in fp32: the same function here
  double initializerRange = 0.02;

  std::int64_t headSize() const { return hiddenSize / numHeads; }
  std::int64_t mlpSize() const { return innerSize > 0 ? innerSize : 4 * hiddenSize; }
  /// The factor of q k^T in layer `layer` (0-based).
  double attentionScale(std::int64_t layer) const;
  /// Throws std::invalid_argument for inconsistent sizes.
  void validate() const;
};

class Gpt2Model final : public ModelFunction {
 public:
  /// Builds the model from `source`, asked once per parameter in Hugging Face order.
  Gpt2Model(const Gpt2Config& config, const TensorSource& source,
            std::shared_ptr<const Observable> observable = languageModelLogProb());
  static std::unique_ptr<Gpt2Model> randomlyInitialised(const Gpt2Config& config, std::uint64_t seed);

  const Gpt2Config& config() const { return config_; }
  ModelDescription description() const override;
  ModelOutput output() const override { return ModelOutput::Logits; }
  const std::vector<at::Tensor>& parameters() const override { return params_; }
  const std::vector<std::string>& parameterNames() const override { return names_; }
  void to(at::Device device, at::ScalarType dtype) override { convertParameters(params_, device, dtype); }

  /// Logits [B, L, V] = ln_f(body) wte^T.
  at::Tensor rawOutputs(const std::vector<at::Tensor>& params, const Batch& batch) const override;
  /// Hand-written tangent pass (gpt2_linearization.cpp) for observables that linearise at the
  /// logits; the tied output layer is not split off (plain product); nullptr otherwise.
  std::unique_ptr<ModelLinearization> linearize(const Batch& batch,
                                                const LinearizationOptions& options = {}) const override;

 private:
  struct LayerSlots {
    int ln1Weight, ln1Bias, ln2Weight, ln2Bias, attnWeight, attnBias, attnProjWeight, attnProjBias;
    int fcWeight, fcBias, mlpProjWeight, mlpProjBias;
  };
  friend class Gpt2Linearization;

  struct NormActivations {
    at::Tensor input, output;
  };
  struct LayerActivations {
    NormActivations ln1, ln2;
    at::Tensor query, key, value;  ///< [B, heads, T, hs]
    at::Tensor probabilities;      ///< [B, heads, T, T]
    at::Tensor merged;             ///< [B, T, H], before attn.c_proj
    at::Tensor preGelu, postGelu;  ///< [B, T, I]
  };
  struct Activations {
    std::vector<LayerActivations> layers;
    NormActivations finalNorm;
  };

  at::Tensor forward(const std::vector<at::Tensor>& p, const at::Tensor& inputIds, Activations* record) const;
  /// The pieces of forward(): x_0, x_{l+1} from x_l, and a LayerNorm.
  at::Tensor embed(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const;
  at::Tensor layer(const std::vector<at::Tensor>& p, size_t l, const at::Tensor& x, LayerActivations* record) const;
  at::Tensor layerNorm(const std::vector<at::Tensor>& p, const at::Tensor& x, int weight, int bias,
                       NormActivations* record) const;
  at::Tensor attention(const std::vector<at::Tensor>& p, std::int64_t layer, const at::Tensor& x,
                       LayerActivations* record) const;
  at::Tensor activation(const at::Tensor& x) const;
  at::Tensor activationSlope(const at::Tensor& x) const;
  int add(const TensorSource& source, const std::string& name, std::vector<std::int64_t> shape, TensorRole role);

  Gpt2Config config_;
  std::vector<at::Tensor> params_;
  std::vector<std::string> names_;
  int wte_ = -1, wpe_ = -1, finalNormWeight_ = -1, finalNormBias_ = -1;
  std::vector<LayerSlots> layers_;
};

/// The GPT-2 family (model_type "gpt2", GPT2LMHeadModel) for the registry.
std::unique_ptr<ModelFamily> makeGpt2Family();
/// Gpt2Config from a parsed config.json. Throws FileFormatError naming `path` and the key.
Gpt2Config gpt2ConfigFromJson(const nlohmann::json& config, const std::string& path);
/// The config.json Hugging Face's GPT2Config reads.
nlohmann::json gpt2ConfigJson(const Gpt2Config& config, const std::string& torchDtype);

}  // namespace shellscope::engine
