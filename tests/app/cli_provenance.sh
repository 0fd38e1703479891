#!/usr/bin/env bash
# Provenance that resolves: a run records its checkpoint and data as given, absolute and relative
# to the session file, the data format, and fingerprints of the files and of the batches; `info
# --run` finds them from another working directory, after the whole tree moved (through the
# session-relative paths), says when a file changed or is missing, and shows an older session's
# paths as stored.
# usage: cli_provenance.sh PATH/TO/shellscope-cli PYTHON3 GOLDEN_DIR
set -u
cli=$1
python=$2
golden=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"  # the digest cache of this test
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }
"$python" -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: python3-h5py is not installed"; exit 77; }

step "compute with relative paths from one folder into a session in another"
mkdir -p "$work/project/inputs" "$work/project/results"
cd "$work/project/inputs" || fail "cd"
"$cli" init-checkpoint --shape tiny-lm --out ckpt/step5 --store-dtype float32 --seed 2 >/dev/null || fail "init"
"$python" -c "import numpy as np; (np.arange(3000) * 7 % 64).astype('<i4').tofile('tokens.i32')" || fail "tokens"
"$cli" compute --model ckpt/step5 --data tokens.i32 --batches 2 --batch-size 2 --seq-len 8 --lanczos-steps 4 \
  --out ../results/s.h5 >/dev/null || fail "compute"
"$python" - "$work/project/results/s.h5" "$work/project/inputs" <<'PY' || fail "provenance attributes"
import hashlib, sys
import h5py
session, inputs = sys.argv[1], sys.argv[2]
with h5py.File(session, "r") as f:
    run = f["runs/run-0001"].attrs
    assert run["checkpoint"] == "ckpt/step5"
    assert run["checkpoint_absolute"] == inputs + "/ckpt/step5", run["checkpoint_absolute"]
    assert run["checkpoint_relative"] == "../inputs/ckpt/step5"
    assert run["data_path"] == "tokens.i32" and run["data_path_relative"] == "../inputs/tokens.i32"
    assert run["data_format"] == "raw i32"
    # The data fingerprint is one SHA-256 over "<name> <sha256 of the file>" lines.
    digest = hashlib.sha256(open(inputs + "/tokens.i32", "rb").read()).hexdigest()
    assert run["data_sha256"] == hashlib.sha256(f"tokens.i32 {digest}\n".encode()).hexdigest()
    assert len(run["checkpoint_sha256"]) == 64 and len(run["batches_sha256"]) == 64
print("attributes as documented")
PY

step "info --run from another working directory"
cd / || fail "cd /"
"$cli" info "$work/project/results/s.h5" --run run-0001 >"$work/info1.out" || fail "info"
grep -q "checkpoint: unchanged: $work/project/inputs/ckpt/step5" "$work/info1.out" || { cat "$work/info1.out"; fail "checkpoint not found"; }
grep -q "data: unchanged: $work/project/inputs/tokens.i32" "$work/info1.out" || fail "data not found"

step "the whole tree moved: the session-relative paths find the inputs"
mv "$work/project" "$work/moved"
"$cli" info "$work/moved/results/s.h5" --run run-0001 >"$work/info2.out" || fail "info after the move"
grep -q "checkpoint: unchanged: $work/moved/inputs/ckpt/step5" "$work/info2.out" || { cat "$work/info2.out"; fail "moved checkpoint"; }
grep -q "data: unchanged: $work/moved/inputs/tokens.i32" "$work/info2.out" || fail "moved data"

step "a changed token file and a missing checkpoint are named"
printf 'x' >>"$work/moved/inputs/tokens.i32"
rm -r "$work/moved/inputs/ckpt"
"$cli" info "$work/moved/results/s.h5" --run run-0001 >"$work/info3.out" || fail "info after the change"
grep -q "data: changed: $work/moved/inputs/tokens.i32 (found, but its contents changed since the run)" "$work/info3.out" \
  || { cat "$work/info3.out"; fail "changed data not reported"; }
grep -q "checkpoint: missing: ckpt/step5 (not found)" "$work/info3.out" || fail "missing checkpoint not reported"

step "a session written before the provenance attributes: paths as stored"
"$cli" info "$golden/builtin.h5" --run run-0001 >"$work/info4.out" || fail "info on an old session"
grep -q "checkpoint: built in" "$work/info4.out" || { cat "$work/info4.out"; fail "old built-in run"; }
"$cli" info "$golden/series.h5" --run run-0001 >"$work/info5.out" || fail "info on an old series session"
grep -q "data: not recorded: .* (as stored; this session predates recorded data paths)" "$work/info5.out" \
  || { cat "$work/info5.out"; fail "old data path"; }
echo "PASS"
