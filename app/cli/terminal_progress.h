#pragma once
// A progress bar on stderr (redrawn in place on a terminal, a line every few seconds in a log)
// and Ctrl-C handling: the first SIGINT cancels the job cleanly, a second one exits at once.

#include <string>

#include "shellscope/base/progress.h"

namespace shellscope::cli {

class TerminalProgress {
 public:
  TerminalProgress();
  ~TerminalProgress();  ///< ends the bar's line and uninstalls the SIGINT handler
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  ProgressToken& token() { return token_; }

 private:
  void draw(const ProgressEvent& event);

  ProgressToken token_;
  bool terminal_;
  double lastDraw_ = -1e9;
  int lastPercent_ = -1;
  bool drewSomething_ = false;
};

}  // namespace shellscope::cli
