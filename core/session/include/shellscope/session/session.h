#pragma once
// A session: the runs a user has computed, as held in memory and saved in one HDF5 file.

#include <initializer_list>
#include <iterator>
#include <memory>
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

/// The runs of a session, each held by a shared pointer to an immutable Run: copying a session
/// (for a save or an analysis in the background) copies pointers, not energies and Ritz matrices,
/// and a pointer to a run stays valid while runs are added. Iterating gives `const Run&`.
class RunList {
 public:
  using Pointer = std::shared_ptr<const Run>;

  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Run;
    using difference_type = std::ptrdiff_t;
    using pointer = const Run*;
    using reference = const Run&;
    const_iterator() = default;
    explicit const_iterator(std::vector<Pointer>::const_iterator at) : at_(at) {}
    const Run& operator*() const { return **at_; }
    const Run* operator->() const { return at_->get(); }
    const_iterator& operator++() { ++at_; return *this; }
    const_iterator operator++(int) { const_iterator before = *this; ++at_; return before; }
    const_iterator& operator--() { --at_; return *this; }
    bool operator==(const const_iterator& other) const { return at_ == other.at_; }
    bool operator!=(const const_iterator& other) const { return at_ != other.at_; }

   private:
    std::vector<Pointer>::const_iterator at_;
  };

  RunList() = default;
  RunList(std::initializer_list<Run> runs);

  std::size_t size() const { return runs_.size(); }
  bool empty() const { return runs_.empty(); }
  const Run& operator[](std::size_t i) const { return *runs_[i]; }
  const Run& front() const { return *runs_.front(); }
  const Run& back() const { return *runs_.back(); }
  const_iterator begin() const { return const_iterator(runs_.begin()); }
  const_iterator end() const { return const_iterator(runs_.end()); }
  /// The shared pointer to run i (for holders that outlive the session's container).
  const Pointer& pointer(std::size_t i) const { return runs_[i]; }

  void push_back(Run run) { runs_.push_back(std::make_shared<const Run>(std::move(run))); }
  void push_back(Pointer run) { runs_.push_back(std::move(run)); }
  void clear() { runs_.clear(); }
  /// Run i for changing: it is replaced by a private copy first, which the caller may change.
  Run& edit(std::size_t i);

 private:
  std::vector<Pointer> runs_;
};

/// A named state of the explorer's views ("figure 2a", "talk"): what the GUI shows, as the JSON
/// text the GUI writes (ui/document/view_state.h says what it holds). The core stores it and
/// never reads inside it, so the session layer needs no Qt; other readers ignore `/view_states`.
struct NamedViewState {
  std::string name;
  std::string json;
};

struct Session {
  RunList runs;
  std::vector<TrainingLog> trainingLogs;
  /// In the order they were saved; names are unique (docs/session-format.md#view-states-optional).
  std::vector<NamedViewState> viewStates;

  /// The run with this id, or nullptr.
  const Run* findRun(const std::string& id) const;
  /// A run id not used yet: "run-0001", "run-0002", ... (one more than the largest in use).
  std::string nextRunId() const;
  /// Adds a run, giving it a fresh id when it has none or a taken one; returns the id.
  std::string addRun(Run run);
  /// The same for a shared run (the pointer is kept when its id is fresh; else a copy is renamed).
  std::string addRun(RunList::Pointer run);
  /// The training log of a model, or nullptr.
  const TrainingLog* findTrainingLog(const std::string& modelName) const;
};

}  // namespace shellscope
