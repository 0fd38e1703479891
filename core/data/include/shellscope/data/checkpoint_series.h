#pragma once
// Finding checkpoints on disk and ordering them by training step:
//   a checkpoint folder itself (config.json + weights),
//   a folder of step folders: step1000/, checkpoint-1000/, global_step1000/ ...,
//   a Hugging Face cache folder models--org--name (refs/<revision> names snapshots/<hash>),
//   one snapshot folder inside such a cache.

#include <cstdint>
#include <string>
#include <vector>

namespace shellscope {

/// The weight files of one checkpoint folder, in the order Hugging Face tries them.
struct CheckpointFiles {
  enum class Layout { Safetensors, ShardedSafetensors, TorchBin, ShardedTorchBin };
  std::string folder;
  std::string config;       ///< config.json
  Layout layout = Layout::Safetensors;
  std::string weights;      ///< model.safetensors, pytorch_model.bin or the index json
};

std::string toString(CheckpointFiles::Layout layout);

/// Whether `folder` holds config.json and weights in a known layout.
bool isCheckpointFolder(const std::string& folder);
/// The files of a checkpoint folder; throws FileFormatError naming what is missing.
CheckpointFiles locateCheckpoint(const std::string& folder);

/// Every file a checkpoint's weights are read from: config.json, the weights file or the shard
/// index and each shard it names (for fingerprints).
std::vector<std::string> checkpointFileList(const CheckpointFiles& files);

struct CheckpointEntry {
  std::string path;       ///< the checkpoint folder
  std::int64_t step = -1; ///< training step, -1 when the name does not tell
  std::string label;      ///< "step1000", "checkpoint-1000", a revision name or the folder name
  std::string modelName;  ///< e.g. "pythia-70m"
};

/// The step a folder or revision name encodes: step1000, checkpoint-1000, global_step1000,
/// iter_0001000, step1000-tokens4B, step-1K-token-2B -> 1000; ckpt_007 -> 7; -1 otherwise.
/// OLMo 2's stage prefixes are read past: stage1-step1000-tokens5B and
/// stage2-ingredient1-step1000-tokens5B -> 1000 (see trajectoryFromName).
std::int64_t stepFromName(const std::string& name);

/// The training trajectory a revision name belongs to when one model publishes several whose
/// steps restart: OLMo 2's stage-2 "ingredients" (annealing runs from the end of stage 1, each
/// counting from step 0) -> "stage2-ingredient1". Empty for the main pretraining run (stage1-...,
/// an unprefixed step name, anything else). discoverCheckpoints() makes each trajectory its own
/// series, modelName "<model>-stage2-ingredient1", so their steps do not collide.
std::string trajectoryFromName(const std::string& name);

/// The checkpoints under `path`, ordered by step (unknown steps last, by label). Snapshots of a
/// Hugging Face cache reached by several revisions appear once, under the revision that names a
/// step. Throws FileFormatError when `path` holds no checkpoint.
std::vector<CheckpointEntry> discoverCheckpoints(const std::string& path);

}  // namespace shellscope
