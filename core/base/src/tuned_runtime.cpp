#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "shellscope/base/tuned_runtime.h"

namespace shellscope {

void reexecWithTunedRuntime(int argc, char** argv) {
  bool changed = false;
  // setenv with overwrite = 0 keeps the user's choice; re-executed, both are set and we return.
  if (!std::getenv("OMP_WAIT_POLICY")) changed |= ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0;
  if (!std::getenv("GLIBC_TUNABLES")) {
    changed |= ::setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296", 0) == 0;
  }
  if (!changed) return;
  std::vector<char*> arguments(argv, argv + argc);
  arguments.push_back(nullptr);
  ::execv("/proc/self/exe", arguments.data());
  // execv only returns on failure: carry on with the defaults.
}

}  // namespace shellscope
