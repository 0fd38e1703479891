// GPT-NeoX forward pass (formats.md "Forward pass"), written functionally in the parameters.
#include "models/gpt_neox.h"

#include "models/tensor_ops.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace shellscope::engine {

void GptNeoxConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("GPT-NeoX config: " + what);
  };
  require(vocabSize > 0 && hiddenSize > 0 && numLayers > 0 && numHeads > 0 && intermediateSize > 0,
          "sizes must be positive");
  require(hiddenSize % numHeads == 0, "hidden_size must be a multiple of num_attention_heads");
  require(rotaryPct >= 0.0 && rotaryPct <= 1.0, "rotary_pct must lie in [0, 1]");
  require(rotaryDims() % 2 == 0, "rotary dimensions (head size * rotary_pct) must be even");
  require(maxPositions > 0, "max_position_embeddings must be positive");
  require(layerNormEps > 0.0, "layer_norm_eps must be positive");
}

int GptNeoxModel::add(const TensorSource& source, const std::string& name, std::vector<std::int64_t> shape,
                      TensorRole role) {
  return takeParameter(source, name, shape, role, params_, names_);
}

GptNeoxModel::GptNeoxModel(const GptNeoxConfig& config, const TensorSource& source,
                           std::shared_ptr<const Observable> observable)
    : ModelFunction(std::move(observable)), config_(config) {
  config_.validate();
  const std::int64_t H = config_.hiddenSize, I = config_.intermediateSize, V = config_.vocabSize;
  using R = TensorRole;
  embedIn_ = add(source, "gpt_neox.embed_in.weight", {V, H}, R::Weight);
  for (std::int64_t l = 0; l < config_.numLayers; ++l) {
    const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
    LayerSlots s{};
    s.ln1Weight = add(source, p + "input_layernorm.weight", {H}, R::NormWeight);
    s.ln1Bias = add(source, p + "input_layernorm.bias", {H}, R::NormBias);
    s.ln2Weight = add(source, p + "post_attention_layernorm.weight", {H}, R::NormWeight);
    s.ln2Bias = add(source, p + "post_attention_layernorm.bias", {H}, R::NormBias);
    s.qkvWeight = add(source, p + "attention.query_key_value.weight", {3 * H, H}, R::Weight);
    s.qkvBias = config_.attentionBias ? add(source, p + "attention.query_key_value.bias", {3 * H}, R::Bias) : -1;
    s.denseWeight = add(source, p + "attention.dense.weight", {H, H}, R::Weight);
    s.denseBias = config_.attentionBias ? add(source, p + "attention.dense.bias", {H}, R::Bias) : -1;
    s.upWeight = add(source, p + "mlp.dense_h_to_4h.weight", {I, H}, R::Weight);
    s.upBias = add(source, p + "mlp.dense_h_to_4h.bias", {I}, R::Bias);
    s.downWeight = add(source, p + "mlp.dense_4h_to_h.weight", {H, I}, R::Weight);
    s.downBias = add(source, p + "mlp.dense_4h_to_h.bias", {H}, R::Bias);
    layers_.push_back(s);
  }
  finalNormWeight_ = add(source, "gpt_neox.final_layer_norm.weight", {H}, R::NormWeight);
  finalNormBias_ = add(source, "gpt_neox.final_layer_norm.bias", {H}, R::NormBias);
  embedOut_ = add(source, "embed_out.weight", {V, H}, R::Weight);
  for (auto& p : params_) p = p.detach().set_requires_grad(true);
}

std::unique_ptr<GptNeoxModel> GptNeoxModel::randomlyInitialised(const GptNeoxConfig& config, std::uint64_t seed) {
  return std::make_unique<GptNeoxModel>(config, randomTensors(seed, config.initializerRange));
}

ModelDescription GptNeoxModel::description() const {
  ModelDescription d;
  d.family = "gpt_neox";
  d.vocabularySize = config_.vocabSize;
  d.contextLength = config_.maxPositions;
  auto count = [&](int slot) { return slot >= 0 ? params_[static_cast<size_t>(slot)].numel() : std::int64_t{0}; };
  const std::int64_t embedding = count(embedIn_), output = count(embedOut_);
  const std::int64_t finalNorm = count(finalNormWeight_) + count(finalNormBias_);
  d.parameterGroups = {{"embedding", embedding},
                       {"layers", parameterCount() - embedding - output - finalNorm},
                       {"final norm", finalNorm},
                       {"output", output}};
  return d;
}

std::pair<at::Tensor, at::Tensor> GptNeoxModel::rotaryTables(std::int64_t length, const at::Tensor& like) const {
  const std::string key = std::to_string(length) + "/" + std::string(c10::toString(like.scalar_type())) + "/" +
                          like.device().str();
  std::lock_guard<std::mutex> lock(cacheMutex_);
  auto found = rotaryCache_.find(key);
  if (found != rotaryCache_.end()) return found->second;
  auto tables = engine::rotaryTables(length, config_.rotaryDims(), config_.rotaryBase, like);
  rotaryCache_.emplace(key, tables);
  return tables;
}


at::Tensor GptNeoxModel::attention(const std::vector<at::Tensor>& p, const LayerSlots& s, const at::Tensor& x,
                                   LayerActivations* record) const {
  const std::int64_t B = x.size(0), T = x.size(1), heads = config_.numHeads, hs = config_.headSize();
  // Fused QKV rows are interleaved per head: [B, T, heads, 3*hs] -> q, k, v of hs each.
  const at::Tensor qkv = at::linear(x, p[s.qkvWeight], optionalParameter(p, s.qkvBias)).view({B, T, heads, 3 * hs}).permute({0, 2, 1, 3});
  at::Tensor q = qkv.narrow(-1, 0, hs);
  at::Tensor k = qkv.narrow(-1, hs, hs);
  const at::Tensor v = qkv.narrow(-1, 2 * hs, hs);
  const auto [cos, sin] = rotaryTables(T, x);
  q = applyRotary(q, cos, sin, config_.rotaryDims());
  k = applyRotary(k, cos, sin, config_.rotaryDims());

  const auto [probabilities, merged] = causalAttention(q, k, v, 1.0 / std::sqrt(static_cast<double>(hs)));
  if (record) {
    record->query = q.detach();
    record->key = k.detach();
    record->value = v.detach();
    record->probabilities = probabilities.detach();
    record->merged = merged.detach();
  }
  return at::linear(merged, p[s.denseWeight], optionalParameter(p, s.denseBias));
}

at::Tensor GptNeoxModel::mlp(const std::vector<at::Tensor>& p, const LayerSlots& s, const at::Tensor& x,
                             LayerActivations* record) const {
  const at::Tensor pre = at::linear(x, p[s.upWeight], p[s.upBias]);
  const at::Tensor post = at::gelu(pre);
  if (record) {
    record->preGelu = pre.detach();
    record->postGelu = post.detach();
  }
  return at::linear(post, p[s.downWeight], p[s.downBias]);
}

at::Tensor GptNeoxModel::layerNorm(const std::vector<at::Tensor>& p, const at::Tensor& x, int weight, int bias,
                                   NormActivations* record) const {
  at::Tensor y = at::layer_norm(x, {config_.hiddenSize}, p[weight], p[bias], config_.layerNormEps);
  if (record) *record = NormActivations{x.detach(), y.detach()};
  return y;
}

at::Tensor GptNeoxModel::embed(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const {
  return at::embedding(p[embedIn_], inputIds);
}

at::Tensor GptNeoxModel::layer(const std::vector<at::Tensor>& p, size_t l, const at::Tensor& x,
                               LayerActivations* keep) const {
  const LayerSlots& s = layers_[l];
  const at::Tensor attn =
      attention(p, s, layerNorm(p, x, s.ln1Weight, s.ln1Bias, keep ? &keep->ln1 : nullptr), keep);
  if (config_.parallelResidual) {
    // x + Attn(LN1(x)) + MLP(LN2(x)): LN2 sees x, not x + attn.
    return x + attn + mlp(p, s, layerNorm(p, x, s.ln2Weight, s.ln2Bias, keep ? &keep->ln2 : nullptr), keep);
  }
  const at::Tensor mid = x + attn;
  return mid + mlp(p, s, layerNorm(p, mid, s.ln2Weight, s.ln2Bias, keep ? &keep->ln2 : nullptr), keep);
}

at::Tensor GptNeoxModel::forward(const std::vector<at::Tensor>& p, const at::Tensor& inputIds,
                                 Activations* record) const {
  if (record) record->layers.resize(layers_.size());
  at::Tensor x = embed(p, inputIds);
  for (size_t l = 0; l < layers_.size(); ++l) x = layer(p, l, x, record ? &record->layers[l] : nullptr);
  return layerNorm(p, x, finalNormWeight_, finalNormBias_, record ? &record->finalNorm : nullptr);
}

at::Tensor GptNeoxModel::hiddenStates(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const {
  return forward(p, inputIds, nullptr);
}

at::Tensor GptNeoxModel::logits(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const {
  return at::matmul(hiddenStates(p, inputIds), p[embedOut_].t());
}

at::Tensor GptNeoxModel::rawOutputs(const std::vector<at::Tensor>& p, const Batch& batch) const {
  return logits(p, batch.inputs);
}

}  // namespace shellscope::engine
