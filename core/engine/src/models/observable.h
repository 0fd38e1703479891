#pragma once
// What is measured at every sample point i (science.md §1): the model function f_i(θ) whose
// Jacobian J defines M = J J*/n, and the error e_i whose spectral measure the shells bin.
//
//   lm-logprob  f_i = log q(y_i | x_i) = z_i[y_i] - log Σ_v exp z_i[v]   e_i = -f_i  (target f* = 0)
//   mse         f_i = the model's scalar output o_i                      e_i = y_i - f_i
//
// An observable reads the model's raw output (logits z_i for a language model, one value o_i per
// point for a regressor), turns it into f differentiably (so reverse mode, dual numbers and double
// backward all see it), and f into e; it names itself in the session and says which targets it
// needs. It is not what the model is trained on: training objectives live with the trainer
// (experiment/src/trainer.h), so a run can measure one quantity of a model trained on another.

#include <ATen/ATen.h>

#include <memory>
#include <string>

namespace shellscope::engine {

/// What a model's raw output is, and so which observables can read it.
enum class ModelOutput { Logits, Scalar };
/// What a batch's targets are: token ids (int64 [B, L]) or real values (compute dtype, [n]).
enum class TargetKind { TokenIds, RealValues };

/// An observable f_i = φ(z_i, y_i) of the logits z_i = W h_i of a linear output layer, linearised at
/// z on one batch. With g_i = ∂φ/∂z_i (the row i of G, n x V), the output layer's part of J is
///   ∂f_i/∂W = g_i h_i^T,   so   J_W J_W^T = (G G^T) ⊙ (H H^T),   and   ∂f_i/∂h_i = W^T g_i.
/// Models with such a layer (GPT-NeoX) use these to split it off the Gram operator exactly.
class LogitLinearization {
 public:
  virtual ~LogitLinearization() = default;
  /// f, [n].
  virtual const at::Tensor& values() const = 0;
  /// a_i = W^T g_i for every point, [n, H].
  virtual at::Tensor hiddenSlope(const at::Tensor& weight) const = 0;
  /// G G^T, [n, n].
  virtual at::Tensor logitGram() const = 0;
  /// Σ_i g_i c_i^T for per-point rows c (c_i = u_i h_i for a VJP), [V, H].
  virtual at::Tensor weightGradient(const at::Tensor& rows, const at::Tensor& weight) const = 0;
  /// ḟ_i = g_i · ż_i for points [start, start + count) given their logit tangents ż, [count].
  virtual at::Tensor tangent(const at::Tensor& logitsDot, std::int64_t start, std::int64_t count) const = 0;
};

class Observable {
 public:
  virtual ~Observable() = default;
  /// The name stored as a run's observable: "lm-logprob", "mse".
  virtual std::string name() const = 0;
  virtual ModelOutput reads() const = 0;
  virtual TargetKind targets() const = 0;
  /// f from the raw output (logits [B, L, V] or values [n]) and the targets, flattened to [n].
  virtual at::Tensor value(const at::Tensor& output, const at::Tensor& targets) const = 0;
  /// e from f, [n].
  virtual at::Tensor error(const at::Tensor& f, const at::Tensor& targets) const = 0;
  /// Whether linearizeAtLogits() is offered (models with a linear output layer then split it off).
  virtual bool linearizesAtLogits() const { return false; }
  /// For observables of logits: the linearisation at z = hidden W^T ([n, H] x [V, H]), computed in
  /// chunks of rows so the [n, V] logits never exist twice. Only called when linearizesAtLogits().
  virtual std::unique_ptr<LogitLinearization> linearizeAtLogits(const at::Tensor& hidden, const at::Tensor& weight,
                                                                 const at::Tensor& targets) const;
  /// True when f is the model's scalar output itself (hand-written tangent passes of regressors
  /// rely on it).
  virtual bool isModelOutput() const { return false; }
};

/// f = log q(y | x), e = -f.
std::shared_ptr<const Observable> languageModelLogProb();
/// f = output, e = target - f.
std::shared_ptr<const Observable> meanSquaredError();
/// The observable stored under `name`; throws std::invalid_argument listing the known ones.
std::shared_ptr<const Observable> observableNamed(const std::string& name);

}  // namespace shellscope::engine
