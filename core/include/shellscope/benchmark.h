#pragma once
// Operator benchmark: the cost of one product M·u relative to a plain forward+backward pass on
// the same batch, for both JVP methods. Prints figures; asserts nothing (timings are not tests).

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/compute.h"

namespace shellscope {

struct OperatorBenchmarkOptions {
  std::vector<std::string> models{"builtin:tiny-lm", "builtin:small-lm", "builtin:base-lm"};
  int batchSize = 4;
  int seqLen = 128;
  int repeats = 7;
  int lanczosSteps = 64;  ///< for the end-to-end time per batch
  ComputeDType dtype = ComputeDType::Float32;
  DevicePreference device = DevicePreference::Cpu;
  int threads = 0;
  std::uint64_t seed = 0;
};

/// One JVP method: median seconds per JVP and per product M·u, and the product's cost relative to
/// the forward+backward baseline (median over rounds of the per-round ratio).
struct JvpMethodTiming {
  JvpMethod method = JvpMethod::ForwardMode;
  double setup = 0;    ///< one-off work per batch beyond the recorded forward pass
  double jvp = 0;
  double product = 0;
  double ratio = 0;
  double batchSeconds = 0;  ///< one batch end to end: forward + setup + lanczosSteps products
};

struct OperatorBenchmarkResult {
  std::string model;
  std::int64_t nParams = 0;
  std::int64_t nPoints = 0;
  double forward = 0;          ///< forward pass that records the graph
  double forwardBackward = 0;  ///< the baseline: forward + backward of sum(f)
  double vjp = 0;              ///< J^T u through the retained graph
  std::vector<JvpMethodTiming> methods;
};

std::vector<OperatorBenchmarkResult> runOperatorBenchmark(const OperatorBenchmarkOptions& options,
                                                          ProgressToken& progress);

}  // namespace shellscope
