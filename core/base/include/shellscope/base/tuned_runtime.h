#pragma once
// The process environment LibTorch and glibc need for speed, set before anything else runs.
// Needs nothing but the C library, so the GUI and the CLI call it first in main().

#include <string>

namespace shellscope {

/// Settings that must be in the environment when the process starts, applied by setting them
/// (unless the user chose otherwise) and re-executing the program once; call it first in main().
/// Returns normally when nothing needs doing or the re-exec is impossible.
///  - OMP_WAIT_POLICY=PASSIVE: LibTorch's OpenMP threads otherwise busy-wait after each parallel
///    region and starve OpenBLAS's threads (forward+backward 3-4x slower with 2+2 threads on 2 cores).
///  - GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296: tensors
///    above 32 MiB (attention tangents, vocabulary-sized gradients) are otherwise mmap'ed and
///    page-faulted afresh at every operator product; reusing heap memory made a Pythia-70M-shaped
///    product 22% faster (5.9 s -> 4.6 s, page faults 4.4M -> 0.9M) for 7% more peak memory.
///  - OPENBLAS_CORETYPE, only where OpenBLAS fell back to its Prescott kernels on a CPU that has
///    AVX2 or AVX-512 (an unrecognised virtual CPU): on this project's 2-core AVX-512 VMs the
///    SkylakeX kernels made forward+backward 2.5x faster (docs/benchmarks.md).
void reexecWithTunedRuntime(int argc, char** argv);

/// The OpenBLAS kernels to ask for when OpenBLAS detected `detected` (its core name): SkylakeX,
/// Haswell or Sandybridge for a Prescott fallback on a CPU with AVX-512, AVX2 or AVX; empty otherwise.
std::string openBlasKernelsFor(const char* detected);

}  // namespace shellscope
