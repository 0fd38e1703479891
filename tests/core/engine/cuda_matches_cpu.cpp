// The engine on CUDA gives the spectra it gives on the CPU: for built-in models in float64, every
// Lanczos mode and JVP method, the Ritz values and Gauss weights of a batch agree to 1e-8 relative,
// and the batch's loss and mean e^2 to 1e-10; a bfloat16 or float16 model on the GPU agrees with
// float64 on the CPU within that dtype's rounding (half_precision.h: loss 2e-2 / 4e-3, leading
// Ritz value 5e-2 / 1e-2 relative, Gauss weights summing to 1 in float64); a Pythia-layout
// pytorch_model.bin read in place and moved to the GPU gives the CPU's float32 loss to 1e-5 and
// its operator products M·u to 1e-4 relative. A plain program (no Qt), so it runs in every build,
// the Qt-free GPU build included; without CUDA it reports itself skipped (exit 77, ctest's SKIP),
// or fails when SHELLSCOPE_REQUIRE_CUDA=1 (a GPU build whose LibTorch lacks CUDA is a mistake).
#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <filesystem>

#include "half_precision.h"
#include "shellscope/data/token_data.h"
#include "shellscope/engine/checkpoint_writer.h"
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
  // Half precision on the GPU against float64 on the CPU.
  for (ComputeDType dtype : {ComputeDType::BFloat16, ComputeDType::Float16}) {
    ComputeSettings settings;
    settings.models = {"builtin:tiny-lm"};
    settings.batches = 1;
    settings.batchSize = 2;
    settings.seqLen = 16;
    settings.lanczosSteps = 12;
    settings.dtype = ComputeDType::Float64;
    settings.device = DevicePreference::Cpu;
    const BatchSpectrum exact = CheckpointComputation(settings, "builtin:tiny-lm").computeBatch(0);
    settings.dtype = dtype;
    settings.device = DevicePreference::Cuda;
    CheckpointComputation onGpu(settings, "builtin:tiny-lm");
    const std::string what = "builtin:tiny-lm " + toString(dtype) + " on " + onGpu.metadata().device;
    check(onGpu.metadata().dtype == toString(dtype) && onGpu.metadata().vectorDtype == "float64",
          what + ": model and vector dtypes stated");
    const std::string problem = test::halfPrecisionDisagreement(onGpu.computeBatch(0), exact, dtype);
    check(problem.empty(), what + ": agrees with float64 on the CPU " + problem);
  }
  // A Pythia-layout fp16 pytorch_model.bin, read in place, on the GPU and the CPU in float32.
  {
    namespace fs = std::filesystem;
    const fs::path work = fs::temp_directory_path() / ("shellscope-cuda-check-" + std::to_string(::getpid()));
    RandomCheckpointOptions init;
    init.shape = "small-lm";
    init.layout = CheckpointFiles::Layout::TorchBin;
    writeRandomCheckpoint((work / "step0").string(), init);
    std::vector<std::int64_t> tokens;
    for (int i = 0; i < 4 * 65; ++i) tokens.push_back((i * 37 + 11) % 512);
    writeMmidIdx((work / "tokens").string(), {tokens}, TokenDType::U16);
    ComputeSettings settings;
    settings.models = {(work / "step0").string()};
    settings.data = (work / "tokens").string();
    settings.batches = 1;
    settings.batchSize = 4;
    settings.seqLen = 64;
    settings.lanczosSteps = 6;
    settings.device = DevicePreference::Cpu;
    const BatchSpectrum cpu = CheckpointComputation(settings, settings.models[0]).computeBatch(0);
    settings.device = DevicePreference::Cuda;
    const BatchSpectrum cuda = CheckpointComputation(settings, settings.models[0]).computeBatch(0);
    check(std::abs(cpu.loss - cuda.loss) <= 1e-5 * std::abs(cpu.loss), "small-lm pytorch_model.bin float32: loss");
    // The first Lanczos coefficients are products M·u: the leading Ritz values agree closely.
    check(relativeDifference(cpu.ritzValues.tail(3), cuda.ritzValues.tail(3)) < 1e-4,
          "small-lm pytorch_model.bin float32: leading Ritz values (operator products)");
    fs::remove_all(work);
  }
  std::printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
