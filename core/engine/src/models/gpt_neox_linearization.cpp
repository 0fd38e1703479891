// GPT-NeoX linearised on one batch, with the output layer W (embed_out) split off exactly.
//
// With h_i the final hidden state, z_i = W h_i the logits and f_i = φ(z_i, y_i) the observable
// with logit gradient g_i = ∂φ/∂z_i (models/observable.h; for lm-logprob g_i = e_{y_i} - p_i):
//   ∂f_i/∂W   = g_i h_i^T,  so  J_W J_W^T (i,j) = (g_i·g_j) (h_i·h_j)
//   ∂f_i/∂h_i = a_i = W^T g_i
// J J^T = K + J_b J_b^T with K = J_W J_W^T formed once per batch (n x n) and J_b the body: its VJP
// starts from the cotangent u_i a_i at h_i and its JVP ends in a_i · ḣ_i, so no Lanczos product
// touches a vocabulary-sized tensor (models/output_head.h). The body's JVP is a hand-written tangent pass over the
// activations recorded in the one forward pass (˙ marks tangents):
//   LayerNorm  ẏ = γ (ẋ - mean ẋ - x̂ mean(ẋ x̂)) / σ + x̂ γ̇ + β̇
//   linear     ẏ = ẋ W^T + x Ẇ^T + ḃ          rotary: linear, fixed cos/sin
//   attention  ṡ = (q̇ k^T + q k̇^T)/√d,  Ṗ = P ⊙ (ṡ - Σ_j P ṡ),  ȯ = Ṗ v + P v̇
//   GELU       ẏ = (Φ(x) + x φ(x)) ẋ
// Verified against an explicit Jacobian, finite differences and LibTorch's dual numbers in
// tests/core/engine/test_operator.cpp.
#include <cmath>

#include "models/gpt_neox.h"
#include "models/output_head.h"
#include "models/tensor_ops.h"

namespace shellscope::engine {

class GptNeoxLinearization final : public OutputHeadLinearization {
 public:
  GptNeoxLinearization(const GptNeoxModel& model, const Batch& batch) : model_(model), batch_(batch) {
    at::Tensor hiddenGraph;
    {
      at::AutoGradMode enableGrad(true);
      hiddenGraph = model.forward(model.params_, batch.inputs, &acts_);
    }
    at::NoGradGuard noGrad;
    const double eps = model.config_.layerNormEps;
    for (const auto& layer : acts_.layers) {
      ln1_.emplace_back(layer.ln1.input, eps);
      ln2_.emplace_back(layer.ln2.input, eps);
      geluSlopes_.push_back(geluSlope(layer.preGelu));
    }
    final_ = NormStatistics(acts_.finalNorm.input, eps);
    setHead(OutputHead(model.observable(), hiddenGraph, model.params_, model.embedOut_, batch.targets, /*split=*/true),
            model.params_);
  }

 private:
  /// ḣ: the tangent of the final hidden states along g (g's output-layer entry is not read).
  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const override {
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
    const at::Tensor mergedDot = causalAttentionTangent(a.query, a.key, a.value, a.probabilities, qDot, kDot, vDot,
                                                        1.0 / std::sqrt(static_cast<double>(hs)));
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
  std::vector<NormStatistics> ln1_, ln2_;
  std::vector<at::Tensor> geluSlopes_;
  NormStatistics final_;
};

std::unique_ptr<ModelLinearization> GptNeoxModel::linearize(const Batch& batch) const {
  // The split needs the observable's gradient at the logits; others go through autograd.
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<GptNeoxLinearization>(*this, batch);
}

}  // namespace shellscope::engine
