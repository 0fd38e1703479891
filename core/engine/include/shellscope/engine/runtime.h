#pragma once
// What this build and machine offer the engine: versions, BLAS, devices, threads.
// Implemented in the engine library (it asks LibTorch), declared without LibTorch types.

#include <string>

namespace shellscope {

struct RuntimeInfo {
  std::string shellscopeVersion;
  std::string torchVersion;
  std::string blasLibrary;   ///< resolved path of the BLAS LibTorch calls, e.g. .../openblas-pthread/libblas.so.3
  std::string blasName;      ///< "OpenBLAS 0.3.21 ...", "reference BLAS", ...
  bool cudaAvailable = false;
  int cudaDevices = 0;
  int threads = 0;           ///< LibTorch intra-op threads in use now
  int hardwareThreads = 0;
};

RuntimeInfo runtimeInfo();

/// Sets LibTorch's (and OpenBLAS's) thread count; 0 means every available core.
void configureThreads(int threads);

/// One line such as "shellscope 0.1.0, libtorch 1.13.1, BLAS: OpenBLAS 0.3.21 (…), CUDA: no".
std::string versionLine();

}  // namespace shellscope
