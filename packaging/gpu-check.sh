#!/usr/bin/env bash
# ShellScope's CUDA path, checked on a machine with an NVIDIA GPU and PyTorch installed: builds the
# core (no Qt GUI) against PyTorch's own LibTorch, runs the core and engine tests with the CUDA
# comparison required (SHELLSCOPE_REQUIRE_CUDA=1: no GPU is a failure, never a skip), then `bench`
# and `bench-scale` at the Pythia-1B, TinyLlama-1.1B and Pythia-6.9B shapes in bfloat16 on the GPU, and prints one
# table. Every step that fails is named and the script exits non-zero; nothing is skipped quietly.
#
#   packaging/gpu-check.sh [--build DIR] [--shapes "pythia-1b tinyllama-1.1b pythia-6.9b"] [--batch-size 4]
#                          [--seq-len 2048] [--dtype bfloat16] [--work DIR]
#
# Needs: cmake, a C++17 compiler, Debian's libeigen3-dev libhdf5-dev libicu-dev nlohmann-json3-dev
# qt6-base-dev (for the test classes; packaging/install-deps.sh installs them), nvidia-smi, and a
# python3 whose `import torch` is a CUDA build using the C++11 ABI (the Debian libraries we link
# use it). SHELLSCOPE_TORCH_PREFIX=DIR uses another LibTorch (e.g. a cxx11-ABI libtorch zip).
set -uo pipefail

build=build-gpu
shapes="pythia-1b tinyllama-1.1b pythia-6.9b"
batch_size=4
seq_len=2048
dtype=bfloat16
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --shapes) shapes=$2; shift 2 ;;
    --batch-size) batch_size=$2; shift 2 ;;
    --seq-len) seq_len=$2; shift 2 ;;
    --dtype) dtype=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
work=${work:-$build/gpu-check}
mkdir -p "$work"
failed=()
fail() { echo "gpu-check: FAILED: $*" >&2; failed+=("$*"); }
die() { echo "gpu-check: FAILED: $*" >&2; exit 1; }

# 1. The machine: a GPU, a CUDA PyTorch, its LibTorch and its ABI.
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this is not a CUDA machine (or the driver is missing)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || die "nvidia-smi sees no GPU"
if [ -n "${SHELLSCOPE_TORCH_PREFIX:-}" ]; then
  prefix=$SHELLSCOPE_TORCH_PREFIX
else
  command -v python3 >/dev/null || die "python3 not found (or set SHELLSCOPE_TORCH_PREFIX to a LibTorch)"
  python3 -c 'import torch' 2>/dev/null || die "python3 cannot import torch: install PyTorch (a CUDA build), or set SHELLSCOPE_TORCH_PREFIX"
  python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
    die "PyTorch $(python3 -c 'import torch; print(torch.__version__)') sees no CUDA device (a CPU-only wheel, or no GPU visible)"
  prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
  if [ "$abi" != 1 ]; then
    die "PyTorch $(python3 -c 'import torch; print(torch.__version__)') was built with the pre-C++11 ABI
  (torch._C._GLIBCXX_USE_CXX11_ABI = False). ShellScope links Debian's HDF5, ICU and Qt, which use the
  C++11 ABI, so the two cannot be linked together. Install a PyTorch built with the C++11 ABI (recent
  Linux wheels are), or download the 'cxx11 ABI' LibTorch zip from pytorch.org and run
  SHELLSCOPE_TORCH_PREFIX=/path/to/libtorch $0"
  fi
fi
echo "gpu-check: LibTorch from $prefix"

# 2. The core-only build against it.
if ! cmake -S . -B "$build" -DSHELLSCOPE_BUILD_UI=OFF -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1; then
  tail -20 "$work/configure.log" >&2
  grep -qi 'cuda' "$work/configure.log" &&
    echo "gpu-check: PyTorch's CMake files need the CUDA toolkit (nvcc and its headers, the wheel's major CUDA version): install it or set CUDAToolkit_ROOT" >&2
  die "configure failed (see $work/configure.log)"
fi
cmake --build "$build" -j"$(nproc)" >"$work/build.log" 2>&1 || die "build failed (see $work/build.log)"
cli=$build/bin/shellscope-cli
"$cli" --version | tee "$work/version.txt"
grep -Eq 'CUDA: [1-9][0-9]* device' "$work/version.txt" || fail "shellscope-cli --version sees no CUDA device"

# 3. The core and engine tests, the CUDA comparison required.
ctest --test-dir "$build" -N | grep -q ' test_compute$' ||
  die "the engine test classes were not built: Qt6's Core and Test modules are missing (install qt6-base-dev)"
SHELLSCOPE_REQUIRE_CUDA=1 ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -R '^(test_|cuda_matches_cpu$)' \
  >"$work/tests.log" 2>&1 || fail "tests (see $work/tests.log)"
grep -Eq 'cuda_matches_cpu \.+ +Passed' "$work/tests.log" || fail "cuda_matches_cpu did not pass (see $work/tests.log)"
! grep -q 'Not Run\|Skipped' "$work/tests.log" || fail "some tests were skipped or not run (see $work/tests.log)"
tail -3 "$work/tests.log"

# 4. bench on the GPU (built-in models), then bench-scale per shape, sampling GPU memory.
"$cli" bench --device cuda --dtype "$dtype" --repeats 5 >"$work/bench.log" 2>&1 || fail "bench (see $work/bench.log)"
cat "$work/bench.log"
rows=()
for shape in $shapes; do
  log=$work/bench-scale-$shape.log
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$work/gpu-memory-$shape.txt" 2>/dev/null &
  sampler=$!
  "$cli" bench-scale --shape "$shape" --device cuda --dtype "$dtype" --batch-size "$batch_size" --seq-len "$seq_len" \
    --work-dir "$work/$shape" >"$log" 2>&1
  status=$?
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null
  gpu_peak=$(sort -n "$work/gpu-memory-$shape.txt" | tail -1)
  if [ $status -ne 0 ]; then
    fail "bench-scale $shape: $(grep -m1 -i 'error\|out of memory' "$log" || tail -1 "$log")"
    rows+=("$(printf '%-12s %-9s %6s  %s' "$shape" "$dtype" "$((batch_size * seq_len))" "FAILED, see $log")")
    continue
  fi
  field() { sed -n "s/^$1 *\([0-9.]*\).*/\1/p" "$log" | head -1; }
  rows+=("$(printf '%-12s %-9s %6s %8s %8s %8s %9s %10s %9s %10s' "$shape" "$dtype" "$((batch_size * seq_len))" \
    "$(field load)" "$(field 'setup per batch')" "$(field 'product M.u')" "$(field 'forward+backward')" \
    "$(sed -n 's/^one batch, m=64 *\([0-9.]*\).*/\1/p' "$log")" "$(field 'peak memory')" "$(awk -v m="$gpu_peak" 'BEGIN{printf "%.1f", m/1024}')")")
done

echo
echo "ShellScope CUDA check, $(date -u +%Y-%m-%dT%H:%MZ), $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
printf '%-12s %-9s %6s %8s %8s %8s %9s %10s %9s %10s\n' shape dtype tokens 'load s' 'setup s' 'M.u s' 'fwd+bwd s' \
  'batch s' 'host GiB' 'GPU GiB'
for row in "${rows[@]}"; do echo "$row"; done
echo "(batch: setup + 64 products; host GiB: peak resident; GPU GiB: peak nvidia-smi memory.used, allocator cache included)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "gpu-check: ${#failed[@]} step(s) FAILED:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "gpu-check: all steps passed"
