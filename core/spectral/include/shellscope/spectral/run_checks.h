#pragma once
// What a run must mean, beyond its shapes (science.md §3): shell energies, masses and weights are
// finite and non-negative, each batch's Gauss weights sum to 1, its masses keep the identity
// Σ_α E_bα + underflow_b + overflow_b = mean(e²)_b, and its counts are consistent
// (1 <= steps_taken <= the Ritz columns and the step cap, n_tokens > 0, lanczos_steps >= 1).
// Readers refuse a run that breaks one (session_file.cpp); `info --check` lists every break.
// Tested in tests/core/session/test_session_file.cpp (meaningChecksNameTheRunAndTheValue).

#include <string>
#include <vector>

#include "shellscope/spectral/run.h"

namespace shellscope {

/// Every problem of `run`, each a sentence naming the dataset and the entry ("shell_energy[4] is
/// NaN"); empty for a run that means what it says.
std::vector<std::string> runProblems(const Run& run);

}  // namespace shellscope
