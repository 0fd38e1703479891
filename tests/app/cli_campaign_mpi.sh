#!/usr/bin/env bash
# A campaign under `mpirun -n 2 --oversubscribe`: rank 0 splits the items by cost and broadcasts
# the split, each rank writes its partial session, rank 0 merges after a barrier; the session is
# compared bit for bit (by h5py) with one process's, in float32 and float64; a rerun computes nothing.
# usage: cli_campaign_mpi.sh PATH/TO/shellscope-cli PYTHON3 COMPARE_SESSIONS.py MPIRUN
set -u
cli=$1
python=$2
compare=$3
mpirun=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }
# Test machines and containers often run as root, which OpenMPI refuses unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi=("$mpirun" -n 2 --oversubscribe --bind-to none)
for variable in OMP_WAIT_POLICY GLIBC_TUNABLES XDG_CACHE_HOME; do
  [ -n "${!variable:-}" ] && mpi+=(-x "$variable")
done

"$cli" init-checkpoint --shape tiny-lm --out "$work/series/step0" --seed 1 >/dev/null || fail "init step0"
"$cli" init-checkpoint --shape tiny-lm --out "$work/series/step1000" --seed 2 >/dev/null || fail "init step1000"
"$python" -c "
import numpy as np
np.save('$work/tokens.npy', np.random.default_rng(0).integers(0, 64, size=(64, 65)).astype(np.int32))" || fail "numpy"
common=(--model "$work/series" --model builtin:small-lm --data "$work/tokens.npy" --batches 5 --batch-size 2 --seq-len 32
        --lanczos-steps 16 --threads 1)

for dtype in float32 float64; do
  step "$dtype: one process, then mpirun -n 2"
  "$cli" compute "${common[@]}" --dtype "$dtype" --out "$work/one-$dtype.h5" >/dev/null || fail "one process"
  "${mpi[@]}" "$cli" compute "${common[@]}" --dtype "$dtype" --out "$work/mpi-$dtype.h5" >"$work/mpi.out" 2>&1 \
    || { cat "$work/mpi.out"; fail "mpirun"; }
  cat "$work/mpi.out"
  grep -q "rank 1 of 2 (MPI)" "$work/mpi.out" || fail "the ranks did not come from MPI"
  grep -q "3 run(s) added" "$work/mpi.out" || fail "rank 0 did not merge the three runs"
  "$python" "$compare" "$work/one-$dtype.h5" "$work/mpi-$dtype.h5" --provenance 2 || fail "$dtype: mpirun differs from one process"
done

step "a second mpirun of the same campaign computes and adds nothing"
"${mpi[@]}" "$cli" compute "${common[@]}" --dtype float64 --out "$work/mpi-float64.h5" >"$work/again.out" 2>&1 \
  || { cat "$work/again.out"; fail "mpirun again"; }
grep -q "15 done already; rank 0 of 2 (MPI) computes 0 " "$work/again.out" || { cat "$work/again.out"; fail "recomputed"; }
grep -q "every item is merged into $work/mpi-float64.h5" "$work/again.out" || fail "merged twice"
[ "$("$python" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['runs']))" "$work/mpi-float64.h5")" -eq 3 ] \
  || fail "the target does not hold 3 runs"
echo "PASS"
