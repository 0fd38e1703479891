#pragma once
// A language model's body x_0 = E(θ), x_{l+1} = F_l(θ, x_l), h = N(θ, x_L) linearised by
// recomputing one layer at a time from its kept input (compute --recompute-activations,
// docs/engine.md "Activation recompute"). Kept: the layer inputs x_0 .. x_{L-1} (L x n x H values)
// and the final norm's graph from x_L. With x̄ the cotangent and ẋ the tangent of x:
//   J^T u:  x̄_L and N's parameter gradient by a backward through N; for l = L-1 .. 0 the layer is
//           run again from x_l WITH a graph (one layer) and x̄_l, ∂<x̄_{l+1}, F_l>/∂θ_l come from a
//           backward of x̄_{l+1} through it; last E's parameter gradient from x̄_0
//   J g:    for l = 0 .. L-1 the family's tangent step ẋ_{l+1} = F_l'(x_l)·(ẋ_l, ġ) on the layer
//           run again from x_l without a graph (it records what its tangent pass reads), dropped after
// The per-layer backward uses the same LibTorch ops on the same values as a backward through the
// whole retained graph, so the products equal the kept-activation ones (bitwise in the measured
// cases; tests/core/engine/test_recompute.cpp).
#include <ATen/ATen.h>

#include <functional>
#include <vector>

namespace shellscope::engine {

class RecomputedBody {
 public:
  /// x_0 from the parameters (the embedding; with a graph when grad mode is on).
  using Embedding = std::function<at::Tensor(const std::vector<at::Tensor>& params)>;
  /// x_{l+1} from x_l for layer l, with the model's parameters (a graph when grad mode is on).
  using Layer = std::function<at::Tensor(size_t layer, const at::Tensor& input)>;
  /// h from x_L (the final norm).
  using FinalNorm = std::function<at::Tensor(const at::Tensor& input)>;
  /// ẋ_{l+1} from ẋ_l: the family's tangent step on layer l run again from its input.
  using LayerTangent = std::function<at::Tensor(size_t layer, const at::Tensor& input, const at::Tensor& inputDot)>;

  /// Runs the body once without a graph (the final norm with one), keeping every layer's input.
  /// `params` (the model's, leaves that require grad) must outlive this.
  RecomputedBody(const std::vector<at::Tensor>& params, size_t layerCount, Embedding embedding, Layer layer,
                 FinalNorm finalNorm);

  /// h [B, T, H], with the final norm's graph (from x_L, a leaf, and the norm's parameters).
  const at::Tensor& hidden() const { return hidden_; }
  /// x_l, detached; l = layerCount() is x_L.
  const at::Tensor& input(size_t layer) const { return inputs_[layer]; }
  size_t layerCount() const { return inputs_.size() - 1; }

  /// J_body^T: the parameter gradients of <cotangent, h>, one per parameter (undefined for those
  /// h does not depend on).
  std::vector<at::Tensor> backward(const at::Tensor& cotangent) const;
  /// ẋ_L from ẋ_0, one layer at a time.
  at::Tensor tangent(at::Tensor inputDot, const LayerTangent& step) const;

 private:
  /// Adds ∂<cotangent, y>/∂θ into grads and returns ∂<cotangent, y>/∂input (undefined input: none).
  at::Tensor backwardThrough(const at::Tensor& y, const at::Tensor& cotangent, const at::Tensor& input,
                             std::vector<at::Tensor>& grads, bool retainGraph) const;

  const std::vector<at::Tensor>& params_;
  Embedding embedding_;
  Layer layer_;
  std::vector<at::Tensor> inputs_;  ///< x_0 .. x_{L-1}, then x_L (a leaf that requires grad)
  at::Tensor hidden_;
};

}  // namespace shellscope::engine
