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

/// A model's own forward-mode differentiation on one batch: the primal forward pass records the
/// activations the tangent pass needs, so a JVP costs only the tangent arithmetic (LibTorch's
/// dual numbers recompute the primal pass every time).
class TangentPropagation {
 public:
  virtual ~TangentPropagation() = default;
  /// f on the batch, with its autograd graph (computed once, on creation).
  virtual const at::Tensor& outputs() const = 0;
  /// J g: the derivative of f along the parameter tangent g (one tensor per parameter).
  virtual at::Tensor jvp(const std::vector<at::Tensor>& tangent) const = 0;
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
  /// Runs the forward pass for `batch`, keeping what a tangent pass needs; nullptr when the model
  /// has no hand-written tangent pass (LibTorch's forward AD is then used).
  virtual std::unique_ptr<TangentPropagation> linearize(const Batch& batch) const { return nullptr; }
  /// Moves and converts the parameters (they stay leaves that require grad).
  virtual void to(at::Device device, at::ScalarType dtype) = 0;

  /// e from f for this model's observable.
  at::Tensor errors(const at::Tensor& outputs, const Batch& batch) const;
  std::int64_t parameterCount() const;
};

/// Replaces every tensor by a converted leaf that requires grad.
void convertParameters(std::vector<at::Tensor>& params, at::Device device, at::ScalarType dtype);

}  // namespace shellscope::engine
