#pragma once
// Progress-and-cancel token passed into long computations. Core code never sees Qt: the GUI
// adapts this token to signals, the CLI to a progress bar and SIGINT.
//
// A token is a handle: copies share the cancel flag, the callback and its throttle. part(a, b)
// gives a token for a sub-task that reports its own fractions 0..1, which arrive at the callback
// as a + f (b - a) of the whole job, so a driver hands each stage a part instead of doing the
// arithmetic itself, and parts nest. Reports reach the callback at most once per interval
// (default 0.1 s; the first report and the one that completes the whole job always do), so
// engines may report after every operator product.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace shellscope {

/// One progress report: overall fraction done and a short human-readable stage.
struct ProgressEvent {
  double fraction = 0.0;     ///< 0..1 over the whole job
  std::string stage;         ///< e.g. "tiny-lm batch 3/10, Lanczos step 17/64"
  double elapsedSeconds = 0.0;
  double etaSeconds = -1.0;  ///< < 0 while unknown
};

/// Thrown by ProgressToken::throwIfCancelled; callers unwind without writing partial results.
class CancelledError : public std::runtime_error {
 public:
  CancelledError() : std::runtime_error("cancelled") {}
};

/// Shared between the thread doing the work and the thread that may cancel it.
class ProgressToken {
 public:
  using Callback = std::function<void(const ProgressEvent&)>;

  /// Reports go nowhere; cancel() still works.
  ProgressToken();
  /// Reports reach `callback` (serialised) at most once per `minimumInterval` seconds.
  explicit ProgressToken(Callback callback, double minimumInterval = 0.1);

  void cancel() noexcept { state_->cancelled->store(true, std::memory_order_relaxed); }
  bool isCancelled() const noexcept { return state_->cancelled->load(std::memory_order_relaxed); }
  void throwIfCancelled() const {
    if (isCancelled()) throw CancelledError();
  }

  /// Reports `fraction` (0..1) of this token's range done; the ETA is extrapolated from the time
  /// since the root token was made.
  void report(double fraction, const std::string& stage) const;

  /// The sub-range [begin, end] of this token's range (both in this token's 0..1 fractions).
  ProgressToken part(double begin, double end) const;
  /// Part `index` of `count` equal parts (item i of a loop over count items).
  ProgressToken item(std::size_t index, std::size_t count) const;
  /// A token that shares this one's cancel flag but reports to `callback` (unthrottled unless an
  /// interval is given): for work running beside other work whose progress is combined by hand.
  ProgressToken reportingTo(Callback callback, double minimumInterval = 0.0) const;

 private:
  struct State {
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
    Callback callback;
    double minimumInterval = 0.1;
    double startSeconds = 0.0;
    std::mutex mutex;               ///< serialises the callback and guards the fields below
    double lastDelivered = -1.0;    ///< seconds since start of the last delivered report, < 0: none
  };
  ProgressToken(std::shared_ptr<State> state, double begin, double end);

  std::shared_ptr<State> state_;
  double begin_ = 0.0, end_ = 1.0;
};

/// Monotonic wall clock in seconds (shared by progress ETAs and benchmarks).
double monotonicSeconds();

/// The current time in UTC as ISO 8601, "2026-12-01T18:40:00Z" (what sessions record as created_at).
std::string utcTimestamp();

}  // namespace shellscope
