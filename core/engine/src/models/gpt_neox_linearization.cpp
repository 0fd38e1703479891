// GPT-NeoX linearised on one batch, with the output layer W (embed_out) split off exactly.
//
// With h_i the final hidden state, z_i = W h_i the logits and f_i = φ(z_i, y_i) the observable
// with logit gradient g_i = ∂φ/∂z_i (models/observable.h; for lm-logprob g_i = e_{y_i} - p_i):
//   ∂f_i/∂W   = g_i h_i^T,  so  J_W J_W^T (i,j) = (g_i·g_j) (h_i·h_j)
//   ∂f_i/∂h_i = a_i = W^T g_i
// J J^T = K + J_b J_b^T with K = J_W J_W^T formed once per batch (n x n) and J_b the body: its VJP
// starts from the cotangent u_i a_i at h_i and its JVP ends in a_i · ḣ_i, so no Lanczos product
// touches a vocabulary-sized tensor. The body's JVP is a hand-written tangent pass over the
// activations recorded in the one forward pass (˙ marks tangents):
//   LayerNorm  ẏ = γ (ẋ - mean ẋ - x̂ mean(ẋ x̂)) / σ + x̂ γ̇ + β̇
//   linear     ẏ = ẋ W^T + x Ẇ^T + ḃ          rotary: linear, fixed cos/sin
//   attention  ṡ = (q̇ k^T + q k̇^T)/√d,  Ṗ = P ⊙ (ṡ - Σ_j P ṡ),  ȯ = Ṗ v + P v̇
//   GELU       ẏ = (Φ(x) + x φ(x)) ẋ
// Verified against an explicit Jacobian, finite differences and LibTorch's dual numbers in
// tests/core/engine/test_operator.cpp.
#include <torch/csrc/autograd/autograd.h>

#include <cmath>

#include "models/gpt_neox.h"
#include "models/tensor_ops.h"

namespace shellscope::engine {

namespace {
/// Rows of the vocabulary-sized tensors handled at once, to bound the transient memory.
constexpr std::int64_t kVocabularyChunk = 256;
}  // namespace

class GptNeoxLinearization final : public ModelLinearization {
 public:
  GptNeoxLinearization(const GptNeoxModel& model, const Batch& batch) : model_(model), batch_(batch) {
    {
      at::AutoGradMode enableGrad(true);
      hiddenGraph_ = model.forward(model.params_, batch.inputs, &acts_);
    }
    at::NoGradGuard noGrad;
    const double eps = model.config_.layerNormEps;
    for (const auto& layer : acts_.layers) {
      ln1_.emplace_back(layer.ln1.input, eps);
      ln2_.emplace_back(layer.ln2.input, eps);
      geluSlopes_.push_back(geluSlope(layer.preGelu));
    }
    final_ = NormStatistics(acts_.finalNorm.input, eps);
    for (size_t i = 0; i < model.params_.size(); ++i) {
      if (static_cast<int>(i) != model.embedOut_) bodyParams_.push_back(model.params_[i]);
    }
    prepareOutputLayer();
  }

  const at::Tensor& outputs() const override { return outputs_; }

  std::vector<at::Tensor> vjp(const at::Tensor& u) override {
    const at::Tensor weights = flat(u);
    std::vector<at::Tensor> body = bodyVjp(weights);
    // ∂/∂W Σ_i u_i f_i = Σ_i u_i g_i h_i^T
    const at::Tensor outputGrad =
        logits_->weightGradient(hidden_ * weights.unsqueeze(1), model_.params_[model_.embedOut_]);
    std::vector<at::Tensor> grads;
    for (size_t i = 0, b = 0; i < model_.params_.size(); ++i) {
      grads.push_back(static_cast<int>(i) == model_.embedOut_ ? outputGrad : body[b++]);
    }
    return grads;
  }

  at::Tensor jvp(const std::vector<at::Tensor>& g) override {
    at::NoGradGuard noGrad;
    at::Tensor result = (outputSlope_ * hiddenTangent(g)).sum(-1).reshape({-1});
    // Output layer: ż_i = Ẇ h_i, ḟ_i = g_i · ż_i, in chunks of rows.
    const at::Tensor& wDot = g[static_cast<size_t>(model_.embedOut_)];
    for (std::int64_t start = 0; start < points(); start += kVocabularyChunk) {
      const std::int64_t count = std::min(kVocabularyChunk, points() - start);
      const at::Tensor logitsDot = at::matmul(hidden_.narrow(0, start, count), wDot.t());
      result.narrow(0, start, count).add_(logits_->tangent(logitsDot, start, count));
    }
    return result;
  }

  at::Tensor fixedBlock() const override { return outputGram_; }

  at::Tensor restProduct(const at::Tensor& u) override {
    std::vector<at::Tensor> body = bodyVjp(flat(u));
    std::vector<at::Tensor> tangent;
    for (size_t i = 0, b = 0; i < model_.params_.size(); ++i) {
      tangent.push_back(static_cast<int>(i) == model_.embedOut_ ? at::Tensor() : body[b++]);
    }
    at::NoGradGuard noGrad;
    return (outputSlope_ * hiddenTangent(tangent)).sum(-1).reshape({-1});
  }

 private:
  std::int64_t points() const { return outputs_.numel(); }
  at::Tensor flat(const at::Tensor& u) const { return u.to(outputs_.options()).reshape({-1}); }

  /// The observable at the logits (f and what its gradient needs), a_i and K.
  void prepareOutputLayer() {
    const at::Tensor w = model_.params_[model_.embedOut_].detach();
    hidden_ = hiddenGraph_.detach().reshape({-1, model_.config_.hiddenSize});
    logits_ = model_.observable().linearizeAtLogits(hidden_, w, batch_.targets);
    outputs_ = logits_->values();
    outputSlope_ = logits_->hiddenSlope(w).view_as(hiddenGraph_);
    outputGram_ = logits_->logitGram().mul_(at::matmul(hidden_, hidden_.t()));
  }

  /// J_b^T u: backward through the body from the cotangent u_i a_i at h_i.
  std::vector<at::Tensor> bodyVjp(const at::Tensor& u) const {
    const at::Tensor cotangent =
        (outputSlope_ * u.view({hiddenGraph_.size(0), hiddenGraph_.size(1), 1})).to(hiddenGraph_.scalar_type());
    auto grads = torch::autograd::grad({hiddenGraph_}, bodyParams_, {cotangent}, /*retain_graph=*/true,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) grads[i] = at::zeros_like(bodyParams_[i]);
    }
    return grads;
  }

  /// ḣ: the tangent of the final hidden states along g (g's output-layer entry is not read).
  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const {
    const auto& p = model_.params_;
    const bool parallel = model_.config_.parallelResidual;
    at::Tensor x = at::embedding(g[model_.embedIn_], batch_.inputs);
    for (size_t l = 0; l < model_.layers_.size(); ++l) {
      const auto& s = model_.layers_[l];
      const at::Tensor attn = attention(l, ln1_[l].tangent(x, p[s.ln1Weight], g[s.ln1Weight], g[s.ln1Bias]), g);
      if (parallel) {
        x = x + attn + mlp(l, ln2_[l].tangent(x, p[s.ln2Weight], g[s.ln2Weight], g[s.ln2Bias]), g);
      } else {
        x = x + attn;
        x = x + mlp(l, ln2_[l].tangent(x, p[s.ln2Weight], g[s.ln2Weight], g[s.ln2Bias]), g);
      }
    }
    return final_.tangent(x, p[model_.finalNormWeight_], g[model_.finalNormWeight_], g[model_.finalNormBias_]);
  }

  at::Tensor attention(size_t l, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = acts_.layers[l];
    const auto& p = model_.params_;
    const auto& c = model_.config_;
    const std::int64_t B = inputDot.size(0), T = inputDot.size(1), heads = c.numHeads, hs = c.headSize();
    const at::Tensor qkvDot = linearTangent(a.ln1.output, inputDot, p[s.qkvWeight], g[s.qkvWeight],
                                            optionalParameter(g, s.qkvBias))
                                  .view({B, T, heads, 3 * hs})
                                  .permute({0, 2, 1, 3});
    const auto [cos, sin] = model_.rotaryTables(T, inputDot);
    const at::Tensor qDot = applyRotary(qkvDot.narrow(-1, 0, hs), cos, sin, c.rotaryDims());
    const at::Tensor kDot = applyRotary(qkvDot.narrow(-1, hs, hs), cos, sin, c.rotaryDims());
    const at::Tensor vDot = qkvDot.narrow(-1, 2 * hs, hs);
    // Masked entries have P = 0, so their score tangents drop out of Ṗ.
    const at::Tensor scoresDot =
        (at::matmul(qDot, a.key.transpose(-1, -2)) + at::matmul(a.query, kDot.transpose(-1, -2)))
            .mul_(1.0 / std::sqrt(static_cast<double>(hs)));
    const at::Tensor& P = a.probabilities;
    const at::Tensor probabilitiesDot = P * (scoresDot - (P * scoresDot).sum(-1, true));
    const at::Tensor mergedDot = (at::matmul(probabilitiesDot, a.value) + at::matmul(P, vDot))
                                     .permute({0, 2, 1, 3})
                                     .reshape({B, T, heads * hs});
    return linearTangent(a.merged, mergedDot, p[s.denseWeight], g[s.denseWeight], optionalParameter(g, s.denseBias));
  }

  at::Tensor mlp(size_t l, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = acts_.layers[l];
    const auto& p = model_.params_;
    const at::Tensor preDot = linearTangent(a.ln2.output, inputDot, p[s.upWeight], g[s.upWeight], g[s.upBias]);
    return linearTangent(a.postGelu, geluSlopes_[l] * preDot, p[s.downWeight], g[s.downWeight], g[s.downBias]);
  }

  const GptNeoxModel& model_;
  Batch batch_;
  GptNeoxModel::Activations acts_;
  at::Tensor hiddenGraph_;            ///< final hidden states [B, T, H] with the body's graph
  std::vector<at::Tensor> bodyParams_;
  std::vector<NormStatistics> ln1_, ln2_;
  std::vector<at::Tensor> geluSlopes_;
  NormStatistics final_;
  at::Tensor hidden_;                 ///< h, [n, H]
  std::unique_ptr<LogitLinearization> logits_;  ///< the observable at z = W h
  at::Tensor outputs_;                ///< f, [n]
  at::Tensor outputSlope_;            ///< a, [B, T, H]
  at::Tensor outputGram_;             ///< K, [n, n]
};

std::unique_ptr<ModelLinearization> GptNeoxModel::linearize(const Batch& batch) const {
  // The split needs the observable's gradient at the logits; others go through autograd.
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<GptNeoxLinearization>(*this, batch);
}

}  // namespace shellscope::engine
