// GPT-2 forward pass, written functionally in the parameters (HF modeling_gpt2.py, eval mode):
//   x_0     = wte[ids] + wpe[0 .. T-1]
//   a       = ln_1(x);  [q | k | v] = a W_attn + b_attn   (Conv1D: W stored [in, out])
//   P       = softmax(c_l q k^T + causal mask),  c_l = (1/√hs if scale_attn_weights) · (1/(l+1) if
//             scale_attn_by_inverse_layer_idx)
//   x'      = x + (P v merged) W_proj + b_proj
//   x_{l+1} = x' + GELU(ln_2(x') W_fc + b_fc) W_mproj + b_mproj   (gelu_new: tanh approximation)
//   z       = ln_f(x_L) wte^T   (lm_head tied to wte)
// Verified against a scalar-loop reference in tests/core/engine/test_gpt2.cpp.
#include "models/gpt2.h"

#include <cmath>
#include <stdexcept>

#include "models/tensor_ops.h"

namespace shellscope::engine {

namespace {
/// Conv1D: y = x W + b with W stored [in, out].
at::Tensor conv1d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) { return at::linear(x, w.t(), b); }
}  // namespace

double Gpt2Config::attentionScale(std::int64_t layer) const {
  double scale = scaleAttnWeights ? 1.0 / std::sqrt(static_cast<double>(headSize())) : 1.0;
  if (scaleAttnByInverseLayerIdx) scale /= static_cast<double>(layer + 1);
  return scale;
}

void Gpt2Config::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("GPT-2 config: " + what);
  };
  require(vocabSize > 0 && hiddenSize > 0 && numLayers > 0 && numHeads > 0 && innerSize >= 0,
          "sizes must be positive");
  require(hiddenSize % numHeads == 0, "n_embd must be a multiple of n_head");
  require(maxPositions > 0, "n_positions must be positive");
  require(layerNormEps > 0.0, "layer_norm_epsilon must be positive");
}

int Gpt2Model::add(const TensorSource& source, const std::string& name, std::vector<std::int64_t> shape,
                   TensorRole role) {
  return takeParameter(source, name, shape, role, params_, names_);
}

Gpt2Model::Gpt2Model(const Gpt2Config& config, const TensorSource& source, std::shared_ptr<const Observable> observable)
    : ModelFunction(std::move(observable)), config_(config) {
  config_.validate();
  const std::int64_t H = config_.hiddenSize, I = config_.mlpSize(), V = config_.vocabSize;
  using R = TensorRole;
  wte_ = add(source, "transformer.wte.weight", {V, H}, R::Weight);
  wpe_ = add(source, "transformer.wpe.weight", {config_.maxPositions, H}, R::Weight);
  for (std::int64_t l = 0; l < config_.numLayers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    LayerSlots s{};
    s.ln1Weight = add(source, p + "ln_1.weight", {H}, R::NormWeight);
    s.ln1Bias = add(source, p + "ln_1.bias", {H}, R::NormBias);
    s.attnWeight = add(source, p + "attn.c_attn.weight", {H, 3 * H}, R::Weight);
    s.attnBias = add(source, p + "attn.c_attn.bias", {3 * H}, R::Bias);
    s.attnProjWeight = add(source, p + "attn.c_proj.weight", {H, H}, R::Weight);
    s.attnProjBias = add(source, p + "attn.c_proj.bias", {H}, R::Bias);
    s.ln2Weight = add(source, p + "ln_2.weight", {H}, R::NormWeight);
    s.ln2Bias = add(source, p + "ln_2.bias", {H}, R::NormBias);
    s.fcWeight = add(source, p + "mlp.c_fc.weight", {H, I}, R::Weight);
    s.fcBias = add(source, p + "mlp.c_fc.bias", {I}, R::Bias);
    s.mlpProjWeight = add(source, p + "mlp.c_proj.weight", {I, H}, R::Weight);
    s.mlpProjBias = add(source, p + "mlp.c_proj.bias", {H}, R::Bias);
    layers_.push_back(s);
  }
  finalNormWeight_ = add(source, "transformer.ln_f.weight", {H}, R::NormWeight);
  finalNormBias_ = add(source, "transformer.ln_f.bias", {H}, R::NormBias);
  for (auto& p : params_) p = p.detach().set_requires_grad(true);
}

std::unique_ptr<Gpt2Model> Gpt2Model::randomlyInitialised(const Gpt2Config& config, std::uint64_t seed) {
  return std::make_unique<Gpt2Model>(config, randomTensors(seed, config.initializerRange));
}

ModelDescription Gpt2Model::description() const {
  ModelDescription d;
  d.family = "gpt2";
  d.vocabularySize = config_.vocabSize;
  d.contextLength = config_.maxPositions;
  const std::int64_t embedding = params_[wte_].numel(), positions = params_[wpe_].numel();
  const std::int64_t finalNorm = params_[finalNormWeight_].numel() + params_[finalNormBias_].numel();
  // The output layer is wte itself: its columns of J are counted once, under the embedding.
  d.parameterGroups = {{"embedding (also the tied output layer)", embedding},
                       {"positions", positions},
                       {"layers", parameterCount() - embedding - positions - finalNorm},
                       {"final norm", finalNorm}};
  return d;
}

at::Tensor Gpt2Model::activation(const at::Tensor& x) const {
  return config_.activation == Gpt2Config::Activation::GeluTanh ? geluTanh(x) : at::gelu(x);
}

at::Tensor Gpt2Model::activationSlope(const at::Tensor& x) const {
  return config_.activation == Gpt2Config::Activation::GeluTanh ? geluTanhSlope(x) : geluSlope(x);
}

at::Tensor Gpt2Model::attention(const std::vector<at::Tensor>& p, std::int64_t layer, const at::Tensor& x,
                                LayerActivations* record) const {
  const LayerSlots& s = layers_[static_cast<size_t>(layer)];
  const std::int64_t B = x.size(0), T = x.size(1), H = config_.hiddenSize, heads = config_.numHeads;
  const std::int64_t hs = config_.headSize();
  // c_attn's output is [q | k | v], each H wide and split into heads of hs.
  const at::Tensor qkv = conv1d(x, p[s.attnWeight], p[s.attnBias]);
  auto split = [&](int part) { return qkv.narrow(-1, part * H, H).view({B, T, heads, hs}).permute({0, 2, 1, 3}); };
  const at::Tensor q = split(0), k = split(1), v = split(2);
  const auto [probabilities, merged] = causalAttention(q, k, v, config_.attentionScale(layer));
  if (record) {
    record->query = q.detach();
    record->key = k.detach();
    record->value = v.detach();
    record->probabilities = probabilities.detach();
    record->merged = merged.detach();
  }
  return conv1d(merged, p[s.attnProjWeight], p[s.attnProjBias]);
}

at::Tensor Gpt2Model::layerNorm(const std::vector<at::Tensor>& p, const at::Tensor& x, int weight, int bias,
                                NormActivations* record) const {
  at::Tensor y = at::layer_norm(x, {config_.hiddenSize}, p[weight], p[bias], config_.layerNormEps);
  if (record) *record = NormActivations{x.detach(), y.detach()};
  return y;
}

at::Tensor Gpt2Model::embed(const std::vector<at::Tensor>& p, const at::Tensor& inputIds) const {
  return at::embedding(p[wte_], inputIds) + p[wpe_].narrow(0, 0, inputIds.size(-1));
}

at::Tensor Gpt2Model::layer(const std::vector<at::Tensor>& p, size_t l, const at::Tensor& input,
                            LayerActivations* keep) const {
  const LayerSlots& s = layers_[l];
  const at::Tensor x =
      input + attention(p, static_cast<std::int64_t>(l),
                        layerNorm(p, input, s.ln1Weight, s.ln1Bias, keep ? &keep->ln1 : nullptr), keep);
  const at::Tensor pre =
      conv1d(layerNorm(p, x, s.ln2Weight, s.ln2Bias, keep ? &keep->ln2 : nullptr), p[s.fcWeight], p[s.fcBias]);
  const at::Tensor post = activation(pre);
  if (keep) {
    keep->preGelu = pre.detach();
    keep->postGelu = post.detach();
  }
  return x + conv1d(post, p[s.mlpProjWeight], p[s.mlpProjBias]);
}

at::Tensor Gpt2Model::forward(const std::vector<at::Tensor>& p, const at::Tensor& inputIds, Activations* record) const {
  if (record) record->layers.resize(layers_.size());
  at::Tensor x = embed(p, inputIds);
  for (size_t l = 0; l < layers_.size(); ++l) x = layer(p, l, x, record ? &record->layers[l] : nullptr);
  return layerNorm(p, x, finalNormWeight_, finalNormBias_, record ? &record->finalNorm : nullptr);
}

at::Tensor Gpt2Model::rawOutputs(const std::vector<at::Tensor>& p, const Batch& batch) const {
  return at::matmul(forward(p, batch.inputs, nullptr), p[wte_].t());
}

}  // namespace shellscope::engine
