#pragma once
// The output layer z_i = W h_i of a language model, linearised on one batch for the hand-written
// linearisations (GPT-NeoX, GPT-2, Llama). With h_i the final hidden state, g_i = ∂f_i/∂z_i and
// a_i = W^T g_i (models/observable.h):
//   J^T u = backward of Σ_i u_i a_i · h_i through the body, plus Σ_i u_i g_i h_i^T on W
//   J ġ   = a_i · ḣ_i + g_i · (Ẇ h_i)
// When W is a parameter of its own (GPT-NeoX's embed_out, an untied Llama's lm_head) its columns
// of J split off exactly:
//   J_W J_W^T (i,j) = (g_i·g_j)(h_i·h_j) = K,   J J^T = K + J_b J_b^T,
// K formed once per batch, and J_b J_b^T u a backward pass from u_i a_i then the tangent pass
// ending in a_i · ḣ_i, so no Lanczos product touches a vocabulary-sized tensor. When W is tied to
// the input embedding (GPT-2, a tied Llama) its column block is the sum of both parts and the
// cross terms need the vocabulary-sized J_emb^T u: no split, the plain product (K undefined).
// Verified against explicit Jacobians in tests/core/engine/test_operator.cpp (outputLayerSplitIsExact),
// test_gpt2.cpp and test_llama.cpp.
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "models/model_function.h"

namespace shellscope::engine {

class OutputHead {
 public:
  /// ḣ [B, T, H] for a tangent with one tensor per parameter (the output layer's is not read).
  using HiddenTangent = std::function<at::Tensor(const std::vector<at::Tensor>&)>;
  /// The body's J^T from the cotangent at h [B, T, H]: one gradient per parameter (undefined for
  /// those h does not depend on). Empty: a backward through the retained graph of `hiddenGraph`.
  using BodyVjp = std::function<std::vector<at::Tensor>(const at::Tensor&)>;

  OutputHead() = default;
  /// `hiddenGraph` [B, T, H] carries the body's graph; params[outputSlot] is W [V, H]; `split`
  /// when W is used nowhere else; `bodyVjp` replaces the backward through the retained graph
  /// (activation recompute, models/recomputed_body.h).
  OutputHead(const Observable& observable, const at::Tensor& hiddenGraph, const std::vector<at::Tensor>& params,
             int outputSlot, const at::Tensor& targets, bool split, BodyVjp bodyVjp = {})
      : hiddenGraph_(hiddenGraph), outputSlot_(static_cast<size_t>(outputSlot)), split_(split),
        customBodyVjp_(std::move(bodyVjp)) {
    for (size_t i = 0; i < params.size(); ++i) {
      if (!split || i != outputSlot_) bodyParams_.push_back(params[i]);
    }
    at::NoGradGuard noGrad;
    const at::Tensor w = params[outputSlot_].detach();
    hidden_ = hiddenGraph.detach().reshape({-1, hiddenGraph.size(-1)});
    logits_ = observable.linearizeAtLogits(hidden_, w, targets);
    outputSlope_ = logits_->hiddenSlope(w).view_as(hiddenGraph);
    if (split) outputGram_ = logits_->logitGram().mul_(at::matmul(hidden_, hidden_.t()));
  }

  /// f, [n].
  const at::Tensor& outputs() const { return logits_->values(); }
  /// K, or undefined when W is tied.
  const at::Tensor& fixedBlock() const { return outputGram_; }
  /// The position of W among the model's parameters.
  size_t outputSlot() const { return outputSlot_; }

  /// J^T u for `params` (the model's, in order).
  std::vector<at::Tensor> vjp(const at::Tensor& u, const std::vector<at::Tensor>& params) const {
    const at::Tensor weights = flat(u);
    std::vector<at::Tensor> body = bodyVjp(weights);
    at::NoGradGuard noGrad;
    const at::Tensor outputGrad = logits_->weightGradient(hidden_ * weights.unsqueeze(1), params[outputSlot_]);
    if (!split_) {
      body[outputSlot_] = body[outputSlot_] + outputGrad;
      return body;
    }
    std::vector<at::Tensor> grads;
    for (size_t i = 0, b = 0; i < params.size(); ++i) grads.push_back(i == outputSlot_ ? outputGrad : body[b++]);
    return grads;
  }

  /// J ġ from the body's tangent ḣ [B, T, H] and the output layer's tangent Ẇ.
  at::Tensor jvp(const at::Tensor& hiddenDot, const at::Tensor& weightDot) const {
    at::NoGradGuard noGrad;
    at::Tensor result = (outputSlope_ * hiddenDot).sum(-1).reshape({-1});
    const std::int64_t n = result.numel();
    for (std::int64_t start = 0; start < n; start += kVocabularyChunk) {
      const std::int64_t count = std::min(kVocabularyChunk, n - start);
      const at::Tensor logitsDot = at::matmul(hidden_.narrow(0, start, count), weightDot.t());
      result.narrow(0, start, count).add_(logits_->tangent(logitsDot, start, count));
    }
    return result;
  }

  /// J_b J_b^T u (only with the split).
  at::Tensor restProduct(const at::Tensor& u, const HiddenTangent& hiddenTangent) const {
    std::vector<at::Tensor> body = bodyVjp(flat(u));
    std::vector<at::Tensor> tangent;
    for (size_t i = 0, b = 0; i < body.size() + 1; ++i) {  // the body's parameters and W
      tangent.push_back(i == outputSlot_ ? at::Tensor() : body[b++]);
    }
    at::NoGradGuard noGrad;
    return (outputSlope_ * hiddenTangent(tangent)).sum(-1).reshape({-1});
  }

 private:
  /// Rows of the vocabulary-sized tensors handled at once, to bound the transient memory.
  static constexpr std::int64_t kVocabularyChunk = 256;

  at::Tensor flat(const at::Tensor& u) const { return u.to(outputs().options()).reshape({-1}); }

  /// Backward through the body from the cotangent u_i a_i at h_i, for bodyParams_.
  std::vector<at::Tensor> bodyVjp(const at::Tensor& u) const {
    const at::Tensor cotangent =
        (outputSlope_ * u.view({hiddenGraph_.size(0), hiddenGraph_.size(1), 1})).to(hiddenGraph_.scalar_type());
    if (customBodyVjp_) {
      std::vector<at::Tensor> all = customBodyVjp_(cotangent), grads;
      for (size_t i = 0, b = 0; i < all.size(); ++i) {
        if (split_ && i == outputSlot_) continue;
        grads.push_back(all[i].defined() ? all[i] : at::zeros_like(bodyParams_[b]));
        ++b;
      }
      return grads;
    }
    auto grads = torch::autograd::grad({hiddenGraph_}, bodyParams_, {cotangent}, /*retain_graph=*/true,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) grads[i] = at::zeros_like(bodyParams_[i]);
    }
    return grads;
  }

  at::Tensor hiddenGraph_;                      ///< [B, T, H] with the body's graph
  std::vector<at::Tensor> bodyParams_;          ///< all parameters, less W when split
  size_t outputSlot_ = 0;
  bool split_ = false;
  at::Tensor hidden_;                           ///< h, [n, H]
  std::unique_ptr<LogitLinearization> logits_;  ///< the observable at z = W h
  at::Tensor outputSlope_;                      ///< a, [B, T, H]
  at::Tensor outputGram_;                       ///< K, [n, n], when split
  BodyVjp customBodyVjp_;                       ///< empty: through hiddenGraph_'s retained graph
};

/// A language model's own linearisation on an OutputHead: the model records its activations, sets
/// the head and supplies the tangent pass of its body (ḣ); products go through the head.
class OutputHeadLinearization : public ModelLinearization {
 public:
  const at::Tensor& outputs() const override { return head_.outputs(); }
  std::vector<at::Tensor> vjp(const at::Tensor& u) override { return head_.vjp(u, *params_); }
  at::Tensor jvp(const std::vector<at::Tensor>& g) override { return head_.jvp(hiddenTangent(g), g[head_.outputSlot()]); }
  at::Tensor fixedBlock() const override { return head_.fixedBlock(); }
  at::Tensor restProduct(const at::Tensor& u) override {
    return head_.restProduct(u, [this](const std::vector<at::Tensor>& g) { return hiddenTangent(g); });
  }

 protected:
  /// Called once by the derived constructor; `params` (the model's) must outlive this.
  void setHead(OutputHead head, const std::vector<at::Tensor>& params) {
    head_ = std::move(head);
    params_ = &params;
  }
  /// ḣ [B, T, H] for a tangent with one tensor per parameter.
  virtual at::Tensor hiddenTangent(const std::vector<at::Tensor>& g) const = 0;

 private:
  OutputHead head_;
  const std::vector<at::Tensor>* params_ = nullptr;
};

}  // namespace shellscope::engine
