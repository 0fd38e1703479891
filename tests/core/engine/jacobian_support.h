#pragma once
// Ground truth for the engine tests: the Jacobian J (n x P) of a model on a batch, formed
// explicitly, once row by row with reverse mode and once column by column with central finite
// differences (independent of autograd).

#include <torch/csrc/autograd/autograd.h>

#include <Eigen/Dense>

#include "models/gpt_neox.h"
#include "models/model_function.h"
#include "operator/explicit_jacobian.h"

namespace shellscope::test {

inline Eigen::VectorXd flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}).to(at::kDouble));
  const at::Tensor all = at::cat(flat).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(all.data_ptr<double>(), all.numel());
}

/// Row i = ∇_θ f_i, one backward pass per row (the engine's own, operator/explicit_jacobian.h).
inline Eigen::MatrixXd jacobianByRows(const engine::ModelFunction& model, const engine::Batch& batch) {
  return engine::explicitJacobian(model, batch);
}

/// Column p = (f(θ + h e_p) - f(θ - h e_p)) / 2h, in float64.
inline Eigen::MatrixXd jacobianByFiniteDifferences(const engine::ModelFunction& model, const engine::Batch& batch,
                                                    double h = 1e-6) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> params;
  for (const auto& p : model.parameters()) params.push_back(p.detach().clone());
  const std::int64_t n = batch.pointCount();
  Eigen::MatrixXd j(n, model.parameterCount());
  Eigen::Index column = 0;
  for (auto& p : params) {
    at::Tensor flat = p.view({-1});
    for (std::int64_t k = 0; k < flat.numel(); ++k, ++column) {
      const double original = flat[k].item<double>();
      flat[k] = original + h;
      const at::Tensor plus = model.outputs(params, batch).to(at::kDouble).contiguous();
      flat[k] = original - h;
      const at::Tensor minus = model.outputs(params, batch).to(at::kDouble).contiguous();
      flat[k] = original;
      const at::Tensor d = (plus - minus) / (2 * h);
      j.col(column) = Eigen::Map<const Eigen::VectorXd>(d.data_ptr<double>(), n);
    }
  }
  return j;
}

/// A GPT-NeoX small enough for finite differences over every parameter.
inline engine::GptNeoxConfig microLmConfig(bool parallel = true, bool bias = true) {
  engine::GptNeoxConfig c;
  c.vocabSize = 7;
  c.hiddenSize = 8;
  c.numLayers = 2;
  c.numHeads = 2;
  c.intermediateSize = 12;
  c.rotaryPct = 0.5;
  c.parallelResidual = parallel;
  c.attentionBias = bias;
  c.initializerRange = 0.4;  // far from the linear regime, so every term of the forward matters
  return c;
}

}  // namespace shellscope::test
