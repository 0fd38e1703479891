#include "shellscope/session/session.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace shellscope {

const Run* Session::findRun(const std::string& id) const {
  for (const Run& run : runs) {
    if (run.id == id) return &run;
  }
  return nullptr;
}

std::string Session::nextRunId() const {
  long largest = 0;
  for (const Run& run : runs) {
    if (run.id.rfind("run-", 0) == 0) {
      char* end = nullptr;
      const long number = std::strtol(run.id.c_str() + 4, &end, 10);
      if (end && *end == '\0') largest = std::max(largest, number);
    }
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "run-%04ld", largest + 1);
  return buffer;
}

RunList::RunList(std::initializer_list<Run> runs) {
  for (const Run& run : runs) push_back(run);
}

Run& RunList::edit(std::size_t i) {
  // Always a fresh copy: the run may be shared with other lists (or have been made const).
  auto copy = std::make_shared<Run>(*runs_[i]);
  Run& run = *copy;
  runs_[i] = std::move(copy);
  return run;
}

std::string Session::addRun(Run run) {
  if (run.id.empty() || findRun(run.id)) run.id = nextRunId();
  runs.push_back(std::move(run));
  return runs.back().id;
}

std::string Session::addRun(RunList::Pointer run) {
  if (run->id.empty() || findRun(run->id)) {
    Run renamed = *run;
    renamed.id = nextRunId();
    return addRun(std::move(renamed));
  }
  runs.push_back(std::move(run));
  return runs.back().id;
}

const TrainingLog* Session::findTrainingLog(const std::string& modelName) const {
  for (const TrainingLog& log : trainingLogs) {
    if (log.modelName == modelName) return &log;
  }
  return nullptr;
}

double TrainingLog::accumulatedLearningRate(std::int64_t step) const {
  double sum = 0;
  for (std::size_t i = 0; i < steps.size() && steps[i] < step; ++i) sum += learningRate(static_cast<Eigen::Index>(i));
  return sum;
}

}  // namespace shellscope
