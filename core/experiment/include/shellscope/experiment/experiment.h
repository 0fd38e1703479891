#pragma once
// The built-in experiment: train a family of small GPT-NeoX models on the synthetic language,
// keep checkpoints in Pythia's layout and step schedule, and compute the shell energies of every
// checkpoint into one session. Every stage keeps its results on disk and is skipped when they are
// complete, so a stopped run resumes where it stopped (training resumes from the last checkpoint
// with its optimiser state and reproduces the uninterrupted run exactly).
//
//   DIR/data/        corpus.json (description, split), tokenizer.json, train.bin/.idx (pre-shuffled
//                    (L+1)-token rows), heldout.bin/.idx (held-out documents)
//   DIR/<model>/     step0/ step1/ ... step2000/ (config.json, model.safetensors, tokenizer.json),
//                    training_log.csv, trainer-state.safetensors
//   DIR/session.h5   one run per checkpoint (held-out batches), the training logs, the flux of every
//                    model's checkpoint series (/transport) and a lazy and a rich exact lab run (/lab)

#include <cstdint>
#include <string>
#include <vector>

#include "shellscope/base/progress.h"
#include "shellscope/engine/compute.h"
#include "shellscope/experiment/lab_run.h"

namespace shellscope {

struct ExperimentModel {
  std::string name;
  int hiddenSize = 64;
  int layers = 2;
  int heads = 4;
};

struct ExperimentSettings {
  std::string outDir = "shellscope-demo";
  std::uint64_t seed = 1;
  int threads = 0;
  DevicePreference device = DevicePreference::Auto;  ///< for the shells (training runs on the CPU)
  // Data
  std::size_t corpusBytes = 3000000;
  int bpeMerges = 700;
  int contextLength = 64;  ///< L, for training and for the shell batches
  // Models and training
  std::vector<ExperimentModel> models;
  int trainSteps = 2000;
  int trainBatch = 4;
  double maxLearningRate = 3e-3;
  double minLearningRate = 3e-4;
  int warmupSteps = 100;
  // Shells
  int shellBatches = 8;
  int shellBatchSize = 4;
  int lanczosSteps = 32;
  int shellsPerDecade = 4;
  // The theory lab (docs/lab.md): exact lab runs added to the session, skipped when one with the
  // same settings is there (standard: nano-lm, cross-entropy, α = 1 and α = 16 on f).
  std::vector<LabRunSettings> labRuns;

  /// The default experiment, and a much smaller one for tests.
  static ExperimentSettings standard();
  static ExperimentSettings quick();
  /// Pythia's checkpoint steps up to trainSteps: 0, 1, 2, 4, ..., 512, then every 1000, and the last.
  std::vector<int> checkpointSteps() const;
};

struct ExperimentReport {
  std::string sessionPath;
  std::vector<std::string> stageTimes;  ///< "data 4.1 s (reused)", "train nano-s 45.0 s", ...
  double seconds = 0;
};

/// Runs (or resumes) the experiment; throws CancelledError when `progress` is cancelled, leaving
/// everything finished so far on disk.
ExperimentReport runExperiment(const ExperimentSettings& settings, const ProgressToken& progress);

}  // namespace shellscope
