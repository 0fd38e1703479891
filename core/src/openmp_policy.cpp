#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "shellscope/runtime.h"

namespace shellscope {

void reexecWithPassiveOpenMpWaiting(int argc, char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;  // the user's choice, or already re-executed
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0) return;
  std::vector<char*> arguments(argv, argv + argc);
  arguments.push_back(nullptr);
  ::execv("/proc/self/exe", arguments.data());
  // execv only returns on failure: carry on with the default policy.
}

}  // namespace shellscope
