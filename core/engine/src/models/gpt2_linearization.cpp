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
// Verified against an explicit Jacobian (and so finite differences) in tests/core/engine/test_gpt2.cpp.
#include "models/gpt2.h"
#include "models/output_head.h"
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
  Gpt2Linearization(const Gpt2Model& model, const Batch& batch) : model_(model), batch_(batch) {
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
      activationSlopes_.push_back(model.activationSlope(layer.preGelu));
    }
    final_ = NormStatistics(acts_.finalNorm.input, eps);
    setHead(OutputHead(model.observable(), hiddenGraph, model.params_, model.wte_, batch.targets, /*split=*/false),
            model.params_);
  }

 private:
  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const override {
    const auto& p = model_.params_;
    at::Tensor x = at::embedding(g[model_.wte_], batch_.inputs) + g[model_.wpe_].narrow(0, 0, batch_.inputs.size(-1));
    for (size_t l = 0; l < model_.layers_.size(); ++l) {
      const auto& s = model_.layers_[l];
      const auto& a = acts_.layers[l];
      x = x + attention(l, ln1_[l].tangent(x, p[s.ln1Weight], g[s.ln1Weight], g[s.ln1Bias]), g);
      const at::Tensor inputDot = ln2_[l].tangent(x, p[s.ln2Weight], g[s.ln2Weight], g[s.ln2Bias]);
      const at::Tensor preDot = conv1dTangent(a.ln2.output, inputDot, p[s.fcWeight], g[s.fcWeight], g[s.fcBias]);
      x = x + conv1dTangent(a.postGelu, activationSlopes_[l] * preDot, p[s.mlpProjWeight], g[s.mlpProjWeight],
                            g[s.mlpProjBias]);
    }
    return final_.tangent(x, p[model_.finalNormWeight_], g[model_.finalNormWeight_], g[model_.finalNormBias_]);
  }

  at::Tensor attention(size_t l, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = acts_.layers[l];
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
  Gpt2Model::Activations acts_;
  std::vector<NormStatistics> ln1_, ln2_;
  std::vector<at::Tensor> activationSlopes_;
  NormStatistics final_;
};

std::unique_ptr<ModelLinearization> Gpt2Model::linearize(const Batch& batch) const {
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<Gpt2Linearization>(*this, batch);
}

}  // namespace shellscope::engine
