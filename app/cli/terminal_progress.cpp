#include "cli/terminal_progress.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace shellscope::cli {

namespace {

std::atomic<ProgressToken*> activeToken{nullptr};

extern "C" void onInterrupt(int) {
  ProgressToken* token = activeToken.load();
  if (token && !token->isCancelled()) {
    token->cancel();
    const char message[] = "\ninterrupt: cancelling (press Ctrl-C again to quit at once)\n";
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
  } else {
    ::_exit(130);
  }
}

std::string formatDuration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  }
  return buffer;
}

}  // namespace

TerminalProgress::TerminalProgress()
    : token_([this](const ProgressEvent& event) { draw(event); }), terminal_(::isatty(STDERR_FILENO) == 1) {
  activeToken.store(&token_);
  std::signal(SIGINT, onInterrupt);
}

TerminalProgress::~TerminalProgress() {
  std::signal(SIGINT, SIG_DFL);
  activeToken.store(nullptr);
  if (terminal_ && drewSomething_) std::fputc('\n', stderr);
}

void TerminalProgress::draw(const ProgressEvent& event) {
  const double now = monotonicSeconds();
  const int percent = static_cast<int>(event.fraction * 100.0);
  const bool finished = event.fraction >= 1.0;
  // A terminal is redrawn at every report (the token delivers ten a second); a log gets a line
  // every 5% or 10 s, from the first second on (quick jobs and early failures leave no progress
  // lines in logs).
  if (!terminal_ && (event.elapsedSeconds < 1.0 || (!finished && percent < lastPercent_ + 5 && now - lastDraw_ < 10.0))) {
    return;
  }
  lastDraw_ = now;
  lastPercent_ = percent;
  drewSomething_ = true;

  constexpr int kWidth = 28;
  const int filled = static_cast<int>(event.fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const std::string eta = event.etaSeconds >= 0 ? " ETA " + formatDuration(event.etaSeconds) : "";
  std::fprintf(stderr, "%s[%s] %3d%% %s  %s%s%s", terminal_ ? "\r" : "", bar.c_str(), percent,
               formatDuration(event.elapsedSeconds).c_str(), event.stage.c_str(), eta.c_str(),
               terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

}  // namespace shellscope::cli
