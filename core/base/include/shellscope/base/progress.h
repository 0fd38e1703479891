#pragma once
// Progress-and-cancel token passed into long computations. Core code never sees Qt: the GUI
// adapts this token to signals, the CLI to a progress bar and SIGINT.

#include <atomic>
#include <functional>
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

  ProgressToken();
  explicit ProgressToken(Callback callback);

  void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
  bool isCancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }
  void throwIfCancelled() const {
    if (isCancelled()) throw CancelledError();
  }

  /// Reports progress; the ETA is extrapolated from the time since construction.
  void report(double fraction, const std::string& stage);

 private:
  std::atomic<bool> cancelled_{false};
  Callback callback_;
  std::mutex mutex_;
  double startSeconds_;
};

/// Monotonic wall clock in seconds (shared by progress ETAs and benchmarks).
double monotonicSeconds();

}  // namespace shellscope
