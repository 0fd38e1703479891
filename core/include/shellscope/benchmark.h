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
  ComputeDType dtype = ComputeDType::Float32;
  DevicePreference device = DevicePreference::Cpu;
  int threads = 0;
  std::uint64_t seed = 0;
};

/// Median wall-clock seconds of each operation on one batch.
struct OperatorBenchmarkResult {
  std::string model;
  std::int64_t nParams = 0;
  std::int64_t nPoints = 0;
  double forward = 0;                  ///< forward pass that records the graph
  double forwardBackward = 0;          ///< the baseline: forward + backward of sum(f)
  double vjp = 0;                      ///< J^T u through the retained graph
  double jvpForwardMode = 0;           ///< J g by a dual forward pass
  double jvpDoubleBackward = 0;        ///< J g through the prebuilt graph of w -> J^T w
  double doubleBackwardSetup = 0;      ///< building that graph (once per batch)
  double productForwardMode = 0;       ///< M·u = J(J^T u)/n, forward-mode JVP
  double productDoubleBackward = 0;    ///< M·u, double-backward JVP
};

std::vector<OperatorBenchmarkResult> runOperatorBenchmark(const OperatorBenchmarkOptions& options,
                                                          ProgressToken& progress);

}  // namespace shellscope
