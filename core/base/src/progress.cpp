#include "shellscope/base/progress.h"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace shellscope {

double monotonicSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::string utcTimestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

ProgressToken::ProgressToken() : ProgressToken(Callback{}) {}

ProgressToken::ProgressToken(Callback callback, double minimumInterval) : state_(std::make_shared<State>()) {
  state_->callback = std::move(callback);
  state_->minimumInterval = minimumInterval;
  state_->startSeconds = monotonicSeconds();
}

ProgressToken::ProgressToken(std::shared_ptr<State> state, double begin, double end)
    : state_(std::move(state)), begin_(begin), end_(end) {}

ProgressToken ProgressToken::part(double begin, double end) const {
  const double width = end_ - begin_;
  return ProgressToken(state_, begin_ + width * std::clamp(begin, 0.0, 1.0), begin_ + width * std::clamp(end, 0.0, 1.0));
}

ProgressToken ProgressToken::item(std::size_t index, std::size_t count) const {
  if (count == 0) return *this;
  return part(static_cast<double>(index) / static_cast<double>(count),
              static_cast<double>(index + 1) / static_cast<double>(count));
}

ProgressToken ProgressToken::reportingTo(Callback callback, double minimumInterval) const {
  ProgressToken token(std::move(callback), minimumInterval);
  token.state_->cancelled = state_->cancelled;
  return token;
}

void ProgressToken::report(double fraction, const std::string& stage) const {
  State& s = *state_;
  if (!s.callback) return;
  ProgressEvent event;
  event.fraction = std::clamp(begin_ + (end_ - begin_) * std::clamp(fraction, 0.0, 1.0), 0.0, 1.0);
  event.stage = stage;
  // The clock is read under the lock, so that reports from several threads are in time order.
  std::lock_guard<std::mutex> lock(s.mutex);
  event.elapsedSeconds = monotonicSeconds() - s.startSeconds;
  const bool due = s.minimumInterval <= 0.0 || s.lastDelivered < 0.0 || event.fraction >= 1.0 ||
                   event.elapsedSeconds - s.lastDelivered >= s.minimumInterval;
  if (!due) return;
  if (event.fraction > 0.01) {
    event.etaSeconds = event.elapsedSeconds * (1.0 - event.fraction) / event.fraction;
  }
  s.lastDelivered = event.elapsedSeconds;
  s.callback(event);
}

}  // namespace shellscope
