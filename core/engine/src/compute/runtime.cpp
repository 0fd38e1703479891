// Build and machine facts: LibTorch version, the BLAS library LibTorch really calls, CUDA, threads.
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/version.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#include "shellscope/base/build_config.h"
#include "shellscope/engine/runtime.h"

namespace shellscope {

namespace {

/// The file that provides the sgemm_ LibTorch's BLAS calls resolve to (global symbol order).
std::string loadedBlasLibrary() {
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (!sgemm || !dladdr(sgemm, &info) || !info.dli_fname) return {};
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) ? std::string(resolved) : std::string(info.dli_fname);
}

std::string describeBlas(const std::string& library) {
  if (library.find("openblas") != std::string::npos) {
    using ConfigFn = char* (*)();
    void* handle = dlopen(library.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    auto config = handle ? reinterpret_cast<ConfigFn>(dlsym(handle, "openblas_get_config")) : nullptr;
    return config ? std::string("OpenBLAS (") + config() + ")" : std::string("OpenBLAS");
  }
  if (library.find("mkl") != std::string::npos) return "Intel MKL";
  if (library.find("blis") != std::string::npos) return "BLIS";
  if (library.find("atlas") != std::string::npos) return "ATLAS";
  if (library.find("/blas/") != std::string::npos) return "reference BLAS (netlib, slow: install libopenblas0-pthread)";
  return library.empty() ? "none found (LibTorch's own kernels)" : library;
}

}  // namespace

RuntimeInfo runtimeInfo() {
  RuntimeInfo info;
  info.shellscopeVersion = SHELLSCOPE_VERSION;
  info.torchVersion = TORCH_VERSION;
  info.blasLibrary = loadedBlasLibrary();
  info.blasName = describeBlas(info.blasLibrary);
  info.cudaAvailable = at::hasCUDA() && at::getNumGPUs() > 0;
  info.cudaDevices = info.cudaAvailable ? static_cast<int>(at::getNumGPUs()) : 0;
  info.threads = at::get_num_threads();
  info.hardwareThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return info;
}

void configureThreads(int threads) {
  const int count = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (at::get_num_threads() != count) at::set_num_threads(count);
  using SetThreadsFn = void (*)(int);
  if (auto setBlasThreads = reinterpret_cast<SetThreadsFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    setBlasThreads(count);
  }
}

std::string versionLine() {
  const RuntimeInfo info = runtimeInfo();
  std::string line = "shellscope " + info.shellscopeVersion + ", libtorch " + info.torchVersion + ", BLAS: " +
                     info.blasName;
  if (!info.blasLibrary.empty()) line += " [" + info.blasLibrary + "]";
  line += ", CUDA: " + (info.cudaAvailable ? std::to_string(info.cudaDevices) + " device(s)" : std::string("no"));
  line += ", threads: " + std::to_string(info.threads) + " of " + std::to_string(info.hardwareThreads);
  return line;
}

}  // namespace shellscope
