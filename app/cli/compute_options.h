#pragma once
// The option sets compute, eval and the benchmarks share, each declared once and bound to the
// settings they fill (their defaults come from those structs).

#include "cli/command_line.h"
#include "shellscope/engine/compute.h"

namespace shellscope::cli {

/// --model (repeatable into settings.models, or one model into *singleModel), --data,
/// --data-dtype, --tokenizer, --pythia-step.
void addModelAndDataOptions(CommandLine& cl, ComputeSettings& settings, std::string* singleModel = nullptr);
/// --held-out-data, --held-out-pythia-step (compute only).
void addHeldOutOptions(CommandLine& cl, ComputeSettings& settings);
/// --batches, --batch-size, --seq-len.
void addBatchOptions(CommandLine& cl, int& batches, int& batchSize, int& seqLen);
/// --lanczos-steps, --lanczos-mode, --lanczos-tol, --shells-per-decade, --lambda-min, --lambda-max,
/// --relative-floor, --jvp.
void addSpectrumOptions(CommandLine& cl, ComputeSettings& settings);
/// --device, --dtype, --threads; with `deviceIndex`, --device also takes cuda:K (the GPU's index).
void addRuntimeOptions(CommandLine& cl, DevicePreference& device, ComputeDType& dtype, int& threads,
                       int* deviceIndex = nullptr);

}  // namespace shellscope::cli
