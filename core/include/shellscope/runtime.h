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

/// Two settings that must be in the environment when the process starts, applied by setting
/// them (unless the user chose otherwise) and re-executing the program once; call it first in
/// main(). Returns normally when nothing needs doing or the re-exec is impossible.
///  - OMP_WAIT_POLICY=PASSIVE: LibTorch's OpenMP threads otherwise busy-wait after each parallel
///    region and starve OpenBLAS's threads (forward+backward 3-4x slower with 2+2 threads on 2 cores).
///  - GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296: tensors
///    above 32 MiB (attention tangents, vocabulary-sized gradients) are otherwise mmap'ed and
///    page-faulted afresh at every operator product; reusing heap memory made a Pythia-70M-shaped
///    product 22% faster (5.9 s -> 4.6 s, page faults 4.4M -> 0.9M) for 7% more peak memory.
void reexecWithTunedRuntime(int argc, char** argv);

/// One line such as "shellscope 0.1.0, libtorch 1.13.1, BLAS: OpenBLAS 0.3.21 (…), CUDA: no".
std::string versionLine();

}  // namespace shellscope
