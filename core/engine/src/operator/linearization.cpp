// J^T u by reverse mode through the retained forward graph; J g by the model's tangent pass, by
// dual numbers, or by differentiating the linear map w -> J^T w (double backward). All give f'(θ)·g
// to rounding.
#include "operator/linearization.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace shellscope::engine {

namespace {

/// Holds one forward-AD level for the duration of a dual forward pass.
class DualLevel {
 public:
  DualLevel() : index_(torch::autograd::ForwardADLevel::get_next_idx()) {}
  ~DualLevel() { torch::autograd::ForwardADLevel::release_idx(index_); }
  DualLevel(const DualLevel&) = delete;
  DualLevel& operator=(const DualLevel&) = delete;
  std::int64_t index() const { return static_cast<std::int64_t>(index_); }

 private:
  std::uint64_t index_;
};

at::Tensor definedOrZeros(const at::Tensor& value, const at::Tensor& like) {
  return value.defined() ? value : at::zeros_like(like);
}

}  // namespace

BatchLinearization::BatchLinearization(const ModelFunction& model, Batch batch, JvpMethod method,
                                       bool recomputeActivations)
    : model_(model), batch_(std::move(batch)), method_(method) {
  at::AutoGradMode enableGrad(true);
  LinearizationOptions options;
  options.recomputeActivations = recomputeActivations;
  if (method_ == JvpMethod::ForwardMode) own_ = model_.linearize(batch_, options);
  if (own_) {
    outputs_ = own_->outputs();
  } else {
    graphOutputs_ = model_.outputs(model_.parameters(), batch_);
    outputs_ = graphOutputs_.detach();
  }
  errors_ = model_.errors(outputs_, batch_);
}

std::vector<at::Tensor> BatchLinearization::vjp(const at::Tensor& u) {
  if (own_) return own_->vjp(u);
  return reverseModeVjp(graphOutputs_, model_.parameters(), u);
}

at::Tensor BatchLinearization::gramProduct(const at::Tensor& u) {
  if (own_) {
    const at::Tensor block = own_->fixedBlock();
    if (block.defined()) return at::mv(block, u.to(block.options())) + own_->restProduct(u);
  }
  return jvp(vjp(u));
}

at::Tensor BatchLinearization::jvp(const std::vector<at::Tensor>& tangent) {
  if (tangent.size() != model_.parameters().size()) throw std::invalid_argument("JVP tangent has the wrong length");
  if (method_ == JvpMethod::DoubleBackward) return jvpDoubleBackward(tangent);
  if (own_) return own_->jvp(tangent);
  return jvpDualNumbers(tangent);
}

at::Tensor BatchLinearization::jvpDualNumbers(const std::vector<at::Tensor>& tangent) const {
  // Forward-mode AD is independent of grad mode: no reverse graph is recorded for this pass.
  at::NoGradGuard noGrad;
  DualLevel level;
  const auto& params = model_.parameters();
  std::vector<at::Tensor> duals;
  duals.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    duals.push_back(at::_make_dual(params[i].detach(), tangent[i].to(params[i].options()), level.index()));
  }
  const at::Tensor result = model_.outputs(duals, batch_);
  const at::Tensor derivative = std::get<1>(at::_unpack_dual(result, level.index()));
  return definedOrZeros(derivative, outputs_).detach();
}

at::Tensor BatchLinearization::jvpDoubleBackward(const std::vector<at::Tensor>& tangent) {
  if (!probe_.defined()) {
    at::AutoGradMode enableGrad(true);
    probe_ = at::zeros_like(outputs_).requires_grad_(true);
    auto grads = torch::autograd::grad({graphOutputs_}, model_.parameters(), {probe_}, /*retain_graph=*/true,
                                       /*create_graph=*/true, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].defined() && grads[i].requires_grad()) {
        linearVjp_.push_back(grads[i]);
        linearVjpParams_.push_back(i);
      }
    }
  }
  if (linearVjp_.empty()) return at::zeros_like(outputs_);
  std::vector<at::Tensor> directions;
  directions.reserve(linearVjp_.size());
  for (size_t j = 0; j < linearVjp_.size(); ++j) {
    directions.push_back(tangent[linearVjpParams_[j]].to(linearVjp_[j].options()));
  }
  auto result = torch::autograd::grad(linearVjp_, {probe_}, directions, /*retain_graph=*/true,
                                      /*create_graph=*/false, /*allow_unused=*/true);
  return definedOrZeros(result[0], outputs_);
}

}  // namespace shellscope::engine
