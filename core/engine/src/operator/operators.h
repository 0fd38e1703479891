#pragma once
// Adapters from a BatchLinearization to the Lanczos operator interfaces (lanczos.h):
//   M = J J^T / n       (SymmetricOperator, Full and Plain modes)
//   A = J / sqrt(n)     (FactoredOperator, Golub-Kahan; M = A A^T)
// Lanczos vectors are float64 Eigen vectors; products run in the model's dtype and device.

#include <vector>

#include "operator/linearization.h"
#include "shellscope/spectral/lanczos.h"

namespace shellscope::engine {

at::Tensor toTensor(const Eigen::VectorXd& v, const at::TensorOptions& options);
Eigen::VectorXd toEigen(const at::Tensor& t);

class FunctionSpaceOperator final : public SymmetricOperator {
 public:
  explicit FunctionSpaceOperator(BatchLinearization& linearization) : lin_(linearization) {}
  Eigen::Index size() const override { return static_cast<Eigen::Index>(lin_.pointCount()); }
  void apply(const Eigen::VectorXd& in, Eigen::VectorXd& out) override;

 private:
  BatchLinearization& lin_;
};

class ScaledJacobianOperator final : public FactoredOperator {
 public:
  explicit ScaledJacobianOperator(BatchLinearization& linearization) : lin_(linearization) {}
  Eigen::Index size() const override { return static_cast<Eigen::Index>(lin_.pointCount()); }
  double advanceRight(const Eigen::VectorXd& u, double beta) override;
  void applyToRight(Eigen::VectorXd& out) override;

 private:
  BatchLinearization& lin_;
  std::vector<at::Tensor> right_;  ///< v in parameter space, one tensor per parameter
};

}  // namespace shellscope::engine
