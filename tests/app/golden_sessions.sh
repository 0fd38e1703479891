#!/usr/bin/env bash
# Sessions computed by this build on small fixtures equal the golden sessions in
# tests/testdata/golden/, which were written by the code before the architecture step (issue 10):
# built-in models in every Lanczos mode and dtype, a GPT-NeoX checkpoint series read from disk with
# each JVP method, and the quick built-in experiment (training included). Every number is compared
# bit for bit; only what describes the machine and the moment (created_at, software_version,
# compute_seconds, batch_seconds, paths of the temporary folder) is left out.
#
# usage: golden_sessions.sh PATH/TO/shellscope-cli GOLDEN_DIR PYTHON3 [--write]
#   --write   (re)writes the golden sessions instead of comparing (do this only on purpose)
set -u
cli=$1
golden=$2
python=$3
mode=${4:-check}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }

"$python" -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: python3-h5py is not installed"; exit 77; }
# The goldens were computed with OpenBLAS's Prescott kernels, which every x86-64 CPU runs: asking
# for them makes the comparison exact on any such machine (shellscope-cli would otherwise pick
# faster kernels, which sum in another order).
[ "$(uname -m)" = x86_64 ] && export OPENBLAS_CORETYPE=Prescott

# On the CPU everywhere: the goldens are CPU sessions (a GPU build would otherwise pick CUDA).
common=(--batches 2 --batch-size 2 --seq-len 16 --threads 1 --device cpu)
compute() {  # compute SESSION ARGS...
  local out=$1
  shift
  "$cli" compute "${common[@]}" "$@" --out "$out" >"$work/compute.log" 2>&1 || { cat "$work/compute.log"; fail "compute $*"; }
}

step "built-in models"
compute "$work/builtin.h5" --model builtin:tiny-lm --lanczos-steps 12 --dtype float64 --seed 5
compute "$work/builtin.h5" --model builtin:tiny-lm --lanczos-steps 10 --lanczos-mode plain --dtype float32
compute "$work/builtin.h5" --model builtin:tiny-lm --lanczos-steps 10 --lanczos-mode golub-kahan --dtype float64 \
  --jvp forward-ad
compute "$work/builtin.h5" --model builtin:mlp --lanczos-steps 12 --lanczos-mode golub-kahan --dtype float64
compute "$work/builtin.h5" --model builtin:mlp --lanczos-steps 12 --dtype float32 --jvp double-backward

step "a GPT-NeoX checkpoint series on a raw token file"
"$cli" init-checkpoint --shape tiny-lm --out "$work/series/tiny-neox/step0" --layout safetensors --store-dtype float32 \
  --seed 3 >/dev/null || fail "init step0"
"$cli" init-checkpoint --shape tiny-lm --out "$work/series/tiny-neox/step100" --layout bin --store-dtype bfloat16 \
  --seed 4 >/dev/null || fail "init step100"
"$python" - "$work/tokens.i32" <<'PY' || fail "writing tokens"
import sys
import numpy as np
np.array([(37 * i + 11 * (i // 7)) % 64 for i in range(2000)], dtype="<i4").tofile(sys.argv[1])
PY
compute "$work/series.h5" --model "$work/series/tiny-neox" --data "$work/tokens.i32" --lanczos-steps 10 --dtype float64
compute "$work/series.h5" --model "$work/series/tiny-neox/step100" --data "$work/tokens.i32" --lanczos-steps 8 \
  --dtype float64 --jvp double-backward
compute "$work/series.h5" --model "$work/series/tiny-neox/step0" --data "$work/tokens.i32" --lanczos-steps 8 \
  --dtype float32 --jvp forward-ad --lanczos-mode plain

step "the quick built-in experiment"
"$cli" demo --quick --no-gui --device cpu --out "$work/demo" >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; fail "demo --quick"; }

if [ "$mode" = "--write" ]; then
  mkdir -p "$golden"
  cp "$work/builtin.h5" "$work/series.h5" "$golden/"
  cp "$work/demo/session.h5" "$golden/demo.h5"
  "$cli" --version >"$golden/written-by.txt"
  echo "$work" >"$golden/work-root.txt"  # the temporary folder its paths start with
  echo "golden sessions written to $golden"
  exit 0
fi

step "sessions written by the old code open unchanged"
for session in builtin series demo; do
  "$cli" info "$golden/$session.h5" --profiles >"$work/info-$session.out" 2>&1 || { cat "$work/info-$session.out"; fail "info $session.h5"; }
done
grep -q "run-0016" "$work/info-demo.out" || fail "info does not list the 16 runs of demo.h5"

step "compare with the golden sessions"
# Bit for bit where the BLAS runs the same kernels as the machine that wrote the goldens; OpenBLAS
# picks its kernels by CPU, and other kernels sum in another order, so elsewhere to a tolerance.
blas_now=$("$cli" --version | sed -n 's/.*BLAS: \([^[]*\).*/\1/p')
blas_golden=$(sed -n 's/.*BLAS: \([^[]*\).*/\1/p' "$golden/written-by.txt")
exact=1
if [ "$blas_now" != "$blas_golden" ]; then
  echo "note: BLAS kernels differ from the goldens' ($blas_now vs $blas_golden): comparing to a tolerance"
  exact=0
fi
"$python" - "$work" "$golden" "$(cat "$golden/work-root.txt")" "$exact" <<'PY' || fail "sessions differ from the golden ones"
import sys
import h5py
import numpy as np

work, golden, golden_work, exact = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
# Attributes and datasets that describe the machine or the moment, not the numbers.
IGNORED = {"created_at", "software_version", "compute_seconds", "batch_seconds", "created_by"}
# Written since the goldens (provenance, issue 11): present in new sessions only, compared by the
# tests that introduced them.
ADDED = {"checkpoint_absolute", "checkpoint_relative", "checkpoint_sha256", "data_path", "data_path_absolute",
         "data_path_relative", "data_format", "data_sha256", "batches_sha256",
         # quadrature bounds (issue 11)
         "lanczos_alpha", "lanczos_beta", "shell_energy_lower_batches", "shell_energy_upper_batches",
         "shell_energy_lower", "shell_energy_upper",
         # smooth shells (issue 11)
         "smooth_shell_energy", "smooth_shell_energy_batches", "smooth_underflow", "smooth_overflow",
         # adaptive m (issue 11)
         "adaptive_tolerance", "lanczos_max_steps",
         # the Lanczos vectors' dtype (issue 15), stated since; they were float64 in the goldens too
         "vector_dtype",
         # activation recompute (issue 15): the goldens kept every activation
         "recompute_activations"}
# Added attributes whose value the goldens' code implied.
ADDED_VALUES = {"vector_dtype": "float64", "recompute_activations": 0}
problems = []


def normalise(value, root):
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        return value.replace(root, "$WORK")
    return value


def same(a, b):
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        if a.dtype != b.dtype:
            return False
        if exact:
            return np.array_equal(a.view(np.uint8), b.view(np.uint8))
        scale = np.nanmax(np.abs(b)) if np.isfinite(b).any() else 0.0
        return np.allclose(a, b, rtol=1e-3, atol=1e-6 * scale, equal_nan=True)
    return np.array_equal(a, b)


def compare(where, new, old, new_root, old_root):
    for key in sorted(set(new.attrs) | set(old.attrs)):
        if key in IGNORED:
            continue
        if key in ADDED and key not in old.attrs:
            if key in ADDED_VALUES and normalise(new.attrs[key], new_root) != ADDED_VALUES[key]:
                problems.append(f"{where}: attribute {key} is {new.attrs[key]!r}, expected {ADDED_VALUES[key]!r}")
            continue
        if key not in new.attrs or key not in old.attrs:
            problems.append(f"{where}: attribute {key} only in {'the new' if key in new.attrs else 'the golden'} file")
            continue
        a, b = normalise(new.attrs[key], new_root), normalise(old.attrs[key], old_root)
        if isinstance(a, str) or isinstance(b, str):
            if a != b:
                problems.append(f"{where}: attribute {key}: {a!r} != golden {b!r}")
        elif not same(a, b):
            problems.append(f"{where}: attribute {key}: {a} != golden {b}")
    for key in sorted(set(new.keys()) | set(old.keys())):
        if key in IGNORED:
            continue
        if key in ADDED and key not in old:
            continue
        if key not in new or key not in old:
            problems.append(f"{where}: {key} only in {'the new' if key in new else 'the golden'} file")
            continue
        if isinstance(old[key], h5py.Group):
            compare(f"{where}/{key}", new[key], old[key], new_root, old_root)
        elif not same(new[key][()], old[key][()]):
            problems.append(f"{where}/{key}: values differ (max |Δ| {np.nanmax(np.abs(new[key][()] - old[key][()]))})")


def runs_by_key(f, keyed):
    runs = [f["runs"][name] for name in sorted(f["runs"])]
    if keyed:  # the experiment computes runs on two threads: their order in the file varies
        runs.sort(key=lambda r: (r.attrs["model_name"], int(r.attrs["step"])))
    return runs


for name, new_path, keyed in [("builtin.h5", f"{work}/builtin.h5", False), ("series.h5", f"{work}/series.h5", False),
                              ("demo.h5", f"{work}/demo/session.h5", True)]:
    with h5py.File(new_path, "r") as new, h5py.File(f"{golden}/{name}", "r") as old:
        new_runs, old_runs = runs_by_key(new, keyed), runs_by_key(old, keyed)
        if len(new_runs) != len(old_runs):
            problems.append(f"{name}: {len(new_runs)} runs, golden {len(old_runs)}")
            continue
        for a, b in zip(new_runs, old_runs):
            # The temporary folders differ: paths are compared below them.
            compare(f"{name}:{a.name}", a, b, work, golden_work)
        if "training" in old:
            compare(f"{name}:/training", new["training"], old["training"], work, golden_work)
        print(f"{name}: {len(new_runs)} runs compared")
if problems:
    print("\n".join(problems[:40]))
    sys.exit(1)
print("identical to the golden sessions")
PY
