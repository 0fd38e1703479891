#pragma once
// The Jacobian J (n x P) of a model's f on a batch, formed explicitly, one reverse-mode row per
// sample point: ground truth for tests and for the quadrature benchmark on small models. Never
// for real models (P is the parameter count).

#include <Eigen/Core>

#include "models/model_function.h"

namespace shellscope::engine {

/// Row i = ∇_θ f_i, in float64.
Eigen::MatrixXd explicitJacobian(const ModelFunction& model, const Batch& batch);

/// e on the batch, in float64.
Eigen::VectorXd batchErrorVector(const ModelFunction& model, const Batch& batch);

}  // namespace shellscope::engine
