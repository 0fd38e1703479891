#pragma once
// The interface the engine drives: a model as a function of all its trainable parameters,
// evaluated on a batch of n sample points (science.md §1-2).
//
//   f_i(θ)  per-point output: log q(y_i | x_i) for a language model, the prediction for MSE
//   e_i     error: -f_i for the LM observable (target f* = 0), y_i - f_i for MSE regression
//
// outputs() takes the parameters explicitly, so the same code evaluates the model at its own
// leaves (reverse mode, VJPs) and at dual tensors (forward mode, JVPs).

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

namespace shellscope::engine {

enum class Observable { LanguageModelLogProb, MseRegression };

/// Name stored in sessions: "lm-logprob" or "mse".
std::string observableName(Observable observable);

/// A batch of sample points. LM: inputs and targets are int64 [B, L]. MSE: inputs [n, d] and
/// targets [n] in the compute dtype.
struct Batch {
  std::int64_t index = 0;
  at::Tensor inputs;
  at::Tensor targets;
  std::int64_t pointCount() const { return targets.numel(); }
};

/// A model linearised at θ on one batch by its own code: one forward pass records what the
/// products need, then every VJP is a backward pass through the retained graph and every JVP a
/// hand-written tangent pass over the recorded activations (no primal recomputation).
///
/// A linearisation may also split the Gram operator exactly, J J^T = K + J_r J_r^T, with an n x n
/// block K formed once per batch (GPT-NeoX: the output layer, whose parameters are vocabulary
/// sized) so that a product M u touches only the remaining parameters.
class ModelLinearization {
 public:
  virtual ~ModelLinearization() = default;
  /// f on the batch, [n], detached.
  virtual const at::Tensor& outputs() const = 0;
  /// J^T u, one tensor per parameter.
  virtual std::vector<at::Tensor> vjp(const at::Tensor& u) = 0;
  /// J g for a tangent with one tensor per parameter.
  virtual at::Tensor jvp(const std::vector<at::Tensor>& tangent) = 0;
  /// K, or an undefined tensor when the model does not split its Gram operator.
  virtual at::Tensor fixedBlock() const { return {}; }
  /// J_r J_r^T u (only called when fixedBlock() is defined).
  virtual at::Tensor restProduct(const at::Tensor& u);
};

class ModelFunction {
 public:
  virtual ~ModelFunction() = default;

  virtual Observable observable() const = 0;
  /// The trainable parameters: leaf tensors that require grad, in a fixed order.
  virtual const std::vector<at::Tensor>& parameters() const = 0;
  virtual const std::vector<std::string>& parameterNames() const = 0;
  /// f(θ) on the batch, flattened to [n]; `params` matches parameters() in order and shape.
  virtual at::Tensor outputs(const std::vector<at::Tensor>& params, const Batch& batch) const = 0;
  /// The model's own linearisation on `batch`; nullptr when it has none (the engine then uses
  /// LibTorch's autograd: reverse mode through the graph, dual numbers or double backward).
  virtual std::unique_ptr<ModelLinearization> linearize(const Batch& batch) const { return nullptr; }
  /// Moves and converts the parameters (they stay leaves that require grad).
  virtual void to(at::Device device, at::ScalarType dtype) = 0;

  /// e from f for this model's observable.
  at::Tensor errors(const at::Tensor& outputs, const Batch& batch) const;
  std::int64_t parameterCount() const;
};

/// J^T u through the retained graph of `outputs`, zeros for parameters it does not depend on.
std::vector<at::Tensor> reverseModeVjp(const at::Tensor& outputs, const std::vector<at::Tensor>& params,
                                       const at::Tensor& u);

/// Replaces every tensor by a converted leaf that requires grad.
void convertParameters(std::vector<at::Tensor>& params, at::Device device, at::ScalarType dtype);

}  // namespace shellscope::engine
