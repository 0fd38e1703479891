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
// With options.recomputeActivations only the layer inputs are kept and each product runs the
// layers again one at a time (models/recomputed_body.h), the same tangent step on the same values.
// Verified against an explicit Jacobian (and so finite differences) in tests/core/engine/test_llama.cpp;
// recomputed against kept in tests/core/engine/test_recompute.cpp.
#include "models/llama.h"
#include "models/output_head.h"
#include "models/recomputed_body.h"
#include "models/tensor_ops.h"

namespace shellscope::engine {

namespace {

/// RMSNorm statistics for its tangent: x̂ = x r and r = (mean x² + eps)^-1/2.
struct RmsStatistics {
  at::Tensor normalised, inverseRms;
  RmsStatistics() = default;
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
  LlamaLinearization(const LlamaModel& model, const Batch& batch, const LinearizationOptions& options)
      : model_(model), batch_(batch) {
    const auto& p = model.params_;
    at::Tensor hiddenGraph;
    OutputHead::BodyVjp bodyVjp;
    if (options.recomputeActivations) {
      body_ = std::make_unique<RecomputedBody>(
          p, model.layers_.size(), [this](const std::vector<at::Tensor>& q) { return model_.embed(q, batch_.inputs); },
          [this](size_t l, const at::Tensor& x) { return model_.layer(model_.params_, l, x, nullptr); },
          [this](const at::Tensor& x) { return model_.rmsNorm(model_.params_, x, model_.finalNorm_, &finalNorm_); });
      hiddenGraph = body_->hidden();
      bodyVjp = [this](const at::Tensor& cotangent) { return body_->backward(cotangent); };
    } else {
      LlamaModel::Activations acts;
      {
        at::AutoGradMode enableGrad(true);
        hiddenGraph = model.forward(p, batch.inputs, &acts);
      }
      at::NoGradGuard noGrad;
      for (auto& layer : acts.layers) layers_.push_back(state(std::move(layer)));
      finalNorm_ = acts.finalNorm;
    }
    at::NoGradGuard noGrad;
    final_ = RmsStatistics(finalNorm_.input, model.config_.rmsNormEps);
    setHead(OutputHead(model.observable(), hiddenGraph, p, model.output_, batch.targets,
                       /*split=*/!model.config_.tieWordEmbeddings, std::move(bodyVjp)),
            p);
  }

 private:
  /// What layer l's tangent step reads: its recorded activations and their statistics.
  struct LayerState {
    LlamaModel::LayerActivations acts;
    RmsStatistics attentionNorm, mlpNorm, qNorm, kNorm;
    at::Tensor siluSlope, siluValue;  ///< silu'(a) and silu(a) of the gate
  };

  LayerState state(LlamaModel::LayerActivations acts) const {
    const double eps = model_.config_.rmsNormEps;
    LayerState s;
    s.attentionNorm = RmsStatistics(acts.attentionNorm.input, eps);
    s.mlpNorm = RmsStatistics(acts.mlpNorm.input, eps);
    if (model_.config_.olmo2()) {
      s.qNorm = RmsStatistics(acts.qNorm.input, eps);
      s.kNorm = RmsStatistics(acts.kNorm.input, eps);
    }
    const at::Tensor sigma = at::sigmoid(acts.gate);
    s.siluSlope = sigma * (acts.gate * (1.0 - sigma) + 1.0);
    s.siluValue = acts.gate * sigma;
    s.acts = std::move(acts);
    return s;
  }

  at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const override {
    const auto& p = model_.params_;
    at::Tensor x = at::embedding(g[model_.embed_], batch_.inputs);
    if (body_) {
      x = body_->tangent(x, [&](size_t l, const at::Tensor& input, const at::Tensor& inputDot) {
        LlamaModel::LayerActivations acts;
        model_.layer(p, l, input, &acts);
        return layerTangent(l, state(std::move(acts)), inputDot, g);
      });
    } else {
      for (size_t l = 0; l < layers_.size(); ++l) x = layerTangent(l, layers_[l], x, g);
    }
    return final_.tangent(x, p[model_.finalNorm_], g[model_.finalNorm_]);
  }

  /// ẋ_{l+1} from ẋ_l.
  at::Tensor layerTangent(size_t l, const LayerState& a, at::Tensor x, const std::vector<at::Tensor>& g) const {
    const auto& p = model_.params_;
    const auto& s = model_.layers_[l];
    if (model_.config_.olmo2()) {
      x = x + a.attentionNorm.tangent(attention(l, a, x, g), p[s.attentionNorm], g[s.attentionNorm]);
      return x + a.mlpNorm.tangent(mlp(l, a, x, g), p[s.mlpNorm], g[s.mlpNorm]);
    }
    x = x + attention(l, a, a.attentionNorm.tangent(x, p[s.attentionNorm], g[s.attentionNorm]), g);
    return x + mlp(l, a, a.mlpNorm.tangent(x, p[s.mlpNorm], g[s.mlpNorm]), g);
  }

  at::Tensor mlp(size_t l, const LayerState& state, const at::Tensor& inputDot, const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = state.acts;
    const auto& p = model_.params_;
    const at::Tensor gateDot =
        linearTangent(a.mlpInput, inputDot, p[s.gateWeight], g[s.gateWeight], optionalParameter(g, s.gateBias));
    const at::Tensor upDot = linearTangent(a.mlpInput, inputDot, p[s.upWeight], g[s.upWeight], optionalParameter(g, s.upBias));
    const at::Tensor productDot = (state.siluSlope * gateDot).mul_(a.up).add_(state.siluValue * upDot);
    return linearTangent(a.product, productDot, p[s.downWeight], g[s.downWeight], optionalParameter(g, s.downBias));
  }

  at::Tensor attention(size_t l, const LayerState& state, const at::Tensor& inputDot,
                       const std::vector<at::Tensor>& g) const {
    const auto& s = model_.layers_[l];
    const auto& a = state.acts;
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
        applyRotary(projected(s.qWeight, s.qBias, c.numHeads, qk ? &state.qNorm : nullptr, s.qNorm), cos, sin, hd);
    const at::Tensor kDot =
        applyRotary(projected(s.kWeight, s.kBias, c.numKeyValueHeads, qk ? &state.kNorm : nullptr, s.kNorm), cos, sin, hd);
    const at::Tensor vDot = projected(s.vWeight, s.vBias, c.numKeyValueHeads, nullptr, -1);
    const at::Tensor mergedDot = causalAttentionTangent(a.query, a.key, a.value, a.probabilities, qDot, kDot, vDot,
                                                        1.0 / std::sqrt(static_cast<double>(hd)));
    return linearTangent(a.merged, mergedDot, p[s.oWeight], g[s.oWeight], optionalParameter(g, s.oBias));
  }

  const LlamaModel& model_;
  Batch batch_;
  std::vector<LayerState> layers_;        ///< kept activations (empty with recompute)
  std::unique_ptr<RecomputedBody> body_;  ///< the layer inputs (recompute only)
  LlamaModel::NormActivations finalNorm_;
  RmsStatistics final_;
};

std::unique_ptr<ModelLinearization> LlamaModel::linearize(const Batch& batch, const LinearizationOptions& options) const {
  if (!observable().linearizesAtLogits()) return nullptr;
  return std::make_unique<LlamaLinearization>(*this, batch, options);
}

}  // namespace shellscope::engine
