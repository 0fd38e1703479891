// The engine on CUDA gives the spectra it gives on the CPU: for built-in models in float64, every
// Lanczos mode and JVP method, the Ritz values and Gauss weights of a batch agree to 1e-8 relative,
// and the batch's loss and mean e^2 to 1e-10. A plain program (no Qt), so it runs in every build,
// the Qt-free GPU build included; without CUDA it reports itself skipped (exit 77, ctest's SKIP),
// or fails when SHELLSCOPE_REQUIRE_CUDA=1 (a GPU build whose LibTorch lacks CUDA is a mistake).
#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "shellscope/engine/compute.h"

using namespace shellscope;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s  %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

double relativeDifference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() != b.size()) return INFINITY;
  const double scale = std::max(a.cwiseAbs().maxCoeff(), 1e-300);
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

}  // namespace

int main() {
  if (!at::hasCUDA() || at::getNumGPUs() == 0) {
    const char* require = std::getenv("SHELLSCOPE_REQUIRE_CUDA");
    std::printf("%s: this LibTorch build has no CUDA or no GPU is visible\n", require && *require == '1' ? "FAIL" : "SKIP");
    return require && *require == '1' ? 1 : 77;
  }
  for (const char* model : {"builtin:tiny-lm", "builtin:mlp"}) {
    // Not plain: its loss of orthogonality amplifies rounding differences by design.
    for (LanczosMode mode : {LanczosMode::Full, LanczosMode::GolubKahan}) {
      for (JvpMethod jvp : {JvpMethod::ForwardMode, JvpMethod::ForwardAD, JvpMethod::DoubleBackward}) {
        ComputeSettings settings;
        settings.models = {model};
        settings.batches = 1;
        settings.batchSize = 2;
        settings.seqLen = 16;
        settings.lanczosSteps = 12;
        settings.lanczosMode = mode;
        settings.jvpMethod = jvp;
        settings.dtype = ComputeDType::Float64;
        settings.device = DevicePreference::Cpu;
        const BatchSpectrum cpu = CheckpointComputation(settings, model).computeBatch(0);
        settings.device = DevicePreference::Cuda;
        CheckpointComputation onGpu(settings, model);
        const BatchSpectrum cuda = onGpu.computeBatch(0);
        const std::string what = std::string(model) + " " + toString(mode) + " " + toString(jvp) + " on " +
                                 onGpu.metadata().device;
        check(onGpu.metadata().device.rfind("cuda", 0) == 0, what + ": runs on the GPU");
        check(cpu.stepsTaken == cuda.stepsTaken, what + ": same steps taken");
        check(relativeDifference(cpu.ritzValues, cuda.ritzValues) < 1e-8, what + ": Ritz values");
        check(relativeDifference(cpu.ritzWeights, cuda.ritzWeights) < 1e-8, what + ": Gauss weights");
        check(std::abs(cpu.loss - cuda.loss) <= 1e-10 * std::abs(cpu.loss), what + ": loss");
        check(std::abs(cpu.errorNorm2 - cuda.errorNorm2) <= 1e-10 * cpu.errorNorm2, what + ": mean e^2");
      }
    }
  }
  std::printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
