#pragma once
// Training a language model from scratch in LibTorch for the built-in experiment: a training
// objective (next-token cross-entropy), AdamW (decoupled weight decay on weight matrices), linear
// warm-up then cosine decay, global gradient-norm clipping. Step s trains on rows s*B .. s*B+B-1 (wrapping) of
// pre-shuffled (L+1)-token samples, as Pythia's data order does, so a run is deterministic and can
// resume from any saved state and reproduce the uninterrupted run exactly.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/model_function.h"
#include "shellscope/base/progress.h"
#include "shellscope/data/token_data.h"

namespace shellscope::engine {

struct TrainerSettings {
  int steps = 2000;
  int batchSize = 8;        ///< samples (rows) per step
  double maxLearningRate = 3e-3;
  double minLearningRate = 3e-4;
  int warmupSteps = 100;
  double weightDecay = 0.01;
  double beta1 = 0.9, beta2 = 0.95, epsilon = 1e-8;
  double clipNorm = 1.0;
};

/// What the trainer minimises. Separate from the observable a run measures (models/observable.h):
/// a model trained on one objective can be measured with any observable.
class TrainingObjective {
 public:
  virtual ~TrainingObjective() = default;
  virtual std::string name() const = 0;
  /// The loss on `batch` at `params`, a scalar with its autograd graph.
  virtual at::Tensor loss(const ModelFunction& model, const std::vector<at::Tensor>& params, const Batch& batch) const = 0;
};

/// L = mean_i -log q(y_i | x_i) from the model's logits (how Pythia is trained).
std::shared_ptr<const TrainingObjective> crossEntropy();

/// Learning rate used at step s (0-based): linear warm-up to the maximum, then cosine to the minimum.
double learningRateAt(const TrainerSettings& settings, int step);

struct TrainingLogEntry {
  int step = 0;
  double loss = 0;          ///< mean cross-entropy of the step's batch, before the update
  double learningRate = 0;
};

class Trainer {
 public:
  /// `rows` holds the training samples as rows of at least L+1 tokens (an MMIDIDX pair).
  Trainer(ModelFunction& model, std::shared_ptr<const TokenStream> rows, int seqLen, TrainerSettings settings,
          std::shared_ptr<const TrainingObjective> objective = crossEntropy());

  int step() const { return step_; }
  const std::vector<TrainingLogEntry>& log() const { return log_; }

  /// Runs one optimisation step.
  void trainStep();

  /// Saves and restores the optimiser state, step and log (safetensors plus a JSON sidecar),
  /// so a resumed run continues exactly.
  void saveState(const std::string& path) const;
  void loadState(const std::string& path);

 private:
  Batch batchForStep(int step) const;

  ModelFunction& model_;
  std::shared_ptr<const TrainingObjective> objective_;
  std::shared_ptr<const TokenStream> rows_;
  int seqLen_;
  TrainerSettings settings_;
  int step_ = 0;
  std::vector<at::Tensor> firstMoment_, secondMoment_;
  std::vector<TrainingLogEntry> log_;
};

}  // namespace shellscope::engine
