#pragma once
// One work item: the Lanczos quadrature of one batch under one model.

#include <functional>
#include <string>

#include "models/model_function.h"
#include "shellscope/engine/compute.h"
#include "shellscope/spectral/run.h"

namespace shellscope::engine {

/// Linearises `model` on `batch`, runs Lanczos (settings' mode, steps, tolerance, JVP method) from
/// e and returns Ritz values, Gauss weights and the batch's error statistics. With `heldOut`, also
/// the held-out side (BatchSpectrum::HeldOut): the held-out batch's own quadrature from e', and
/// the held-out loss rate per training Ritz value from z = J J'ᵀ e' as the Lanczos probe (and, with
/// settings.heldOutCrossEntropy, the cross-entropy split from 1 with z₁ = J J'ᵀ 1)
/// (docs/generalisation.md). Non-finite outputs and LibTorch failures become std::runtime_error
/// naming `context` and the batch.
BatchSpectrum batchSpectrum(const ModelFunction& model, Batch batch, const ComputeSettings& settings,
                            const std::function<void(int)>& onStep, const std::string& context,
                            const Batch* heldOut = nullptr);

/// The error statistics of one batch (loss, mean e^2, n) from a forward pass without gradients.
BatchSpectrum batchErrors(const ModelFunction& model, const Batch& batch, const std::string& context);

}  // namespace shellscope::engine
