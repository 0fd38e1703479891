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
// With options.recomputeActivations only the layer inputs are kept and each product runs the
// layers again one at a time (models/recomputed_body.h); the tangent step of a layer is the same
// code on the same recorded values either way.
// Verified against an explicit Jacobian, finite differences and LibTorch's dual numbers in
// tests/core/engine/test_operator.cpp; recomputed against kept in tests/core/engine/test_recompute.cpp.
#include <cmath>

#include "models/gpt_neox.h"
#include "models/output_head.h"
#include "models/recomputed_body.h"
#include "models/tensor_ops.h"

namespace shellscope::engine {

class GptNeoxLinearization final : public OutputHeadLinearization {
 public:
  GptNeoxLinearization(const GptNeoxModel& model, const Batch& batch, const LinearizationOptions& options)
      : model_(model), batch_(batch) {
    const auto& p = model.params_;
    at::Tensor hiddenGraph;
    OutputHead::BodyVjp bodyVjp;
    if (options.recomputeActivations) {
      body_ = std::make_unique<RecomputedBody>(
          p, model.layers_.size(), [this](const std::vector<at::Tensor>& q) { return model_.embed(q, batch_.inputs); },
          [this](size_t l, const at::Tensor& x) { return model_.layer(model_.params_, l, x, nullptr); },
          [this](const at::Tensor& x) {
            return model_.layerNorm(model_.params_, x, model_.finalNormWeight_, model_.finalNormBias_, &finalNorm_);
          });
      hiddenGraph = body_->hidden();
      bodyVjp = [this](const at::Tensor& cotangent) { return body_->backward(cotangent); };
    } else {
      GptNeoxModel::Activations acts;
      {
        at::AutoGradMode enableGrad(true);
        hiddenGraph = model.forward(p, batch.inputs, &acts);
      }
      at::NoGradGuard noGrad;
      for (auto& layer : acts.layers) layers_.push_back(state(std::move(layer)));
      finalNorm_ = acts.finalNorm;
    }
    at::NoGradGuard noGrad;
    final_ = NormStatistics(finalNorm_.input, model.config_.layerNormEps);
    setHead(OutputHead(model.observable(), hiddenGraph, p, model.embedOut_, batch.targets, /*split=*/true,
                       std::move(bodyVjp)),
            p);
  }

 private:
  /// What layer l's tangent step reads: its recorded activations and their statistics.
  struct LayerState {
    GptNeoxModel::LayerActivations acts;
    NormStatistics ln1, ln2;
    at::Tensor geluSlope;
  };

  LayerState state(GptNeoxModel::LayerActivations acts) const {
    const double eps = model_.config_.layerNormEps;
    LayerState s;
    s.ln1 = NormStatistics(acts.ln1.input, eps);
    s.ln2 = NormStatistics(acts.ln2.input, eps);
    s.geluSlope = geluSlope(acts.preGelu);
    s.acts = std::move(acts);
    return s;
  }

  /// ḣ: the tangent of the final hidden states along g (g's output-layer entry is not read).
  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const override {
    const auto& p = model_.params_;
    at::Tensor x = at::embedding(g[model_.embedIn_], batch_.inputs);
    if (body_) {
      x = body_->tangent(x, [&](size_t l, const at::Tensor& input, const at::Tensor& inputDot) {
        GptNeoxModel::LayerActivations acts;
        model_.layer(p, l, input, &acts);
        return layerTangent(l, state(std::move(acts)), inputDot, g);
      });
    } else {
      for (size_t l = 0; l < layers_.size(); ++l) x = layerTangent(l, layers_[l], x, g);
    }
    return final_.tangent(x, p[model_.finalNormWeight_], g[model_.finalNormWeight_], g[model_.finalNormBias_]);
  }

  /// ẋ_{l+1} from ẋ_l.
  at::Tensor layerTangent(size_t l, const LayerState& a, at::Tensor x, const std::vector<at::Tensor>& g) const {
    const auto& p = model_.params_;
    const auto& s = model_.layers_[l];
    const at::Tensor attn = attention(l, a, a.ln1.tangent(x, p[s.ln1Weight], g[s.ln1Weight], g[s.ln1Bias]), g);
    if (model_.config_.parallelResidual) {
      return x + attn + mlp(l, a, a.ln2.tangent(x, p[s.ln2Weight], g[s.ln2Weight], g[s.ln2Bias]), g);
    }
    x = x + attn;
    return x + mlp(l, a, a.ln2.tangent(x, p[s.ln2Weight], g[s.ln2Weight], g[s.ln2Bias]), g);
  }

  at::Tensor attention(size_t l, const LayerState& state, const at::Tensor& inputDot,
                       const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = state.acts;
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

  at::Tensor mlp(size_t l, const LayerState& state, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = state.acts;
    const auto& p = model_.params_;
    const at::Tensor preDot = linearTangent(a.ln2.output, inputDot, p[s.upWeight], g[s.upWeight], g[s.upBias]);
    return linearTangent(a.postGelu, state.geluSlope * preDot, p[s.downWeight], g[s.downWeight], g[s.downBias]);
  }

  const GptNeoxModel& model_;
  Batch batch_;
  std::vector<LayerState> layers_;        ///< kept activations (empty with recompute)
  std::unique_ptr<RecomputedBody> body_;  ///< the layer inputs (recompute only)
  GptNeoxModel::NormActivations finalNorm_;
  NormStatistics final_;
};

std::unique_ptr<ModelLinearization> GptNeoxModel::linearize(const Batch& batch, const LinearizationOptions& options) const {
  // The split needs the observable's gradient at the logits; others go through autograd.
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<GptNeoxLinearization>(*this, batch, options);
}

}  // namespace shellscope::engine
