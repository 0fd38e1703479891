#pragma once
// The lab's model on its fixed points (shellscope/experiment/lab_run.h): the trained function
// with its output scale, the errors, the objective and its gradient step, and the exact Jacobian.
//
//     f_α(θ)   = α (f(θ) − f(θ₀)) + f(θ₀)              f = observable(raw): o_i, log q(y_i|x_i)
//  or (scale on logits, a language model)
//     f_α(θ)   = log softmax(z_α,i)[y_i],  z_α(θ) = α (z(θ) − z(θ₀)) + z(θ₀)
//     e        = y − f_α (mse) or −f_α (lm-logprob)      ∂e_i/∂f_i = −1 either way
//     J        = ∂f_α/∂θ (n × P; includes α),  M = J Jᵀ/n
//
// J is formed one reverse-mode row per point, each through the graph of the window (language
// model) or point (regressor) it belongs to only, so a row costs one small backward pass.

#include <ATen/ATen.h>

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "models/model_function.h"
#include "shellscope/base/progress.h"
#include "shellscope/lab/checkpoint_snapshot.h"

namespace shellscope::engine {

class LabProblem {
 public:
  /// `points` is the fixed batch in float64 (token ids for a language model); `heldOut` (empty
  /// inputs: none) the held-out points, never trained on. raw(θ₀) of both is recorded from the
  /// model's parameters now. The model is converted to float64 on the CPU.
  LabProblem(std::unique_ptr<ModelFunction> model, Batch points, double outputScale,
             bool scaleRawOutput = false, Batch heldOut = {});

  const ModelFunction& model() const { return *model_; }
  const Batch& points() const { return train_.points; }
  double outputScale() const { return alpha_; }
  std::int64_t pointCount() const { return train_.points.pointCount(); }
  bool hasHeldOut() const { return heldOut_.points.inputs.defined(); }
  const Batch& heldOutPoints() const { return heldOutSet().points; }
  std::int64_t heldOutPointCount() const { return hasHeldOut() ? heldOut_.points.pointCount() : 0; }
  std::int64_t parameterCount() const { return model_->parameterCount(); }

  /// f_α on every point at `params`, [n], with its graph when grad mode is on.
  at::Tensor outputs(const std::vector<at::Tensor>& params) const;
  /// e from f_α.
  at::Tensor errors(const at::Tensor& f) const;
  /// L of e: ½ mean(e²) or mean(e).
  static at::Tensor loss(const at::Tensor& e, lab::Objective objective);

  /// e at the current parameters, float64.
  Eigen::VectorXd errorVector() const;
  /// e' of the held-out points at the current parameters (throws std::logic_error without them).
  Eigen::VectorXd heldOutErrorVector() const;
  /// L at the current parameters.
  double currentLoss(lab::Objective objective) const;
  /// One step v ← β v + ∇L_R, θ ← θ − h v (β = 0: plain gradient descent), where L_R is the
  /// objective over the points of the rows `rows` (a language model's windows, the regressor's
  /// points; empty: every point, full batch). Returns L_R before the step.
  double gradientStep(lab::Objective objective, double stepSize, const std::vector<std::int64_t>& rows = {},
                      double momentum = 0.0);
  /// Rows of the points: windows of a language model, points of the regressor.
  std::int64_t rowCount() const { return train_.points.inputs.size(0); }

  /// J = ∂f_α/∂θ at the current parameters, [n, P] float64, one row per point; cancels through
  /// `progress` between rows.
  at::Tensor jacobian(const ProgressToken& progress = {}) const;
  /// J' of the held-out points, [n', P] (throws std::logic_error without them).
  at::Tensor heldOutJacobian(const ProgressToken& progress = {}) const;
  /// M = J Jᵀ/n.
  static Eigen::MatrixXd gram(const at::Tensor& jacobian);
  /// K' = J' Jᵀ, [n', n] (not divided by n).
  static Eigen::MatrixXd crossKernel(const at::Tensor& heldOutJacobian, const at::Tensor& jacobian);

 private:
  struct Group {
    Batch batch;
    at::Tensor raw0, f0;
    std::int64_t first = 0;  ///< index of its first point among all points of its set
  };
  /// Points with raw(θ₀) and f(θ₀) recorded, cut into independent groups for the Jacobian.
  struct PointSet {
    Batch points;
    at::Tensor raw0, f0;
    std::vector<Group> groups;
  };
  PointSet record(Batch points) const;
  /// f_α from the raw output, given raw(θ₀) and f(θ₀) of the same points.
  at::Tensor scaledOutputs(const at::Tensor& raw, const at::Tensor& raw0, const at::Tensor& f0,
                           const at::Tensor& targets) const;
  at::Tensor outputsOf(const PointSet& set, const std::vector<at::Tensor>& params) const;
  Eigen::VectorXd errorVectorOf(const PointSet& set) const;
  at::Tensor jacobianOf(const PointSet& set, const ProgressToken& progress) const;
  const PointSet& heldOutSet() const;

  std::unique_ptr<ModelFunction> model_;
  double alpha_ = 1.0;
  bool scaleRaw_ = false;
  PointSet train_, heldOut_;
  std::vector<at::Tensor> velocity_;  ///< heavy-ball momentum's v (empty until the first step with β > 0)
};

/// The characters of the synthetic language as token ids: 0 newline and anything else, 1 space,
/// 2 '.', 3 ',', 4.. 'a'..'z' (upper case read as lower case): 30 symbols.
std::vector<std::int64_t> characterTokens(const std::string& text);
inline constexpr std::int64_t kCharacterVocabulary = 30;

/// The lab's model and its fixed points for `settings` (model, points, seq_len, seed); also says
/// where the points came from.
struct LabSetup {
  std::unique_ptr<ModelFunction> model;
  Batch points;
  Batch heldOut;  ///< empty inputs when none were asked for
  std::string modelName;
  std::string dataSource;
  std::string heldOutSource;
};
/// `heldOutPoints` (0: none) more points of the same task, disjoint from the training points: the
/// regressor's from another batch of its inputs with clean targets, a language model's the windows
/// that follow the training windows in the synthetic text. `labelNoise` (regressor only) adds
/// N(0, labelNoise²) to the training targets (seeded by `seed`); the held-out targets stay clean.
LabSetup makeLabSetup(const std::string& model, int points, int seqLen, std::uint64_t seed, int heldOutPoints = 0,
                      double labelNoise = 0.0);

}  // namespace shellscope::engine
