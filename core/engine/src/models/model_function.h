#pragma once
// The interface the engine drives: a model as a function of all its trainable parameters,
// evaluated on a batch of n sample points (science.md §1-2).
//
//   raw output   logits z_i for a language model, one value o_i per point for a regressor
//   f_i(θ)       what the observable (observable.h) makes of it: log q(y_i | x_i), o_i, ...
//   e_i          the observable's error: -f_i, y_i - f_i, ...
//
// rawOutputs() takes the parameters explicitly, so the same code evaluates the model at its own
// leaves (reverse mode, VJPs) and at dual tensors (forward mode, JVPs). Drivers see only this
// interface and the description every model gives (vocabulary, context length, parameters by
// group), never a model family's own types.

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "models/observable.h"

namespace shellscope::engine {

/// A batch of sample points. Token ids: inputs and targets are int64 [B, L]. Real values: inputs
/// [n, d] and targets [n] in the compute dtype.
struct Batch {
  std::int64_t index = 0;
  at::Tensor inputs;
  at::Tensor targets;
  std::int64_t pointCount() const { return targets.numel(); }
};

/// Trainable parameters of one kind, counted (the columns of J they contribute).
struct ParameterGroup {
  std::string name;        ///< "embedding", "layers", "final norm", "output", ...
  std::int64_t count = 0;
};

/// What every model tells the drivers.
struct ModelDescription {
  std::string family;                  ///< the modelType() of the family that built it ("gpt_neox"; "mlp" for the built-in regressor)
  std::int64_t vocabularySize = 0;     ///< token ids it reads lie in [0, vocabularySize); 0 for regressors
  std::int64_t contextLength = 0;      ///< longest window it accepts; 0 when unbounded
  std::int64_t inputDimension = 0;     ///< features per point for regressors; 0 for language models
  std::vector<ParameterGroup> parameterGroups;
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

/// How a model linearises itself (ModelFunction::linearize).
struct LinearizationOptions {
  /// Keep only each layer's input and recompute one layer at a time in every product
  /// (models/recomputed_body.h) instead of keeping every layer's activations and graph.
  bool recomputeActivations = false;
};

class ModelFunction {
 public:
  /// `observable` must read what this model outputs.
  explicit ModelFunction(std::shared_ptr<const Observable> observable);
  virtual ~ModelFunction() = default;

  virtual ModelDescription description() const = 0;
  /// What rawOutputs() returns.
  virtual ModelOutput output() const = 0;
  /// The trainable parameters: leaf tensors that require grad, in a fixed order.
  virtual const std::vector<at::Tensor>& parameters() const = 0;
  virtual const std::vector<std::string>& parameterNames() const = 0;
  /// The raw output on the batch (logits [B, L, V], or values [n]); `params` matches parameters().
  virtual at::Tensor rawOutputs(const std::vector<at::Tensor>& params, const Batch& batch) const = 0;
  /// The model's own linearisation on `batch`; nullptr when it has none for its observable (the
  /// engine then uses LibTorch's autograd: reverse mode through the graph, dual numbers or double
  /// backward). Models without layers to recompute ignore options.recomputeActivations.
  virtual std::unique_ptr<ModelLinearization> linearize(const Batch& batch, const LinearizationOptions& options = {}) const {
    return nullptr;
  }
  /// Moves and converts the parameters (they stay leaves that require grad).
  virtual void to(at::Device device, at::ScalarType dtype) = 0;

  const Observable& observable() const { return *observable_; }
  /// Measures another observable; throws std::invalid_argument when it cannot read this model's output.
  void setObservable(std::shared_ptr<const Observable> observable);

  /// f(θ) on the batch, flattened to [n].
  at::Tensor outputs(const std::vector<at::Tensor>& params, const Batch& batch) const;
  /// e from f.
  at::Tensor errors(const at::Tensor& outputs, const Batch& batch) const;
  std::int64_t parameterCount() const;

 private:
  std::shared_ptr<const Observable> observable_;
};

/// J^T u through the retained graph of `outputs`, zeros for parameters it does not depend on.
std::vector<at::Tensor> reverseModeVjp(const at::Tensor& outputs, const std::vector<at::Tensor>& params,
                                       const at::Tensor& u);

/// Replaces every tensor by a converted leaf that requires grad.
void convertParameters(std::vector<at::Tensor>& params, at::Device device, at::ScalarType dtype);

}  // namespace shellscope::engine
