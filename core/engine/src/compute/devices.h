#pragma once
// Where and in which dtype a model computes: the device a preference resolves to on this machine
// and the LibTorch dtype of a compute dtype, with the refusals that need the machine (CUDA asked
// for but absent; float16 on the CPU).

#include <ATen/ATen.h>

#include "shellscope/engine/compute.h"

namespace shellscope::engine {

/// auto: CUDA when this LibTorch has it and a GPU is visible, else the CPU; `index` >= 0 picks GPU
/// `index` (ComputeSettings::deviceIndex, cuda:K). Throws SettingError("device") for cuda without
/// one, or an index beyond the visible GPUs.
at::Device resolveDevice(DevicePreference preference, int index = -1);

/// The model's LibTorch dtype on `device`. Throws SettingError("dtype") for float16 on the CPU
/// (LibTorch's CPU kernels lack half-precision matrix products).
at::ScalarType modelScalarType(ComputeDType dtype, const at::Device& device);

/// True for bfloat16 and float16 (log-probabilities and the output layer's block then run in float32).
bool isHalfPrecision(at::ScalarType type);

}  // namespace shellscope::engine
