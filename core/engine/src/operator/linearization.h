#pragma once
// The model linearised at θ on one batch: J^T u (VJP) and J g (JVP) without ever forming J,
// J the n x P Jacobian of f with respect to all trainable parameters (science.md §2).
//
// With JvpMethod::ForwardMode and a model that has its own linearisation (GPT-NeoX, MLP), that
// linearisation does everything: one recorded forward pass, VJPs through its retained graph, JVPs
// by its hand-written tangent pass, and for GPT-NeoX the exact output-layer split of J J^T.
// Otherwise LibTorch's autograd on the graph of f: the VJP is a backward pass and the JVP is
//   ForwardAD       LibTorch's dual numbers: a dual forward pass per JVP;
//   DoubleBackward  g -> J g = ∂/∂w <J^T w, g>, where the graph of w -> J^T w is built once per
//                   batch (it is linear in w, so the probe value does not matter) and each JVP is
//                   one backward pass through it.

#include <vector>

#include "models/model_function.h"
#include "shellscope/engine/compute.h"

namespace shellscope::engine {

class BatchLinearization {
 public:
  /// `recomputeActivations`: the model's own linearisation keeps only its layer inputs and runs
  /// the layers again in every product (models/recomputed_body.h); the products are the same.
  BatchLinearization(const ModelFunction& model, Batch batch, JvpMethod method, bool recomputeActivations = false);

  std::int64_t pointCount() const { return outputs_.numel(); }
  const at::Tensor& outputs() const { return outputs_; }  ///< f, detached
  const at::Tensor& errors() const { return errors_; }    ///< e, detached
  const Batch& batch() const { return batch_; }

  /// J^T u, one tensor per parameter (zeros for parameters f does not depend on).
  std::vector<at::Tensor> vjp(const at::Tensor& u);
  /// J g for a tangent with one tensor per parameter.
  at::Tensor jvp(const std::vector<at::Tensor>& tangent);
  /// J J^T u, through the model's exact split where it has one.
  at::Tensor gramProduct(const at::Tensor& u);

 private:
  at::Tensor jvpDualNumbers(const std::vector<at::Tensor>& tangent) const;
  at::Tensor jvpDoubleBackward(const std::vector<at::Tensor>& tangent);

  const ModelFunction& model_;
  Batch batch_;
  JvpMethod method_;
  std::unique_ptr<ModelLinearization> own_;  ///< the model's own linearisation (ForwardMode)
  at::Tensor graphOutputs_;  ///< f with its autograd graph, retained across products
  at::Tensor outputs_, errors_;
  // Double-backward state, built on first use: J^T probe as a differentiable function of probe.
  at::Tensor probe_;
  std::vector<at::Tensor> linearVjp_;
  std::vector<size_t> linearVjpParams_;  ///< parameter index of each entry of linearVjp_
};

}  // namespace shellscope::engine
