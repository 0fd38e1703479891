// The process environment LibTorch, OpenBLAS and glibc need for speed (tuned_runtime.h).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "shellscope/base/tuned_runtime.h"

namespace shellscope {

std::string openBlasKernelsFor(const char* detected) {
#if defined(__x86_64__) || defined(__i386__)
  // OpenBLAS falls back to Prescott kernels (SSE3) when it does not recognise the CPU model, as on
  // virtual machines that report a generic "Intel Xeon Processor"; the CPU's features still tell
  // which kernels run on it.
  if (!detected || std::strcmp(detected, "Prescott") != 0) return {};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
#else
  (void)detected;
#endif
  return {};
}

void reexecWithTunedRuntime(int argc, char** argv) {
  bool changed = false;
  // setenv with overwrite = 0 keeps the user's choice; re-executed, all are set and we return.
  if (!std::getenv("OMP_WAIT_POLICY")) changed |= ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0;
  if (!std::getenv("GLIBC_TUNABLES")) {
    changed |= ::setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296", 0) == 0;
  }
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    // OpenBLAS chose its kernels when it was loaded (it reads the variable only then).
    using CoreName = char* (*)();
    const auto coreName = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const std::string kernels = openBlasKernelsFor(coreName ? coreName() : nullptr);
    if (!kernels.empty()) changed |= ::setenv("OPENBLAS_CORETYPE", kernels.c_str(), 0) == 0;
  }
  if (!changed) return;
  std::vector<char*> arguments(argv, argv + argc);
  arguments.push_back(nullptr);
  ::execv("/proc/self/exe", arguments.data());
  // execv only returns on failure: carry on with the defaults.
}

}  // namespace shellscope
