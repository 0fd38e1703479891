#!/usr/bin/env bash
# Train versus held-out (docs/generalisation.md) through the CLI: the exact lab with held-out points,
# the same checkpoints and points computed at scale by Lanczos (compute --held-out-data) and the two
# per-shell held-out loss rates compared by h5py (independent code paths: explicit Jacobians and a
# dense eigenbasis against the tangent pass and the Lanczos probe), analyze --json's held_out
# section, damaged held-out datasets, and bad settings as clear errors.
# usage: cli_generalisation.sh PATH/TO/shellscope-cli [PYTHON3]
set -u
cli=$1
python=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }
s=$work/s.h5

step "lab run with held-out points (nano-lm, mse-of-error), its checkpoints and points saved"
"$cli" lab run --model builtin:nano-lm --points 32 --seq-len 8 --held-out 32 --steps 4 --every 2 --lr 0.005 \
  --objective mse-of-error --save-checkpoints "$work/ck" --out "$s" --threads 2 >"$work/lab.out" 2>"$work/lab.err" \
  || { cat "$work/lab.err"; fail "lab run --held-out"; }
cat "$work/lab.out"
grep -q "held-out: n' = 32" "$work/lab.out" || fail "lab run prints no held-out summary"
[ -f "$work/ck/held-out.npy" ] || fail "the held-out points were not saved beside points.npy"

step "the same checkpoints at scale: compute --held-out-data, float64, m = n"
"$cli" compute --model "$work/ck" --data "$work/ck/points.npy" --held-out-data "$work/ck/held-out.npy" --batches 1 \
  --batch-size 4 --seq-len 8 --dtype float64 --lanczos-steps 32 --out "$s" >"$work/c.out" 2>"$work/c.err" \
  || { cat "$work/c.err"; fail "compute --held-out-data"; }
"$cli" info "$s" --check >/dev/null || fail "info --check after compute --held-out-data"

step "h5py: the Lanczos split of the held-out loss rate equals the lab's exact one below every edge"
"$python" - "$s" <<'PY' || fail "the two held-out loss rates differ"
import sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
lab = f["lab"]["lab-0001"]
edges, R, steps = lab["shell_edges"][:], lab["held_out_R"][:], list(lab["step"][:])
assert np.max(np.abs(R.sum(axis=1) - lab["held_out_R_direct"][:])) <= 1e-10 * np.max(np.abs(R)), "lab identity"
assert len(f["runs"]) == 3, "three runs expected"
worst = 0.0
for rid in f["runs"]:
    g = f["runs"][rid]
    k = steps.index(g.attrs["step"])
    rates, theta = g["held_out_ritz_rates"][0], g["ritz_values"][0]
    ok = ~np.isnan(theta)
    below = np.concatenate([[R[k][0]], R[k][0] + np.cumsum(R[k][1:-1])])
    total = np.abs(R[k]).sum()
    for i, e in enumerate(edges):
        worst = max(worst, abs(rates[ok][theta[ok] < e * (1 - 1e-12)].sum() - below[i]) / total)
    assert abs(g["held_out_rate_direct"][0] - lab["held_out_R_direct"][k]) <= 1e-9 * total, "direct rates differ"
    assert abs(g["held_out_loss"][0] - 0) >= 0, "held_out_loss readable"
    for name in ("held_out_shell_rate", "held_out_shell_energy", "held_out_shell_rate_batches", "held_out_ritz_values"):
        assert name in g, name + " missing"
    assert g.attrs["held_out_data_path"].endswith("held-out.npy"), g.attrs["held_out_data_path"]
print("worst cumulative difference / sum |R|: %.2e" % worst)
assert worst <= 1e-9, worst
PY

step "cross-entropy flow: lab run --objective cross-entropy against compute --held-out-cross-entropy"
"$cli" lab run --model builtin:nano-lm --points 32 --seq-len 8 --held-out 32 --steps 4 --every 2 --lr 0.005 \
  --objective cross-entropy --save-checkpoints "$work/ce" --out "$work/ce.h5" --threads 2 >"$work/ce-lab.out" \
  2>"$work/ce-lab.err" || { cat "$work/ce-lab.err"; fail "lab run --objective cross-entropy --held-out"; }
"$cli" compute --model "$work/ce" --data "$work/ce/points.npy" --held-out-data "$work/ce/held-out.npy" \
  --held-out-cross-entropy --batches 1 --batch-size 4 --seq-len 8 --dtype float64 --lanczos-steps 32 \
  --out "$work/ce.h5" >"$work/ce-c.out" 2>"$work/ce-c.err" || { cat "$work/ce-c.err"; fail "compute --held-out-cross-entropy"; }
"$cli" info "$work/ce.h5" --check >/dev/null || fail "info --check after compute --held-out-cross-entropy"
"$cli" info "$work/ce.h5" --run run-0001 | grep -q "cross-entropy flow: dL'/dtau" || fail "info --run has no cross-entropy line"
"$python" - "$work/ce.h5" <<'PY' || fail "the two cross-entropy held-out loss rates differ"
import sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
lab = f["lab"]["lab-0001"]
edges, R, steps = lab["shell_edges"][:], lab["held_out_R"][:], list(lab["step"][:])
worst = 0.0
for rid in f["runs"]:
    g = f["runs"][rid]
    k = steps.index(g.attrs["step"])
    rates, theta = g["held_out_ce_ritz_rates"][0], g["held_out_ce_ritz_values"][0]
    ok = ~np.isnan(theta)
    assert abs(np.nansum(g["held_out_ce_ritz_weights"][0]) - 1) < 1e-12, "weights of the quadrature from 1"
    below = np.concatenate([[R[k][0]], R[k][0] + np.cumsum(R[k][1:-1])])
    total = np.abs(R[k]).sum()
    for i, e in enumerate(edges):
        worst = max(worst, abs(rates[ok][theta[ok] < e * (1 - 1e-12)].sum() - below[i]) / total)
    assert abs(g["held_out_ce_rate_direct"][0] - lab["held_out_R_direct"][k]) <= 1e-9 * total, "direct rates differ"
    # The training rate of mean(e) under the same flow, −Σ θ w, matches the lab's training split.
    training = -np.nansum(g["held_out_ce_ritz_values"][0] * g["held_out_ce_ritz_weights"][0])
    assert abs(training - lab["training_R"][k].sum()) <= 1e-9 * abs(training), (training, lab["training_R"][k].sum())
    for name in ("held_out_ce_shell_rate", "held_out_ce_shell_rate_batches", "held_out_ce_training_rate"):
        assert name in g, name + " missing"
print("cross-entropy: worst cumulative difference / sum |R|: %.2e" % worst)
assert worst <= 1e-9, worst
PY
"$cli" analyze "$work/ce.h5" --json --no-write >"$work/ce.json" || fail "analyze --json (cross-entropy)"
"$python" - "$work/ce.json" <<'PY' || fail "analyze --json lacks the cross-entropy split"
import json, sys
d = json.load(open(sys.argv[1]))["held_out"]
objectives = sorted({r["objective"] for r in d["runs"]})
assert objectives == ["cross_entropy", "mse"], objectives
assert sorted(m["objective"] for m in d["models"]) == ["cross_entropy", "mse"], d["models"]
PY
"$cli" analyze "$work/ce.h5" >/dev/null || fail "analyze (writes /analysis/held_out_cross_entropy)"
"$python" -c "
import h5py, sys
a = h5py.File(sys.argv[1], 'r')['analysis']
assert 'held_out' in a and 'held_out_cross_entropy' in a, list(a)
" "$work/ce.h5" || fail "/analysis/held_out_cross_entropy missing"
cp "$work/ce.h5" "$work/ce-partial.h5"
"$python" -c "
import h5py, sys
del h5py.File(sys.argv[1], 'r+')['runs/run-0001/held_out_ce_ritz_rates']
" "$work/ce-partial.h5" || fail "h5py edit"
"$cli" info "$work/ce-partial.h5" --reseal >/dev/null 2>&1
"$cli" info "$work/ce-partial.h5" >/dev/null 2>"$work/ce-partial.err" && fail "a run with some held_out_ce datasets should be refused"
grep -q "held_out_ce_\* datasets but not all" "$work/ce-partial.err" || fail "ce partial: $(cat "$work/ce-partial.err")"
"$cli" compute --model builtin:tiny-lm --held-out-cross-entropy --batches 1 --out "$work/bad.h5" >/dev/null \
  2>"$work/bad0.err" && fail "--held-out-cross-entropy without held-out data"
grep -q "held_out_cross_entropy\|held-out-cross-entropy" "$work/bad0.err" || fail "bad0: $(cat "$work/bad0.err")"

step "the regressor with label noise: the identity to rounding, the rise window named"
"$cli" lab run --model builtin:mlp --points 32 --held-out 64 --label-noise 0.5 --steps 60 --every 2 --lr 0.05 \
  --out "$work/mlp.h5" --threads 2 >"$work/mlp.out" || fail "lab run mlp --held-out"
grep -q "label noise N(0, 0.5^2)" "$work/mlp.out" || fail "the data line should name the label noise"
grep -q "L' rises over steps" "$work/mlp.out" || fail "the mlp run with label noise should overfit: $(cat "$work/mlp.out")"
"$cli" lab show "$work/mlp.h5" | grep -q "sum_b R_b against" || fail "lab show has no held-out lines"

step "analyze --json: held_out runs and the per-model window"
"$cli" compute --model builtin:tiny-lm --held-out-data builtin --batches 4 --batch-size 2 --seq-len 8 \
  --lanczos-steps 16 --out "$work/t.h5" >/dev/null || fail "compute --held-out-data builtin"
"$cli" analyze "$work/t.h5" --json --no-write >"$work/a.json" || fail "analyze --json"
"$python" - "$work/a.json" <<'PY' || fail "analyze --json lacks the held-out section"
import json, sys
d = json.load(open(sys.argv[1]))["held_out"]
r = d["runs"][0]
assert r["batch_pairs"] == 4 and len(r["shell_rate"]) == len(r["shell_edges"]) - 1, r
assert r["held_out_loss_rate_ci"][0] <= r["held_out_loss_rate"] <= r["held_out_loss_rate_ci"][1], r
assert "batches 4..7" in r["held_out_data_source"], r["held_out_data_source"]
m = d["models"][0]
assert m["model_name"] == "tiny-lm" and "window" in m and "reason" in m["window"], m
PY
"$cli" analyze "$work/t.h5" --no-write | grep -q "held-out points (docs/generalisation.md)" || fail "the table has no held-out section"

step "damaged held-out datasets are named"
cp "$work/t.h5" "$work/partial.h5"
"$python" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r+')
del f['runs/run-0001/held_out_ritz_rates']
" "$work/partial.h5" || fail "h5py edit"
"$cli" info "$work/partial.h5" --reseal >/dev/null 2>&1  # rewrites the checksum, then reports the damage
"$cli" info "$work/partial.h5" >/dev/null 2>"$work/partial.err" && fail "a run with some held-out datasets should be refused"
grep -q "held_out_\* datasets but not all" "$work/partial.err" || fail "partial: $(cat "$work/partial.err")"
cp "$work/t.h5" "$work/sum.h5"
"$python" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r+')
d = f['runs/run-0001/held_out_rate_direct']
d[0] = d[0] * 2 + 1
" "$work/sum.h5" || fail "h5py edit"
"$cli" info "$work/sum.h5" --reseal >/dev/null 2>&1
"$cli" info "$work/sum.h5" --check >"$work/sum.out" && fail "rates that do not sum to the direct rate should be a problem"
grep -q "rates per Ritz value sum to" "$work/sum.out" || fail "sum: $(cat "$work/sum.out")"

step "bad settings"
"$cli" compute --model "$work/ck/step0" --data "$work/ck/points.npy" --held-out-data "$work/ck/points.npy" --batches 1 \
  --batch-size 4 --seq-len 8 --out "$work/bad.h5" >/dev/null 2>"$work/bad1.err" && fail "held-out = training batches"
grep -q "held_out_data\|held-out-data" "$work/bad1.err" || fail "bad1: $(cat "$work/bad1.err")"
"$cli" compute --model "$work/ck/step0" --data "$work/ck/points.npy" --held-out-data builtin --batches 1 \
  --batch-size 4 --seq-len 8 --out "$work/bad.h5" >/dev/null 2>"$work/bad2.err" && fail "builtin held-out for a checkpoint"
grep -q "built-in model" "$work/bad2.err" || fail "bad2: $(cat "$work/bad2.err")"
"$python" -c "import numpy, sys; numpy.save(sys.argv[1], numpy.arange(18, dtype=numpy.int32) % 30)" "$work/short.npy" \
  || fail "numpy"
"$cli" compute --model "$work/ck/step0" --data "$work/ck/points.npy" --held-out-data "$work/short.npy" --batches 2 \
  --batch-size 2 --seq-len 8 --out "$work/bad.h5" >/dev/null 2>"$work/bad3.err" && fail "too few held-out batches"
grep -q "short.npy" "$work/bad3.err" || fail "bad3: $(cat "$work/bad3.err")"
"$cli" lab run --model builtin:nano-lm --points 32 --seq-len 8 --held-out 12 --out "$work/bad.h5" >/dev/null 2>"$work/bad4.err" \
  && fail "held-out points of an LM must be whole windows"
grep -q "held-out" "$work/bad4.err" || fail "bad4: $(cat "$work/bad4.err")"
"$cli" lab run --model builtin:nano-lm --points 32 --seq-len 8 --label-noise 0.1 --out "$work/bad.h5" >/dev/null 2>"$work/bad5.err" \
  && fail "label noise needs the regressor"
grep -q "label-noise\|label_noise" "$work/bad5.err" || fail "bad5: $(cat "$work/bad5.err")"
echo "PASS"
