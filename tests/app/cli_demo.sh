#!/usr/bin/env bash
# The built-in experiment, small (demo --quick): data, training and shells complete; the checkpoints
# are ordinary Pythia-layout folders for compute/eval; a run stopped with Ctrl-C and resumed ends
# with exactly the session of an uninterrupted run; figures are written.
# usage: cli_demo.sh PATH/TO/shellscope-cli [PYTHON3]
set -u
cli=$1
python=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }

step "uninterrupted quick experiment"
"$cli" demo --quick --no-gui --out "$work/a" >"$work/a.out" 2>"$work/a.err" || { cat "$work/a.err"; fail "demo --quick"; }
cat "$work/a.out"
for file in data/tokenizer.json data/train.bin data/train.idx data/heldout.bin data/heldout.idx data/corpus.json \
            session.h5 nano-a/step0/config.json nano-a/step0/model.safetensors nano-a/step64/model.safetensors \
            nano-b/step32/tokenizer.json nano-b/training_log.csv; do
  [ -s "$work/a/$file" ] || fail "missing $file"
done
steps=$(ls "$work/a/nano-a" | grep '^step' | sed 's/step//' | sort -n | tr '\n' ' ')
[ "$steps" = "0 1 2 4 8 16 32 64 " ] || fail "checkpoint steps are not Pythia's schedule: $steps"
grep -q "16 runs, 2 training logs" "$work/a.out" || fail "expected 16 runs and 2 training logs"
if grep -q "figures:" "$work/a.out"; then
  for figure in $(grep '\.png$' "$work/a.out"); do
    [ -s "$figure" ] || fail "figure $figure missing"
    head -c 8 "$figure" | od -An -c | grep -q "P   N   G" || fail "$figure is not a PNG"
  done
fi

step "the checkpoints load as ordinary Pythia-layout folders"
"$cli" eval --model "$work/a/nano-b/step64" --data "$work/a/data/heldout" --batches 2 --batch-size 2 --seq-len 32 --json \
  >"$work/eval.json" || fail "eval on a demo checkpoint"
"$cli" compute --model "$work/a/nano-a" --data "$work/a/data/heldout.bin" --batches 1 --batch-size 2 --seq-len 16 \
  --lanczos-steps 4 --out "$work/series.h5" >"$work/series.out" 2>&1 || { cat "$work/series.out"; fail "compute on the series"; }
[ "$("$cli" info "$work/series.h5" | grep -c '^run-')" -eq 8 ] || fail "compute over the demo series should give 8 runs"

step "analyze the experiment: table, JSON schema, results stored in the session"
"$cli" analyze "$work/a/session.h5" --bootstrap 50 >"$work/analyze.out" || fail "analyze"
grep -q "transport exponent c0" "$work/analyze.out" || fail "analyze printed no trends"
grep -q "results written to" "$work/analyze.out" || fail "analyze did not write its results"
"$cli" analyze "$work/a/session.h5" --bootstrap 50 --json --no-write >"$work/analyze.json" || fail "analyze --json"
if "$python" -c "import h5py" 2>/dev/null; then
  "$python" - "$work/analyze.json" "$work/a/session.h5" <<'PY' || fail "analyze --json does not follow the schema"
import json, sys, h5py
out = json.load(open(sys.argv[1]))
assert len(out["runs"]) == 16, len(out["runs"])
for r in out["runs"]:
    for key in ("run_id", "model_name", "step", "frontier_lambda", "frontier_lambda_ci", "piecewise", "theory"):
        assert key in r, key
    assert set(("slope", "slope_err", "kappa", "kappa_err", "blend_lambda", "status")) <= set(r["piecewise"])
    assert set(("p", "p_err", "kappa", "kappa_err", "C", "status")) <= set(r["theory"])
    if r["theory"]["status"] != "ok":
        assert r["theory"]["p"] is None, "a failed fit must not report numbers"
    if r["frontier_lambda"] is not None:
        lo, hi = r["frontier_lambda_ci"]
        # No interval (null) when too many bootstrap resamples of these 2 batches have no peak.
        assert (lo is None and hi is None) or lo <= r["frontier_lambda"] <= hi
quantities = {(t["model_name"], t["quantity"]) for t in out["trends"]}
for model in ("nano-a", "nano-b"):
    for q in ("frontier_lambda", "kappa", "p", "loss"):
        assert (model, q) in quantities, (model, q)
for t in out["trends"]:
    assert set(("model_name", "quantity", "exponent", "exponent_err", "status")) <= set(t)
    assert len(t["exponent_ci"]) == 2 and len(t["window_steps"]) == 2
for m in out["transport"]:
    w = m["window"]
    assert w["choice"] in ("auto", "all") and 0 < w["checkpoints"] <= w["of"] == 7, w
    assert w["reason"], "the window says how it was chosen"
    assert m["prediction_status"] == "ok" or m["prediction_status"].startswith("not predicted: ")
    if m["prediction_status"] != "ok":
        assert m["predicted_loss_exponent"] is None, "a withheld prediction must not report a number"
with h5py.File(sys.argv[2], "r") as f:
    assert f["analysis"].attrs["format"] == "shellscope-analysis"
    assert len(f["analysis/runs"]) == 16
print("analyze --json: schema checked;", sum(r["theory"]["status"] == "ok" for r in out["runs"]), "theory fits ok")
PY
fi

step "a trend window chosen by the user: used, stored, kept by the next analyze, reset by auto"
"$cli" analyze "$work/a/session.h5" --bootstrap 50 --trend-window nano-a=2:32 >"$work/window.out" || fail "analyze --trend-window"
grep -q "window: steps 2 to 32, 5 of 7 checkpoints; chosen by the user" "$work/window.out" || { cat "$work/window.out"; fail "user window not used"; }
"$cli" analyze "$work/a/session.h5" --bootstrap 50 --json >"$work/window.json" || fail "analyze after a window"
"$python" - "$work/window.json" <<'PY' || fail "the stored window was not kept"
import json, sys
out = {m["model_name"]: m for m in json.load(open(sys.argv[1]))["transport"]}
assert out["nano-a"]["window"]["choice"] == "user" and out["nano-a"]["window"]["first_step"] == 2, out["nano-a"]["window"]
assert out["nano-b"]["window"]["choice"] != "user"
PY
"$cli" analyze "$work/a/session.h5" --bootstrap 50 --trend-window auto >"$work/window2.out" || fail "analyze --trend-window auto"
grep -q "chosen by the user" "$work/window2.out" && fail "auto did not reset the window"
"$cli" analyze "$work/a/session.h5" --trend-window nano-z=1:2 >/dev/null 2>"$work/window.err" && fail "an unknown model was accepted"
grep -q "no model 'nano-z'" "$work/window.err" || { cat "$work/window.err"; fail "unclear error for an unknown model"; }
"$cli" analyze "$work/a/session.h5" --trend-window 9:2 >/dev/null 2>"$work/window.err" && fail "a reversed window was accepted"
grep -q "the first step is after the last" "$work/window.err" || fail "unclear error for a reversed window"

step "render every view from the command line: exit status 0 and a PNG each"
for view in "--view profile --model nano-a" "--view profile --model nano-a --step 64" "--view overlay" \
            "--view trends --quantity loss --axis accumulated_lr"; do
  # shellcheck disable=SC2086
  QT_QPA_PLATFORM=offscreen "$cli" render "$work/a/session.h5" $view --out "$work/fig.png" >/dev/null 2>"$work/render.err"
  status=$?
  if grep -q "needs the Qt build" "$work/render.err"; then echo "(render: not in this build)"; break; fi
  [ "$status" -eq 0 ] || { cat "$work/render.err"; fail "render $view exited with $status"; }
  head -c 8 "$work/fig.png" | od -An -c | grep -q "P   N   G" || fail "render $view wrote no PNG"
  rm -f "$work/fig.png"
done

step "stop with Ctrl-C, resume, and end with the same session"
"$cli" demo --quick --no-gui --threads 1 --out "$work/b" >"$work/b1.out" 2>"$work/b1.err" &
pid=$!
for _ in $(seq 1 200); do
  grep -q "shells" "$work/b1.err" 2>/dev/null && break  # stop once shells are being computed
  sleep 0.05
done
kill -INT "$pid"
wait "$pid"
status=$?
tr '\r' '\n' <"$work/b1.err" | tail -2
if [ "$status" -eq 130 ]; then
  grep -q "run the same command again to resume" "$work/b1.err" || fail "no resume hint"
else
  echo "note: the run finished before the interrupt arrived (status $status)"
fi
"$cli" demo --quick --no-gui --out "$work/b" >"$work/b2.out" 2>"$work/b2.err" || { cat "$work/b2.err"; fail "resumed demo"; }
grep -q "16 runs" "$work/b2.out" || fail "the resumed run is incomplete"
if [ "$status" -eq 130 ]; then grep -q "(reused)" "$work/b2.out" || fail "nothing was reused on resume"; fi
if "$python" -c "import h5py, numpy" 2>/dev/null; then
  "$python" - "$work/a/session.h5" "$work/b/session.h5" <<'PY' || fail "resumed session differs from the uninterrupted one"
import sys, h5py, numpy as np
def load(path):
    with h5py.File(path, "r") as f:
        runs = {(r.attrs["model_name"], int(r.attrs["step"])): r["shell_energy_batches"][()] for r in f["runs"].values()}
        logs = {k: g["loss"][()] for k, g in f["training"].items()}
    return runs, logs
(ra, la), (rb, lb) = load(sys.argv[1]), load(sys.argv[2])
assert ra.keys() == rb.keys(), (sorted(ra), sorted(rb))
for k in ra:
    assert np.allclose(ra[k], rb[k], rtol=1e-5, atol=1e-12), k
for k in la:
    assert np.allclose(la[k], lb[k], rtol=1e-6), k
print(f"resumed session equals the uninterrupted one ({len(ra)} runs, {len(la)} training logs)")
PY
fi
echo "PASS"
