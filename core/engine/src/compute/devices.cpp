// Devices and model dtypes (devices.h).
#include "compute/devices.h"

#include "shellscope/base/setting_error.h"

namespace shellscope::engine {

at::Device resolveDevice(DevicePreference preference, int index) {
  const bool cuda = at::hasCUDA() && at::getNumGPUs() > 0;
  if (preference == DevicePreference::Cuda && !cuda) {
    throw SettingError("device", "cuda: this LibTorch build has no CUDA or no GPU is visible");
  }
  if (preference == DevicePreference::Cpu || !cuda) return at::Device(at::kCPU);
  if (index >= static_cast<int>(at::getNumGPUs())) {
    throw SettingError("device", "cuda:" + std::to_string(index) + ": only " + std::to_string(at::getNumGPUs()) +
                                     " GPU(s) are visible");
  }
  return index >= 0 ? at::Device(at::kCUDA, static_cast<at::DeviceIndex>(index)) : at::Device(at::kCUDA);
}

at::ScalarType modelScalarType(ComputeDType dtype, const at::Device& device) {
  switch (dtype) {
    case ComputeDType::Float64: return at::kDouble;
    case ComputeDType::Float32: return at::kFloat;
    case ComputeDType::BFloat16: return at::kBFloat16;
    case ComputeDType::Float16:
      if (device.is_cpu()) {
        throw SettingError("dtype", "float16 needs --device cuda: LibTorch's CPU kernels have no float16 matrix "
                                    "products (use bfloat16 or float32 on the CPU)");
      }
      return at::kHalf;
  }
  return at::kFloat;
}

bool isHalfPrecision(at::ScalarType type) { return type == at::kBFloat16 || type == at::kHalf; }

}  // namespace shellscope::engine
