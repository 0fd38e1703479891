#include "operator/explicit_jacobian.h"

#include <torch/csrc/autograd/autograd.h>

namespace shellscope::engine {

namespace {
Eigen::VectorXd flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}).to(at::kDouble));
  const at::Tensor all = at::cat(flat).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(all.data_ptr<double>(), all.numel());
}
}  // namespace

Eigen::MatrixXd explicitJacobian(const ModelFunction& model, const Batch& batch) {
  at::AutoGradMode enableGrad(true);
  const at::Tensor f = model.outputs(model.parameters(), batch);
  const std::int64_t n = f.numel();
  Eigen::MatrixXd j(n, model.parameterCount());
  for (std::int64_t i = 0; i < n; ++i) {
    auto grads = torch::autograd::grad({f[i]}, model.parameters(), {}, /*retain_graph=*/true, false, true);
    for (size_t k = 0; k < grads.size(); ++k) {
      if (!grads[k].defined()) grads[k] = at::zeros_like(model.parameters()[k]);
    }
    j.row(i) = flatten(grads).transpose();
  }
  return j;
}

Eigen::VectorXd batchErrorVector(const ModelFunction& model, const Batch& batch) {
  at::NoGradGuard noGrad;
  const at::Tensor e = model.errors(model.outputs(model.parameters(), batch), batch).to(at::kDouble).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(e.data_ptr<double>(), e.numel());
}

}  // namespace shellscope::engine
