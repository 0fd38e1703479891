#include "shellscope/session.h"

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

std::string Session::addRun(Run run) {
  if (run.id.empty() || findRun(run.id)) run.id = nextRunId();
  runs.push_back(std::move(run));
  return runs.back().id;
}

}  // namespace shellscope
