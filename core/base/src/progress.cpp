#include "shellscope/base/progress.h"

#include <algorithm>
#include <chrono>

namespace shellscope {

double monotonicSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

ProgressToken::ProgressToken() : startSeconds_(monotonicSeconds()) {}

ProgressToken::ProgressToken(Callback callback)
    : callback_(std::move(callback)), startSeconds_(monotonicSeconds()) {}

void ProgressToken::report(double fraction, const std::string& stage) {
  if (!callback_) return;
  ProgressEvent event;
  event.fraction = std::clamp(fraction, 0.0, 1.0);
  event.stage = stage;
  event.elapsedSeconds = monotonicSeconds() - startSeconds_;
  if (event.fraction > 0.01) {
    event.etaSeconds = event.elapsedSeconds * (1.0 - event.fraction) / event.fraction;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  callback_(event);
}

}  // namespace shellscope
