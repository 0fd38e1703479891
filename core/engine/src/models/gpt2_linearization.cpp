// GPT-2 linearised on one batch: reverse mode through the retained graph for J^T u, and a
// hand-written tangent pass over the recorded activations for J g (˙ marks tangents).
//
// The output layer is tied to the input embedding (z_i = wte h_i), so wte's column block of J is
// the sum of its output-layer part and its embedding part; J J^T has no exact split into an n x n
// block and a remainder that avoids vocabulary-sized tensors (the cross terms J_out J_emb^T need
// J_emb^T u, [V, H]). GPT-2 therefore uses the plain product M u = J (J^T u) / n (fixedBlock() is
// undefined; models/output_head.h). With g_i = ∂f_i/∂z_i and a_i = wte^T g_i:
//   J^T u  = backward of Σ_i u_i a_i · h_i through the body, plus Σ_i u_i g_i h_i^T on wte
//   J ġ    = a_i · ḣ_i + g_i · (ẇte h_i)
// and ḣ by the tangent pass:
//   embedding  ẋ_0 = ẇte[ids] + ẇpe[0 .. T-1]
//   LayerNorm  ẏ = γ (ẋ - mean ẋ - x̂ mean(ẋ x̂)) / σ + x̂ γ̇ + β̇
//   Conv1D     ẏ = ẋ W + x Ẇ + ḃ   (W stored [in, out])
//   attention  ṡ = c_l (q̇ k^T + q k̇^T),  Ṗ = P ⊙ (ṡ - Σ_j P ṡ),  ȯ = Ṗ v + P v̇
//   gelu_new   ẏ = (0.5 (1 + t) + 0.5 x (1 - t²) √(2/π) (1 + 0.134145 x²)) ẋ,  t = tanh(√(2/π)(x + 0.044715 x³))
// With options.recomputeActivations only the layer inputs are kept and each product runs the
// layers again one at a time (models/recomputed_body.h), the same tangent step on the same values.
// Verified against an explicit Jacobian (and so finite differences) in tests/core/engine/test_gpt2.cpp;
// recomputed against kept in tests/core/engine/test_recompute.cpp.
#include "models/gpt2.h"
#include "models/output_head.h"
#include "models/recomputed_body.h"
#include "models/tensor_ops.h"

namespace shellscope::engine {

namespace {

/// Tangent of the Conv1D y = x W + b (W [in, out]).
at::Tensor conv1dTangent(const at::Tensor& x, const at::Tensor& xDot, const at::Tensor& w, const at::Tensor& wDot,
                         const at::Tensor& bDot) {
  return linearTangent(x, xDot, w.t(), wDot.t(), bDot);
}
}  // namespace

class Gpt2Linearization final : public OutputHeadLinearization {
 public:
  Gpt2Linearization(const Gpt2Model& model, const Batch& batch, const LinearizationOptions& options)
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
      Gpt2Model::Activations acts;
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
    setHead(OutputHead(model.observable(), hiddenGraph, p, model.wte_, batch.targets, /*split=*/false,
                       std::move(bodyVjp)),
            p);
  }

 private:
  /// What layer l's tangent step reads: its recorded activations and their statistics.
  struct LayerState {
    Gpt2Model::LayerActivations acts;
    NormStatistics ln1, ln2;
    at::Tensor activationSlope;
  };

  LayerState state(Gpt2Model::LayerActivations acts) const {
    const double eps = model_.config_.layerNormEps;
    LayerState s;
    s.ln1 = NormStatistics(acts.ln1.input, eps);
    s.ln2 = NormStatistics(acts.ln2.input, eps);
    s.activationSlope = model_.activationSlope(acts.preGelu);
    s.acts = std::move(acts);
    return s;
  }

  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const override {
    const auto& p = model_.params_;
    at::Tensor x = at::embedding(g[model_.wte_], batch_.inputs) + g[model_.wpe_].narrow(0, 0, batch_.inputs.size(-1));
    if (body_) {
      x = body_->tangent(x, [&](size_t l, const at::Tensor& input, const at::Tensor& inputDot) {
        Gpt2Model::LayerActivations acts;
        model_.layer(p, l, input, &acts);
        return layerTangent(l, state(std::move(acts)), inputDot, g);
      });
    } else {
      for (size_t l = 0; l < layers_.size(); ++l) x = layerTangent(l, layers_[l], x, g);
    }
    return final_.tangent(x, p[model_.finalNormWeight_], g[model_.finalNormWeight_], g[model_.finalNormBias_]);
  }

  /// ẋ_{l+1} from ẋ_l.
  at::Tensor layerTangent(size_t l, const LayerState& state, at::Tensor x, const std::vector<at::Tensor>& g) const {
    const auto& p = model_.params_;
    const auto& s = model_.layers_[l];
    const auto& a = state.acts;
    x = x + attention(l, state, state.ln1.tangent(x, p[s.ln1Weight], g[s.ln1Weight], g[s.ln1Bias]), g);
    const at::Tensor inputDot = state.ln2.tangent(x, p[s.ln2Weight], g[s.ln2Weight], g[s.ln2Bias]);
    const at::Tensor preDot = conv1dTangent(a.ln2.output, inputDot, p[s.fcWeight], g[s.fcWeight], g[s.fcBias]);
    return x + conv1dTangent(a.postGelu, state.activationSlope * preDot, p[s.mlpProjWeight], g[s.mlpProjWeight],
                             g[s.mlpProjBias]);
  }

  at::Tensor attention(size_t l, const LayerState& state, const at::Tensor& inputDot,
                       const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = state.acts;
    const auto& p = model_.params_;
    const auto& c = model_.config_;
    const std::int64_t B = inputDot.size(0), T = inputDot.size(1), H = c.hiddenSize, heads = c.numHeads;
    const at::Tensor qkvDot = conv1dTangent(a.ln1.output, inputDot, p[s.attnWeight], g[s.attnWeight], g[s.attnBias]);
    auto split = [&](int part) {
      return qkvDot.narrow(-1, part * H, H).view({B, T, heads, c.headSize()}).permute({0, 2, 1, 3});
    };
    const at::Tensor qDot = split(0), kDot = split(1), vDot = split(2);
    const at::Tensor mergedDot = causalAttentionTangent(a.query, a.key, a.value, a.probabilities, qDot, kDot, vDot,
                                                        c.attentionScale(static_cast<std::int64_t>(l)));
    return conv1dTangent(a.merged, mergedDot, p[s.attnProjWeight], g[s.attnProjWeight], g[s.attnProjBias]);
  }

  const Gpt2Model& model_;
  Batch batch_;
  std::vector<LayerState> layers_;        ///< kept activations (empty with recompute)
  std::unique_ptr<RecomputedBody> body_;  ///< the layer inputs (recompute only)
  Gpt2Model::NormActivations finalNorm_;
  NormStatistics final_;
};

std::unique_ptr<ModelLinearization> Gpt2Model::linearize(const Batch& batch, const LinearizationOptions& options) const {
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<Gpt2Linearization>(*this, batch, options);
}

}  // namespace shellscope::engine
