// Layer-by-layer recomputation of a language model's body for J^T u and J g (recomputed_body.h):
// x̄_l = backward of x̄_{l+1} through F_l run again from x_l, one layer's graph alive at a time.
#include "models/recomputed_body.h"

#include <torch/csrc/autograd/autograd.h>

namespace shellscope::engine {

RecomputedBody::RecomputedBody(const std::vector<at::Tensor>& params, size_t layerCount, Embedding embedding,
                               Layer layer, FinalNorm finalNorm)
    : params_(params), embedding_(std::move(embedding)), layer_(std::move(layer)) {
  {
    at::NoGradGuard noGrad;
    inputs_.push_back(embedding_(params_));
    for (size_t l = 0; l < layerCount; ++l) inputs_.push_back(layer_(l, inputs_.back()));
  }
  inputs_.back() = inputs_.back().detach().requires_grad_(true);
  at::AutoGradMode enableGrad(true);
  hidden_ = finalNorm(inputs_.back());
}

at::Tensor RecomputedBody::backwardThrough(const at::Tensor& y, const at::Tensor& cotangent, const at::Tensor& input,
                                           std::vector<at::Tensor>& grads, bool retainGraph) const {
  std::vector<at::Tensor> inputs = params_;
  if (input.defined()) inputs.push_back(input);
  auto result = torch::autograd::grad({y}, inputs, {cotangent}, retainGraph, /*create_graph=*/false,
                                      /*allow_unused=*/true);
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!result[i].defined()) continue;
    grads[i] = grads[i].defined() ? grads[i] + result[i] : result[i];
  }
  return input.defined() ? result.back() : at::Tensor();
}

std::vector<at::Tensor> RecomputedBody::backward(const at::Tensor& cotangent) const {
  std::vector<at::Tensor> grads(params_.size());
  // The final norm's graph is kept (it is one n x H activation): retained for the next product.
  at::Tensor x = backwardThrough(hidden_, cotangent, inputs_.back(), grads, /*retainGraph=*/true);
  at::AutoGradMode enableGrad(true);
  for (size_t l = layerCount(); l-- > 0;) {
    const at::Tensor input = inputs_[l].detach().requires_grad_(true);
    const at::Tensor output = layer_(l, input);  // this layer's graph, dropped at the end of the iteration
    x = backwardThrough(output, x, input, grads, /*retainGraph=*/false);
  }
  backwardThrough(embedding_(params_), x, at::Tensor(), grads, /*retainGraph=*/false);
  return grads;
}

at::Tensor RecomputedBody::tangent(at::Tensor inputDot, const LayerTangent& step) const {
  at::NoGradGuard noGrad;
  for (size_t l = 0; l < layerCount(); ++l) inputDot = step(l, inputs_[l], inputDot);
  return inputDot;
}

}  // namespace shellscope::engine
