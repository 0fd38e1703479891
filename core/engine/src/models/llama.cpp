// Llama forward pass, written functionally in the parameters (HF modeling_llama.py):
//   x_0     = embed_tokens[ids]
//   RMSNorm y = w ⊙ x / √(mean(x²) + eps)
//   a       = norm_1(x);  q = a W_q^T (+ b_q), k = a W_k^T (+ b_k), v = a W_v^T (+ b_v)
//   q, k    ← rotary on the full head: q cos + rotate_half(q) sin, inv_freq = 1/θ^(2i/hd) (/ factor)
//   P       = softmax(q k^T / √hd + causal mask), key/value head h·kv/heads serves query head h
//   x'      = x + (P v merged) W_o^T (+ b_o)
//   x_{l+1} = x' + (silu(b W_gate^T) ⊙ (b W_up^T)) W_down^T (+ biases),  b = norm_2(x')
//   z       = norm(x_L) W_out^T,  W_out = embed_tokens when tie_word_embeddings
// OLMo 2 (HF modeling_olmo2.py, Olmo2DecoderLayer / Olmo2Attention) moves the norms after the sublayers
// and normalises q and k over all heads before RoPE:
//   q = rope(q_norm(x W_q^T)), k = rope(k_norm(x W_k^T)), v = x W_v^T
//   x' = x + norm_1(attn(x)),  x_{l+1} = x' + norm_2(mlp(x'))
// Verified against a scalar-loop reference in tests/core/engine/test_llama.cpp.
#include "models/llama.h"

#include <cmath>
#include <stdexcept>

#include "models/tensor_ops.h"

namespace shellscope::engine {

void LlamaConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("Llama config: " + what);
  };
  require(vocabSize > 0 && hiddenSize > 0 && numLayers > 0 && numHeads > 0 && numKeyValueHeads > 0 &&
              intermediateSize > 0 && headDim >= 0,
          "sizes must be positive");
  require(headDim > 0 || hiddenSize % numHeads == 0, "hidden_size must be a multiple of num_attention_heads");
  require(numHeads % numKeyValueHeads == 0, "num_attention_heads must be a multiple of num_key_value_heads");
  require(headSize() % 2 == 0, "the head size must be even for the rotary embedding");
  require(maxPositions > 0, "max_position_embeddings must be positive");
  require(rmsNormEps > 0.0, "rms_norm_eps must be positive");
  require(ropeTheta > 0.0 && ropeLinearFactor > 0.0, "rope_theta and the rope_scaling factor must be positive");
  require(!olmo2() || !mlpBias, "OLMo 2 has no MLP biases");
}

int LlamaModel::add(const TensorSource& source, const std::string& name, std::vector<std::int64_t> shape,
                    TensorRole role) {
  return takeParameter(source, name, shape, role, params_, names_);
}

int LlamaModel::addOptional(bool present, const TensorSource& source, const std::string& name, std::int64_t size) {
  return present ? add(source, name, {size}, TensorRole::Bias) : -1;
}

LlamaModel::LlamaModel(const LlamaConfig& config, const TensorSource& source, std::shared_ptr<const Observable> observable)
    : ModelFunction(std::move(observable)), config_(config) {
  config_.validate();
  const std::int64_t H = config_.hiddenSize, I = config_.intermediateSize, V = config_.vocabSize;
  const std::int64_t qSize = config_.numHeads * config_.headSize(), kvSize = config_.numKeyValueHeads * config_.headSize();
  const bool ab = config_.attentionBias, mb = config_.mlpBias;
  using R = TensorRole;
  embed_ = add(source, "model.embed_tokens.weight", {V, H}, R::Weight);
  const bool olmo2 = config_.olmo2();
  for (std::int64_t l = 0; l < config_.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerSlots s{};
    s.qNorm = s.kNorm = -1;
    if (!olmo2) s.attentionNorm = add(source, p + "input_layernorm.weight", {H}, R::NormWeight);
    s.qWeight = add(source, p + "self_attn.q_proj.weight", {qSize, H}, R::Weight);
    s.qBias = addOptional(ab, source, p + "self_attn.q_proj.bias", qSize);
    s.kWeight = add(source, p + "self_attn.k_proj.weight", {kvSize, H}, R::Weight);
    s.kBias = addOptional(ab, source, p + "self_attn.k_proj.bias", kvSize);
    s.vWeight = add(source, p + "self_attn.v_proj.weight", {kvSize, H}, R::Weight);
    s.vBias = addOptional(ab, source, p + "self_attn.v_proj.bias", kvSize);
    s.oWeight = add(source, p + "self_attn.o_proj.weight", {H, qSize}, R::Weight);
    s.oBias = addOptional(ab, source, p + "self_attn.o_proj.bias", H);
    if (olmo2) {
      s.qNorm = add(source, p + "self_attn.q_norm.weight", {qSize}, R::NormWeight);
      s.kNorm = add(source, p + "self_attn.k_norm.weight", {kvSize}, R::NormWeight);
      s.attentionNorm = add(source, p + "post_attention_layernorm.weight", {H}, R::NormWeight);
    } else {
      s.mlpNorm = add(source, p + "post_attention_layernorm.weight", {H}, R::NormWeight);
    }
    s.gateWeight = add(source, p + "mlp.gate_proj.weight", {I, H}, R::Weight);
    s.gateBias = addOptional(mb, source, p + "mlp.gate_proj.bias", I);
    s.upWeight = add(source, p + "mlp.up_proj.weight", {I, H}, R::Weight);
    s.upBias = addOptional(mb, source, p + "mlp.up_proj.bias", I);
    s.downWeight = add(source, p + "mlp.down_proj.weight", {H, I}, R::Weight);
    s.downBias = addOptional(mb, source, p + "mlp.down_proj.bias", H);
    if (olmo2) s.mlpNorm = add(source, p + "post_feedforward_layernorm.weight", {H}, R::NormWeight);
    layers_.push_back(s);
  }
  finalNorm_ = add(source, "model.norm.weight", {H}, R::NormWeight);
  output_ = config_.tieWordEmbeddings ? embed_ : add(source, "lm_head.weight", {V, H}, R::Weight);
  for (auto& p : params_) p = p.detach().set_requires_grad(true);
}

std::unique_ptr<LlamaModel> LlamaModel::randomlyInitialised(const LlamaConfig& config, std::uint64_t seed) {
  return std::make_unique<LlamaModel>(config, randomTensors(seed, config.initializerRange));
}

ModelDescription LlamaModel::description() const {
  ModelDescription d;
  d.family = config_.modelType();
  d.vocabularySize = config_.vocabSize;
  d.contextLength = config_.maxPositions;
  const std::int64_t embedding = params_[embed_].numel(), finalNorm = params_[finalNorm_].numel();
  const std::int64_t output = output_ == embed_ ? 0 : params_[output_].numel();
  d.parameterGroups = {{output_ == embed_ ? "embedding (also the tied output layer)" : "embedding", embedding},
                       {"layers", parameterCount() - embedding - finalNorm - output},
                       {"final norm", finalNorm}};
  if (output_ != embed_) d.parameterGroups.push_back({"output", output});
  return d;
}

std::pair<at::Tensor, at::Tensor> LlamaModel::rotary(std::int64_t length, const at::Tensor& like) const {
  return rotaryTables(length, config_.headSize(), config_.ropeTheta, like, config_.ropeLinearFactor);
}

at::Tensor LlamaModel::splitHeads(const at::Tensor& x, std::int64_t heads) const {
  const std::int64_t B = x.size(0), T = x.size(1);
  const at::Tensor split = x.view({B, T, heads, config_.headSize()}).permute({0, 2, 1, 3});
  // repeat_kv: key/value head j serves query heads j*rep ... j*rep + rep - 1.
  return heads == config_.numHeads ? split : split.repeat_interleave(config_.numHeads / heads, 1);
}

at::Tensor LlamaModel::attention(const std::vector<at::Tensor>& p, const LayerSlots& s, const at::Tensor& x,
                                 LayerActivations* record) const {
  const std::int64_t T = x.size(1), kv = config_.numKeyValueHeads, hd = config_.headSize();
  const auto [cos, sin] = rotary(T, x);
  at::Tensor qProjected = at::linear(x, p[s.qWeight], optionalParameter(p, s.qBias));
  at::Tensor kProjected = at::linear(x, p[s.kWeight], optionalParameter(p, s.kBias));
  if (s.qNorm >= 0) {  // OLMo 2: over all heads at once, before the split and RoPE
    qProjected = rmsNorm(p, qProjected, s.qNorm, record ? &record->qNorm : nullptr);
    kProjected = rmsNorm(p, kProjected, s.kNorm, record ? &record->kNorm : nullptr);
  }
  const at::Tensor q = applyRotary(splitHeads(qProjected, config_.numHeads), cos, sin, hd);
  const at::Tensor k = applyRotary(splitHeads(kProjected, kv), cos, sin, hd);
  const at::Tensor v = splitHeads(at::linear(x, p[s.vWeight], optionalParameter(p, s.vBias)), kv);
  const auto [probabilities, merged] = causalAttention(q, k, v, 1.0 / std::sqrt(static_cast<double>(hd)));
  if (record) {
    record->attentionInput = x.detach();
    record->query = q.detach();
    record->key = k.detach();
    record->value = v.detach();
    record->probabilities = probabilities.detach();
    record->merged = merged.detach();
  }
  return at::linear(merged, p[s.oWeight], optionalParameter(p, s.oBias));
}

at::Tensor LlamaModel::mlp(const std::vector<at::Tensor>& p, const LayerSlots& s, const at::Tensor& x,
                           LayerActivations* record) const {
  const at::Tensor gate = at::linear(x, p[s.gateWeight], optionalParameter(p, s.gateBias));
  const at::Tensor up = at::linear(x, p[s.upWeight], optionalParameter(p, s.upBias));
  const at::Tensor product = at::silu(gate) * up;
  if (record) {
    record->mlpInput = x.detach();
    record->gate = gate.detach();
    record->up = up.detach();
    record->product = product.detach();
  }
  return at::linear(product, p[s.downWeight], optionalParameter(p, s.downBias));
}

at::Tensor LlamaModel::rmsNorm(const std::vector<at::Tensor>& p, const at::Tensor& x, int weight,
                               NormActivations* record) const {
  at::Tensor y = x * (x.square().mean(-1, true) + config_.rmsNormEps).rsqrt() * p[weight];
  if (record) *record = NormActivations{x.detach(), y.detach()};
  return y;
}

at::Tensor LlamaModel::embed(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const {
  return at::embedding(p[embed_], inputIds);
}

at::Tensor LlamaModel::layer(const std::vector<at::Tensor>& p, size_t l, const at::Tensor& input,
                             LayerActivations* keep) const {
  const LayerSlots& s = layers_[l];
  NormActivations* attentionNorm = keep ? &keep->attentionNorm : nullptr;
  NormActivations* mlpNorm = keep ? &keep->mlpNorm : nullptr;
  if (config_.olmo2()) {
    const at::Tensor x = input + rmsNorm(p, attention(p, s, input, keep), s.attentionNorm, attentionNorm);
    return x + rmsNorm(p, mlp(p, s, x, keep), s.mlpNorm, mlpNorm);
  }
  const at::Tensor x = input + attention(p, s, rmsNorm(p, input, s.attentionNorm, attentionNorm), keep);
  return x + mlp(p, s, rmsNorm(p, x, s.mlpNorm, mlpNorm), keep);
}

at::Tensor LlamaModel::forward(const std::vector<at::Tensor>& p, const at::Tensor& inputIds, Activations* record) const {
  if (record) record->layers.resize(layers_.size());
  at::Tensor x = embed(p, inputIds);
  for (size_t l = 0; l < layers_.size(); ++l) x = layer(p, l, x, record ? &record->layers[l] : nullptr);
  return rmsNorm(p, x, finalNorm_, record ? &record->finalNorm : nullptr);
}

at::Tensor LlamaModel::rawOutputs(const std::vector<at::Tensor>& p, const Batch& batch) const {
  return at::matmul(forward(p, batch.inputs, nullptr), p[output_].t());
}

}  // namespace shellscope::engine
