#!/usr/bin/env bash
# shellscope-cli transport and lab check-transport on the quick built-in experiment: every model's
# series estimated from its training log and stored under /transport, the arrays read by h5py with
# their identities, the CSV, time in steps and from a stated schedule, and bad input as clear errors.
# usage: cli_transport.sh PATH/TO/shellscope-cli [PYTHON3]
set -u
cli=$1
python=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }

step "the quick experiment (two models, 8 checkpoints each, training logs, two lab runs)"
"$cli" demo --quick --out "$work/demo" --no-gui --threads 2 >"$work/demo.out" 2>"$work/demo.err" \
  || { cat "$work/demo.err"; fail "demo --quick"; }
s=$work/demo/session.h5
grep -q "energy flux between shells" "$work/demo.out" || fail "the demo summary has no flux"
grep -q "transport/dissipation" "$work/demo.out" || fail "the demo summary has no lab runs"

step "transport: every model, stored, with a CSV"
"$cli" transport "$s" --csv "$work/flux.csv" >"$work/t.out" 2>"$work/t.err" || { cat "$work/t.err"; fail "transport exited"; }
cat "$work/t.out"
grep -q "^transport-0003: nano-a" "$work/t.out" || fail "the estimate of nano-a was not stored as transport-0003"
grep -q "^transport-0004: nano-b" "$work/t.out" || fail "the estimate of nano-b was not stored as transport-0004"
grep -q "time: training log of nano-a" "$work/t.out" || fail "tau should come from the training log"
[ "$(grep -c '^nano-a\|,nano-a,' "$work/flux.csv")" -gt 10 ] || fail "the CSV misses nano-a's cells"
head -2 "$work/flux.csv" | grep -q "edge_lambda" || fail "the CSV has no header"
"$cli" info "$s" --check >/dev/null || fail "info --check after transport"

step "time in steps, and from a schedule"
"$cli" transport "$s" --model nano-a --steps --no-store >"$work/steps.out" || fail "--steps exited $?"
grep -q "rates are per step" "$work/steps.out" || fail "--steps should say the rates are per step"
"$cli" transport "$s" --model nano-a --schedule "cosine:peak=3e-3,warmup=8,total=64,final=0.1" --no-store \
  >"$work/sched.out" || fail "--schedule exited $?"
grep -q "time: cosine:peak=0.003" "$work/sched.out" || fail "the schedule is not named"

step "bad input"
"$cli" transport "$s" --schedule "linear:1" --no-store >/dev/null 2>"$work/bad.err"
[ $? -eq 2 ] || fail "a bad schedule should be a usage error"
grep -q "\-\-schedule" "$work/bad.err" || fail "the error should name --schedule: $(cat "$work/bad.err")"
"$cli" transport "$s" --run run-0001 --no-store >/dev/null 2>"$work/one.err" && fail "one run is no series"
grep -q "at least two checkpoints" "$work/one.err" || fail "one run: $(cat "$work/one.err")"
"$cli" transport "$work/missing.h5" >/dev/null 2>"$work/missing.err" && fail "a missing file should fail"
grep -q "missing.h5" "$work/missing.err" || fail "the error should name the file"

step "the cross-entropy dissipation: compute --cross-dissipation, then transport uses it"
"$cli" compute --model "$work/demo/nano-a" --data "$work/demo/data/heldout" --batches 2 --batch-size 2 --seq-len 16 \
  --lanczos-steps 8 --cross-dissipation --out "$work/ce.h5" >/dev/null 2>"$work/ce.err" || { cat "$work/ce.err"; fail "compute --cross-dissipation"; }
"$cli" transport "$work/ce.h5" --steps >"$work/ce.out" 2>&1 || { cat "$work/ce.out"; fail "transport on the polarised runs"; }
grep -q "dissipation: sum lambda g c" "$work/ce.out" || fail "auto should pick the cross-entropy dissipation"
"$cli" transport "$s" --model nano-a --dissipation cross-entropy --no-store >/dev/null 2>"$work/nop.err" && fail "runs without e +- 1"
grep -q "cross-dissipation" "$work/nop.err" || fail "the error should say how to get it: $(cat "$work/nop.err")"

step "train versus held-out on the experiment's splits: compute --data train --held-out-data heldout (docs/generalisation.md)"
"$cli" compute --model "$work/demo/nano-a" --data "$work/demo/data/train" --held-out-data "$work/demo/data/heldout" \
  --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 8 --out "$work/ho.h5" >/dev/null 2>"$work/ho.err" \
  || { cat "$work/ho.err"; fail "compute --held-out-data on the demo's splits"; }
"$cli" analyze "$work/ho.h5" --no-write >"$work/ho.out" || fail "analyze of the held-out runs"
grep -q "nano-a (mse flow): held-out loss rises between" "$work/ho.out" || fail "no held-out window line: $(cat "$work/ho.out")"
"$cli" info "$work/ho.h5" --run run-0001 | grep -q "held-out: " || fail "info --run shows no held-out side"

step "lab check-transport on the demo's lab runs"
"$cli" lab check-transport "$s" --spacing 1,2,4 >"$work/check.out" || fail "lab check-transport exited $?"
cat "$work/check.out"
[ "$(grep -c '^ \+[124] \+[124] ' "$work/check.out")" -eq 6 ] || fail "expected three spacings for each of two lab runs"

step "another program (h5py) reads the estimates"
if "$python" -c "import h5py" 2>/dev/null; then
  "$python" - "$s" <<'PY' || fail "h5py check"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    names = sorted(f["transport"].keys())
    assert names == ["transport-0001", "transport-0002", "transport-0003", "transport-0004"], names
    g = f["transport/transport-0003"]
    assert g.attrs["format"] == "shellscope-transport" and g.attrs["time_source"] == "training-log"
    K, S = len(g["step"]), int(g.attrs["shell_count"])
    E, dE, Dbar, J, dtau = g["E"][()], g["dE"][()], g["Dbar"][()], g["J"][()], g["dtau"][()]
    assert E.shape == (K, S + 2) and J.shape == (K - 1, S + 2), (E.shape, J.shape)
    assert g["shell_edges"].shape == (S + 1,)
    assert np.allclose(np.diff(g["tau"][()]), dtau, rtol=1e-12, atol=0)
    assert np.allclose(np.diff(E, axis=0), dE, rtol=1e-9, atol=1e-12)
    assert np.allclose(np.cumsum(0.5 * dE / dtau[:, None] + Dbar, axis=1), J, rtol=1e-9, atol=1e-9 * abs(J).max())
    batches = g["J_batches"][()]
    assert batches.shape == (K - 1, len(g["batch_index"]), S + 2)
    assert np.allclose(batches.mean(axis=1), J, rtol=1e-9, atol=1e-12)
    assert (g["J_low"][()] <= J + 1e-12).all() and (J <= g["J_high"][()] + 1e-12).all()
    assert len(g.attrs["run_ids"].split(",")) == K
    assert "runs" in f and len(f["runs"]) == 16 and "lab" in f and len(f["lab"]) == 2
print("h5py: /transport shapes and identities hold")
PY
  "$python" - "$work/ce.h5" <<'PY' || fail "h5py check of the polarised quadratures"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    run = f["runs/run-0001"]
    B = run.attrs["n_batches"]
    for part in ("plus", "minus"):
        w = run["polarisation_%s_ritz_weights" % part][()]
        assert w.shape[0] == B and np.allclose(np.nansum(w, axis=1), 1, atol=1e-6)
        assert (run["polarisation_%s_norm2" % part][()] > 0).all()
    assert f["transport/transport-0001"].attrs["dissipation"] == "cross-entropy"
print("h5py: the e +- 1 quadratures are stored")
PY
else
  echo "(h5py not installed: skipped)"
fi
echo "PASS"
