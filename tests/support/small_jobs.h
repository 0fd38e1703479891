#pragma once
// Computations small enough for GUI tests: built-in models, batches of 2 × 16 tokens, one thread
// (a second core is left to the GUI thread the tests drive).

#include <string>
#include <utility>
#include <vector>

#include "shellscope/engine/compute.h"

namespace shellscope::testing {

inline ComputeSettings smallJob(std::vector<std::string> models, int batches, int lanczosSteps) {
  ComputeSettings settings;
  settings.models = std::move(models);
  settings.batches = batches;
  settings.batchSize = 2;
  settings.seqLen = 16;
  settings.lanczosSteps = lanczosSteps;
  settings.threads = 1;
  return settings;
}

}  // namespace shellscope::testing
