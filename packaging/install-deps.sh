#!/usr/bin/env bash
# Installs the Debian 12 packages ShellScope needs to build, test and run, and makes sure LibTorch
# calls OpenBLAS rather than the reference BLAS (3-5x slower here). Idempotent; silent when all is
# in place. Run as root (or with sudo) on Debian 12.
set -euo pipefail

packages=(
  cmake g++ make ccache                          # toolchain (ccache: rebuilds and CI's second build)
  libtorch-dev libeigen3-dev libhdf5-dev         # core: LibTorch 1.13 (CPU), Eigen, HDF5 C++
  libicu-dev                                     # tokenizer: Unicode normalisation and classes
  nlohmann-json3-dev                             # JSON (checkpoint configs, safetensors headers)
  libopenblas0-pthread                           # the BLAS LibTorch should call
  qt6-base-dev qt6-charts-dev qt6-svg-dev        # ui/ and app/
  libqt6opengl6-dev                              # needed by Qt6Charts' CMake package
  libxkbcommon-dev                               # needed by Qt6Gui's CMake package
  python3-h5py                                   # tests: reading sessions from another program
  libopenmpi-dev openmpi-bin                     # campaigns over MPI ranks (SHELLSCOPE_WITH_MPI; docs/cluster.md)
  xvfb xauth                                     # GUI checks without a display
  clang-14 libclang-rt-14-dev llvm-14            # CI: sanitizer build, libFuzzer, llvm-symbolizer
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "install-deps: apt-get failed (full log: $log)" >&2
    exit 1
  fi
  rm -f "$log"
fi

# libblas.so.3 is chosen by update-alternatives; point it (and LAPACK) at OpenBLAS.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for library in libblas.so.3 liblapack.so.3; do
  wanted=/usr/lib/$arch/openblas-pthread/$library
  current=$(update-alternatives --query "$library-$arch" 2>/dev/null | sed -n 's/^Value: //p')
  if [ -e "$wanted" ] && [ "$current" != "$wanted" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "install-deps: $library resolves to ${current:-nothing}, not OpenBLAS; run as root to fix" >&2
      exit 1
    fi
    update-alternatives --quiet --set "$library-$arch" "$wanted"
    echo "install-deps: $library now resolves to OpenBLAS"
  fi
done
