#include "operator/operators.h"

#include <cmath>
#include <cstring>

namespace shellscope::engine {

at::Tensor toTensor(const Eigen::VectorXd& v, const at::TensorOptions& options) {
  at::Tensor host = at::empty({static_cast<std::int64_t>(v.size())}, at::kDouble);
  std::memcpy(host.data_ptr<double>(), v.data(), sizeof(double) * static_cast<size_t>(v.size()));
  return host.to(options);
}

Eigen::VectorXd toEigen(const at::Tensor& t) {
  const at::Tensor host = t.detach().to(at::kCPU, at::kDouble).contiguous().reshape({-1});
  Eigen::VectorXd v(host.numel());
  std::memcpy(v.data(), host.data_ptr<double>(), sizeof(double) * static_cast<size_t>(host.numel()));
  return v;
}

void FunctionSpaceOperator::apply(const Eigen::VectorXd& in, Eigen::VectorXd& out) {
  const at::Tensor u = toTensor(in, lin_.outputs().options());
  out = toEigen(lin_.gramProduct(u)) / static_cast<double>(lin_.pointCount());
}

double ScaledJacobianOperator::advanceRight(const Eigen::VectorXd& u, double beta) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(lin_.pointCount()));
  std::vector<at::Tensor> w = lin_.vjp(toTensor(u, lin_.outputs().options()));
  std::vector<at::Tensor> squares;
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = w[i] * scale;
    if (beta != 0.0 && !right_.empty()) w[i] = w[i] - right_[i] * beta;
    squares.push_back(w[i].square().sum(at::kDouble));
  }
  const double alpha = std::sqrt(at::stack(squares).sum().item<double>());
  if (alpha > 0.0) {
    for (auto& t : w) t = t / alpha;
    right_ = std::move(w);
  }
  return alpha;
}

void ScaledJacobianOperator::applyToRight(Eigen::VectorXd& out) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(lin_.pointCount()));
  out = toEigen(lin_.jvp(right_)) * scale;
}

}  // namespace shellscope::engine
