#pragma once
// A session: the runs a user has computed, as held in memory and saved in one HDF5 file.

#include <string>
#include <vector>

#include "shellscope/spectral/run.h"

namespace shellscope {

/// How a model was trained, step by step (stored under /training/<model_name>): the theory relates
/// the frontier to the accumulated learning rate, so the explorer plots against it.
struct TrainingLog {
  std::string modelName;
  std::vector<std::int64_t> steps;     ///< 0, 1, 2, ...
  Eigen::VectorXd loss;                ///< training loss of each step's batch, before its update
  Eigen::VectorXd learningRate;        ///< learning rate used by each step
  std::int64_t tokensPerStep = 0;

  /// Σ learning rates of the steps before `step`: the effective training time of checkpoint `step`.
  double accumulatedLearningRate(std::int64_t step) const;
};

struct Session {
  std::vector<Run> runs;
  std::vector<TrainingLog> trainingLogs;

  /// The run with this id, or nullptr.
  const Run* findRun(const std::string& id) const;
  /// A run id not used yet: "run-0001", "run-0002", ... (one more than the largest in use).
  std::string nextRunId() const;
  /// Adds a run, giving it a fresh id when it has none or a taken one; returns the id.
  std::string addRun(Run run);
  /// The training log of a model, or nullptr.
  const TrainingLog* findTrainingLog(const std::string& modelName) const;
};

}  // namespace shellscope
