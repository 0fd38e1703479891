#include "models/model_function.h"

#include <torch/csrc/autograd/autograd.h>

#include <stdexcept>

namespace shellscope::engine {

ModelFunction::ModelFunction(std::shared_ptr<const Observable> observable) : observable_(std::move(observable)) {
  if (!observable_) throw std::invalid_argument("a model needs an observable");
}

void ModelFunction::setObservable(std::shared_ptr<const Observable> observable) {
  if (!observable || observable->reads() != output()) {
    throw std::invalid_argument("observable '" + (observable ? observable->name() : std::string("none")) +
                                "' cannot read this model's output");
  }
  observable_ = std::move(observable);
}

at::Tensor ModelFunction::outputs(const std::vector<at::Tensor>& params, const Batch& batch) const {
  return observable_->value(rawOutputs(params, batch), batch.targets);
}

at::Tensor ModelFunction::errors(const at::Tensor& outputs, const Batch& batch) const {
  return observable_->error(outputs, batch.targets);
}

std::int64_t ModelFunction::parameterCount() const {
  std::int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

at::Tensor ModelLinearization::restProduct(const at::Tensor&) {
  throw std::logic_error("restProduct called on a linearisation without a fixed block");
}

std::vector<at::Tensor> reverseModeVjp(const at::Tensor& outputs, const std::vector<at::Tensor>& params,
                                       const at::Tensor& u) {
  auto grads = torch::autograd::grad({outputs}, params, {u.to(outputs.options()).reshape(outputs.sizes())},
                                     /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) grads[i] = at::zeros_like(params[i]);
  }
  return grads;
}

void convertParameters(std::vector<at::Tensor>& params, at::Device device, at::ScalarType dtype) {
  for (auto& p : params) {
    // A parameter already there stays as it is: a copy would double a loaded model's memory.
    const bool there = p.device().type() == device.type() && (!device.has_index() || p.device().index() == device.index());
    if (there && p.scalar_type() == dtype && p.requires_grad()) continue;
    p = p.detach().to(device, dtype, /*non_blocking=*/false, /*copy=*/true).set_requires_grad(true);
  }
}

}  // namespace shellscope::engine
