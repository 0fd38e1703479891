#pragma once
// What a campaign's driver needs from the engine before it loads anything: the estimated cost of
// one work item, so that items are split over ranks by cost (session/campaign.h). No LibTorch types.

#include "shellscope/data/checkpoint_series.h"
#include "shellscope/engine/compute.h"

namespace shellscope {

/// Estimated cost of one (checkpoint, batch) item of `checkpoint` under `settings`, in units of
/// parameter-token-steps: parameters (a built-in model's count; a checkpoint folder's weight bytes
/// / 2, fp16) × batch size × sequence length × Lanczos steps × quadratures per batch. One operator
/// product costs about one forward and one backward pass, i.e. ∝ parameters × tokens.
double estimatedItemCost(const ComputeSettings& settings, const CheckpointEntry& checkpoint);

/// The settings that decide a campaign's numbers, one "key=value" a line, with the checkpoints'
/// absolute paths: equal texts, the same items. Threads and the CUDA device index are left out
/// (they decide where, not what). A new setting that changes the numbers must be added here.
std::string campaignSettingsText(const ComputeSettings& settings, const std::vector<CheckpointEntry>& checkpoints);

}  // namespace shellscope
