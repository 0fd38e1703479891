#!/usr/bin/env bash
# shellscope-cli lab: two lab runs (the regressor under mse-of-error, the nano LM under
# cross-entropy) added to one session that also holds a computed run, lab show, the arrays read
# by h5py with their shapes and identities, bad settings as one-line usage errors (status 2).
# usage: cli_lab.sh PATH/TO/shellscope-cli [PYTHON3]
set -u
cli=$1
python=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }

step "compute a run, then add two lab runs to the same session"
"$cli" compute --model builtin:mlp --batches 1 --batch-size 2 --seq-len 8 --lanczos-steps 8 --out "$work/s.h5" \
  >/dev/null 2>"$work/c.err" || { cat "$work/c.err"; fail "compute"; }
"$cli" lab run --model builtin:mlp --points 32 --steps 20 --every 2 --lr 0.05 --threads 2 --out "$work/s.h5" \
  >"$work/l1.out" 2>"$work/l1.err" || { cat "$work/l1.err"; fail "lab run mlp"; }
cat "$work/l1.out"
grep -q "added lab-0001" "$work/l1.out" || fail "lab run did not report lab-0001"
grep -q "relative residual max" "$work/l1.out" || fail "no residual in the summary"
grep -q "transport/dissipation over the run" "$work/l1.out" || fail "no transport ratio in the summary"
"$cli" lab run --model builtin:nano-lm --objective cross-entropy --points 32 --seq-len 16 --steps 4 --every 1 \
  --lr 0.005 --no-spectra --intervals --threads 2 --out "$work/s.h5" >"$work/l2.out" 2>"$work/l2.err" \
  || { cat "$work/l2.err"; fail "lab run nano-lm"; }
grep -q "added lab-0002" "$work/l2.out" || fail "lab run did not report lab-0002"
[ "$(grep -c '^ *[0-9]\+ \+[0-9]\+-[0-9]\+' "$work/l2.out")" -eq 4 ] || fail "--intervals should list 4 intervals"

step "lab show and info"
"$cli" lab show "$work/s.h5" >"$work/show.out" || fail "lab show exited $?"
grep -q "^lab-0001: builtin:mlp" "$work/show.out" || fail "lab show misses lab-0001"
grep -q "^lab-0002: builtin:nano-lm" "$work/show.out" || fail "lab show misses lab-0002"
"$cli" lab show "$work/s.h5" --run lab-0002 >"$work/show2.out" || fail "lab show --run exited $?"
! grep -q "lab-0001" "$work/show2.out" || fail "lab show --run printed another run"
"$cli" info "$work/s.h5" --check >/dev/null || fail "info --check after the lab runs"
"$cli" info "$work/s.h5" | grep -q "run-0001" || fail "the computed run was lost"

step "another program (h5py) reads the lab runs"
if "$python" -c "import h5py" 2>/dev/null; then
  "$python" - "$work/s.h5" <<'EOF' || fail "h5py check"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    assert "runs" in f and "run-0001" in f["runs"]
    a, b = f["lab/lab-0001"], f["lab/lab-0002"]
    assert a.attrs["format"] == "shellscope-lab-run" and a.attrs["objective"] == "mse-of-error"
    assert b.attrs["objective"] == "cross-entropy" and b.attrs["spectra_stored"] == 0 and "eigenvalues" not in b
    K, S2, n = len(a["tau"]), a.attrs["shell_count"] + 2, a.attrs["n_points"]
    assert K == 11 and a["E"].shape == (K, S2) and a["eigenvalues"].shape == (K, n)
    assert a["flux"].shape == (K - 1, S2, S2) and a["dE"].shape == (K - 1, S2)
    assert np.allclose(a["E"][()].sum(1), a["mean_e2"][()], rtol=1e-12)          # Parseval
    assert np.allclose(np.diff(a["tau"][()]), a["dtau"][()], rtol=1e-12)
    assert np.allclose(np.diff(a["E"][()], axis=0), a["dE"][()], atol=1e-14)
    F = a["flux"][()]
    assert np.abs(F + F.transpose(0, 2, 1)).max() <= 1e-12 * max(np.abs(F).max(), 1e-300)   # antisymmetric
    # the balance: dE/dtau = -2 Dbar + 2 net flux + crossing/dtau + residual
    dt = a["dtau"][()][:, None]
    rhs = -2 * a["Dbar"][()] + 2 * a["net_flux"][()] + a["crossing"][()] / dt + a["residual"][()]
    assert np.allclose(a["dE"][()] / dt, rhs, rtol=1e-9, atol=1e-12)
    # the by-difference cumulative flux against the lab's: they differ by the residual and the
    # dissipation of crossing modes only
    gap = np.cumsum(0.5 * a["residual"][()] + a["Dbar_checkpoints"][()] - a["Dbar"][()], axis=1)
    assert np.allclose(a["J_difference"][()] - a["J_flux"][()], gap, rtol=1e-9, atol=1e-12)
    split = a["frozen_error_change"][()] + a["frozen_basis_change"][()]
    assert np.allclose(split, a["dE"][()], atol=1e-13)
    print("h5py: lab-0001", K, "checkpoints,", S2, "bins; max relative residual", a.attrs["max_relative_residual"])
EOF
else
  echo "SKIP: python3-h5py is not installed"
fi

step "bad settings: one line, status 2, the option named"
expect_usage() {
  local what=$1 needle=$2
  shift 2
  "$cli" lab run --out "$work/bad.h5" "$@" >"$work/bad.out" 2>"$work/bad.err"
  local status=$?
  [ "$status" -eq 2 ] || { cat "$work/bad.err"; fail "$what: status $status, expected 2"; }
  [ "$(wc -l <"$work/bad.err")" -eq 1 ] || { cat "$work/bad.err"; fail "$what: not one line"; }
  grep -q -- "$needle" "$work/bad.err" || { cat "$work/bad.err"; fail "$what: does not say $needle"; }
  [ ! -e "$work/bad.h5" ] || fail "$what: a session was written"
}
expect_usage "cross-entropy on the regressor" "--objective" --model builtin:mlp --objective cross-entropy
expect_usage "points not whole windows" "--points" --model builtin:nano-lm --points 30 --seq-len 16
expect_usage "unknown model" "--model" --model builtin:base-lm
expect_usage "zero step" "--lr" --lr 0
expect_usage "unknown objective" "--objective" --objective mse
"$cli" lab >/dev/null 2>&1; [ $? -eq 2 ] || fail "lab without a subcommand should be status 2"
"$cli" lab run --help | grep -q -- "--output-scale" || fail "lab run --help misses --output-scale"
step "Ctrl-C cancels cleanly and leaves the session untouched"
before=$(md5sum <"$work/s.h5")
"$cli" lab run --model builtin:nano-lm --points 512 --steps 1000 --every 1 --lr 0.001 --threads 2 \
  --out "$work/s.h5" >/dev/null 2>"$work/cancel.err" &
pid=$!
for _ in $(seq 1 300); do  # wait until the run reports progress
  grep -q "Jacobian\|step " "$work/cancel.err" 2>/dev/null && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
status=$?
[ "$status" -eq 130 ] || { cat "$work/cancel.err"; fail "cancelled lab run exited $status, expected 130"; }
grep -q "was not modified" "$work/cancel.err" || fail "cancel message missing"
[ "$(md5sum <"$work/s.h5")" = "$before" ] || fail "the session changed after a cancelled lab run"
ls -a "$work" | grep -q "\.tmp-\|staging" && fail "a temporary file was left behind"
echo "PASS"
