// Forward-mode differentiation of the GPT-NeoX forward pass, written out by hand: the tangent of
// every operation, applied to the parameter tangent g, reusing the activations recorded by one
// primal forward pass. f_i = log q(y_i|x_i), so with z the logits and p = softmax(z):
//   ḟ_i = ż_i[y_i] - Σ_v p_i[v] ż_i[v].
// Verified against LibTorch's dual numbers and an explicit Jacobian in tests/engine.
#include <cmath>

#include "engine/gpt_neox.h"
#include "engine/tensor_ops.h"

namespace shellscope::engine {

class GptNeoxTangent final : public TangentPropagation {
 public:
  GptNeoxTangent(const GptNeoxModel& model, const Batch& batch) : model_(model), batch_(batch) {
    at::AutoGradMode enableGrad(true);
    outputs_ = model.targetLogProbs(model.params_, batch, &acts_);
    const double eps = model.config_.layerNormEps;
    for (const auto& layer : acts_.layers) {
      ln1_.emplace_back(layer.ln1.input, eps);
      ln2_.emplace_back(layer.ln2.input, eps);
      geluSlopes_.push_back(geluSlope(layer.preGelu));
    }
    final_ = NormStatistics(acts_.finalNorm.input, eps);
    probabilities_ = acts_.logProbs.exp();
    acts_.logProbs = at::Tensor();  // no longer needed
  }

  const at::Tensor& outputs() const override { return outputs_; }

  at::Tensor jvp(const std::vector<at::Tensor>& g) const override {
    at::NoGradGuard noGrad;
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
    const at::Tensor hidden = final_.tangent(x, p[model_.finalNormWeight_], g[model_.finalNormWeight_],
                                             g[model_.finalNormBias_]);
    const int out = model_.embedOut_;
    const at::Tensor logits = linearTangent(acts_.finalNorm.output, hidden, p[out], g[out], at::Tensor());
    const at::Tensor atTarget = logits.gather(-1, batch_.targets.unsqueeze(-1)).squeeze(-1);
    return (atTarget - (probabilities_ * logits).sum(-1)).reshape({-1});
  }

 private:
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
    // Scores s = q k^T / sqrt(hs); masked entries have P = 0, so their tangent drops out below.
    const at::Tensor scoresDot = (at::matmul(qDot, a.key.transpose(-1, -2)) + at::matmul(a.query, kDot.transpose(-1, -2)))
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
  at::Tensor outputs_;
  std::vector<NormStatistics> ln1_, ln2_;
  std::vector<at::Tensor> geluSlopes_;
  NormStatistics final_;
  at::Tensor probabilities_;
};

std::unique_ptr<TangentPropagation> GptNeoxModel::linearize(const Batch& batch) const {
  return std::make_unique<GptNeoxTangent>(*this, batch);
}

}  // namespace shellscope::engine
