// Llama linearised on one batch: reverse mode through the retained graph for J^T u, and a
// hand-written tangent pass over the recorded activations for J g. The output layer (models/
// output_head.h): untied, its part of J J^T is split off exactly (K formed once per batch); tied
// to embed_tokens, the plain product. ˙ marks tangents:
//   embedding  ẋ_0 = ė[ids]
//   RMSNorm    y = w ⊙ x̂, x̂ = x r, r = (mean x² + eps)^-1/2:  ẏ = w ⊙ r (ẋ - x̂ mean(x̂ ẋ)) + x̂ ẇ
//   linear     ẏ = ẋ W^T + x Ẇ^T + ḃ          rotary: linear, fixed cos/sin; repeat_kv: linear
//   attention  ṡ = (q̇ k^T + q k̇^T)/√hd,  Ṗ = P ⊙ (ṡ - Σ_j P ṡ),  ȯ = Ṗ v + P v̇
//   SwiGLU     m = silu(a) ⊙ b:  ṁ = σ(a)(1 + a(1 - σ(a))) ȧ ⊙ b + silu(a) ⊙ ḃ
//   OLMo 2     x' = x + N(A(x)):  ẋ' = ẋ + N'(Ȧ(ẋ));  q = q_norm(x W_q^T): q̇ = q_norm'(ẋ W_q^T + x Ẇ_q^T + ḃ_q)
// Verified against an explicit Jacobian (and so finite differences) in tests/core/engine/test_llama.cpp.
#include "models/llama.h"
#include "models/output_head.h"
#include "models/tensor_ops.h"

namespace shellscope::engine {

namespace {

/// RMSNorm statistics for its tangent: x̂ = x r and r = (mean x² + eps)^-1/2.
struct RmsStatistics {
  at::Tensor normalised, inverseRms;
  RmsStatistics(const at::Tensor& x, double eps) {
    inverseRms = (x.square().mean(-1, true) + eps).rsqrt();
    normalised = x * inverseRms;
  }
  at::Tensor tangent(const at::Tensor& xDot, const at::Tensor& w, const at::Tensor& wDot) const {
    return ((xDot - normalised * (normalised * xDot).mean(-1, true)) * inverseRms * w).add_(normalised * wDot);
  }
};

}  // namespace

class LlamaLinearization final : public OutputHeadLinearization {
 public:
  LlamaLinearization(const LlamaModel& model, const Batch& batch) : model_(model), batch_(batch) {
    at::Tensor hiddenGraph;
    {
      at::AutoGradMode enableGrad(true);
      hiddenGraph = model.forward(model.params_, batch.inputs, &acts_);
    }
    at::NoGradGuard noGrad;
    const double eps = model.config_.rmsNormEps;
    for (const auto& layer : acts_.layers) {
      attentionNorm_.emplace_back(layer.attentionNorm.input, eps);
      mlpNorm_.emplace_back(layer.mlpNorm.input, eps);
      if (model.config_.olmo2()) {
        qNorm_.emplace_back(layer.qNorm.input, eps);
        kNorm_.emplace_back(layer.kNorm.input, eps);
      }
      const at::Tensor sigma = at::sigmoid(layer.gate);
      siluSlopes_.push_back(sigma * (layer.gate * (1.0 - sigma) + 1.0));
      siluValues_.push_back(layer.gate * sigma);
    }
    final_.emplace_back(acts_.finalNorm.input, eps);
    setHead(OutputHead(model.observable(), hiddenGraph, model.params_, model.output_, batch.targets,
                       /*split=*/!model.config_.tieWordEmbeddings), model.params_);
  }

 private:
  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const override {
    const auto& p = model_.params_;
    at::Tensor x = at::embedding(g[model_.embed_], batch_.inputs);
    for (size_t l = 0; l < model_.layers_.size(); ++l) {
      const auto& s = model_.layers_[l];
      const RmsStatistics& an = attentionNorm_[l];
      const RmsStatistics& mn = mlpNorm_[l];
      if (model_.config_.olmo2()) {
        x = x + an.tangent(attention(l, x, g), p[s.attentionNorm], g[s.attentionNorm]);
        x = x + mn.tangent(mlp(l, x, g), p[s.mlpNorm], g[s.mlpNorm]);
      } else {
        x = x + attention(l, an.tangent(x, p[s.attentionNorm], g[s.attentionNorm]), g);
        x = x + mlp(l, mn.tangent(x, p[s.mlpNorm], g[s.mlpNorm]), g);
      }
    }
    return final_[0].tangent(x, p[model_.finalNorm_], g[model_.finalNorm_]);
  }

  at::Tensor mlp(size_t l, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = acts_.layers[l];
    const auto& p = model_.params_;
    const at::Tensor gateDot =
        linearTangent(a.mlpInput, inputDot, p[s.gateWeight], g[s.gateWeight], optionalParameter(g, s.gateBias));
    const at::Tensor upDot = linearTangent(a.mlpInput, inputDot, p[s.upWeight], g[s.upWeight], optionalParameter(g, s.upBias));
    const at::Tensor productDot = (siluSlopes_[l] * gateDot).mul_(a.up).add_(siluValues_[l] * upDot);
    return linearTangent(a.product, productDot, p[s.downWeight], g[s.downWeight], optionalParameter(g, s.downBias));
  }

  at::Tensor attention(size_t l, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = acts_.layers[l];
    const auto& p = model_.params_;
    const auto& c = model_.config_;
    const std::int64_t T = inputDot.size(1), hd = c.headSize();
    const auto [cos, sin] = model_.rotary(T, inputDot);
    auto projected = [&](int weight, int bias, std::int64_t heads, const RmsStatistics* norm, int normWeight) {
      at::Tensor dot = linearTangent(a.attentionInput, inputDot, p[weight], g[weight], optionalParameter(g, bias));
      if (norm) dot = norm->tangent(dot, p[normWeight], g[normWeight]);
      return model_.splitHeads(dot, heads);
    };
    const bool qk = c.olmo2();
    const at::Tensor qDot =
        applyRotary(projected(s.qWeight, s.qBias, c.numHeads, qk ? &qNorm_[l] : nullptr, s.qNorm), cos, sin, hd);
    const at::Tensor kDot =
        applyRotary(projected(s.kWeight, s.kBias, c.numKeyValueHeads, qk ? &kNorm_[l] : nullptr, s.kNorm), cos, sin, hd);
    const at::Tensor vDot = projected(s.vWeight, s.vBias, c.numKeyValueHeads, nullptr, -1);
    const at::Tensor mergedDot = causalAttentionTangent(a.query, a.key, a.value, a.probabilities, qDot, kDot, vDot,
                                                        1.0 / std::sqrt(static_cast<double>(hd)));
    return linearTangent(a.merged, mergedDot, p[s.oWeight], g[s.oWeight], optionalParameter(g, s.oBias));
  }

  const LlamaModel& model_;
  Batch batch_;
  LlamaModel::Activations acts_;
  std::vector<RmsStatistics> attentionNorm_, mlpNorm_, qNorm_, kNorm_, final_;
  std::vector<at::Tensor> siluSlopes_, siluValues_;  ///< silu'(a) and silu(a) of every layer's gate
};

std::unique_ptr<ModelLinearization> LlamaModel::linearize(const Batch& batch) const {
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<LlamaLinearization>(*this, batch);
}

}  // namespace shellscope::engine
