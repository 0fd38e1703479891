#!/usr/bin/env bash
# Campaigns without MPI: a 3-way --shard run with one shard killed (kill -9) midway and resumed
# (it computes only its missing items), ranks from OMPI_COMM_WORLD_* and SLURM_* variables, the
# merged sessions compared bit for bit (float32 and float64, by h5py) with one process's, info's
# progress with a failed checkpoint's error, and clear errors for bad parts and options.
# usage: cli_campaign.sh PATH/TO/shellscope-cli PYTHON3 COMPARE_SESSIONS.py
set -u
cli=$1
python=$2
compare=$3
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }
items_in() { "$python" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['runs']))" "$1" 2>/dev/null || echo 0; }

step "fixtures: a series of two checkpoints and token data"
"$cli" init-checkpoint --shape tiny-lm --out "$work/series/step0" --seed 1 >/dev/null || fail "init step0"
"$cli" init-checkpoint --shape tiny-lm --out "$work/series/step1000" --seed 2 >/dev/null || fail "init step1000"
"$python" -c "
import numpy as np
np.save('$work/tokens.npy', np.random.default_rng(0).integers(0, 64, size=(64, 65)).astype(np.int32))" \
  || fail "numpy"
common=(--model "$work/series" --data "$work/tokens.npy" --batches 6 --batch-size 2 --seq-len 64 --lanczos-steps 24 --threads 1)

step "one process: the reference sessions"
"$cli" compute "${common[@]}" --dtype float32 --out "$work/one32.h5" >/dev/null || fail "compute float32"
"$cli" compute "${common[@]}" --dtype float64 --out "$work/one64.h5" >/dev/null || fail "compute float64"

step "--shard 0/3 and 2/3 run through; 1/3 is killed after its first item"
"$cli" compute "${common[@]}" --dtype float32 --shard 0/3 --out "$work/s32.h5" >"$work/shard0.out" || fail "shard 0"
cat "$work/shard0.out"
grep -q "12 items (2 checkpoint(s) x 6 batches), 0 done already; rank 0 of 3 (--shard) computes 4" "$work/shard0.out" \
  || fail "shard 0 did not take a third of the items"
grep -q "the last shard to finish merges" "$work/shard0.out" || fail "shard 0 did not wait for the others"
"$cli" compute "${common[@]}" --dtype float32 --shard 2/3 --out "$work/s32.h5" >/dev/null || fail "shard 2"
part1=$(ls "$work"/s32.h5.part-*-1of3.h5 2>/dev/null)
# At the lowest priority, so that the poll below (an h5py process each time) sees its first item
# before it has done all four on a busy machine.
nice -n 19 "$cli" compute "${common[@]}" --dtype float32 --shard 1/3 --out "$work/s32.h5" >/dev/null 2>&1 &
pid=$!
# Each item is saved by replacing the partial session (a new inode): the kill follows the first
# replacement after the part appeared, checked with stat (a millisecond), not with h5py.
first_inode=""
for _ in $(seq 1 30000); do
  part1=$(ls "$work"/s32.h5.part-*-1of3.h5 2>/dev/null)
  if [ -n "$part1" ]; then
    inode=$(stat -c %i "$part1" 2>/dev/null)
    [ -z "$first_inode" ] && first_inode=$inode
    [ -n "$inode" ] && [ "$inode" != "$first_inode" ] && break
  fi
  sleep 0.002
done
kill -9 "$pid" 2>/dev/null || fail "shard 1 finished before it could be killed"
wait "$pid" 2>/dev/null
done1=$(items_in "$part1")
[ "$done1" -ge 1 ] && [ "$done1" -lt 4 ] || fail "shard 1 holds $done1 items after the kill (expected 1..3)"
[ ! -e "$work/s32.h5" ] || fail "a target was merged from an incomplete campaign"
"$cli" info --check "$part1" >/dev/null || fail "the killed shard's partial session is damaged"

step "info shows the campaign's progress before the target exists"
"$cli" info "$work/s32.h5" >"$work/progress.out" || { cat "$work/progress.out"; fail "info on a campaign"; }
cat "$work/progress.out"
grep -q "$((8 + done1)) of 12 items done (0 merged), $((4 - done1)) missing, 0 failed" "$work/progress.out" \
  || fail "progress counts"

step "the killed shard resumes: only its missing items, then the merge"
"$cli" compute "${common[@]}" --dtype float32 --shard 1/3 --out "$work/s32.h5" >"$work/resume.out" || fail "resume"
cat "$work/resume.out"
grep -q "$((8 + done1)) done already; rank 1 of 3 (--shard) computes $((4 - done1)) " "$work/resume.out" \
  || fail "the resumed shard did not compute just its missing items"
[ "$(items_in "$part1")" -eq 4 ] || fail "shard 1 holds $(items_in "$part1") items, not 4: something was computed twice"
grep -q "2 run(s) added" "$work/resume.out" || fail "the last shard did not merge"
"$python" "$compare" "$work/one32.h5" "$work/s32.h5" --provenance 3 || fail "float32: shards + merge differ from one process"
"$cli" info --check "$work/s32.h5" >/dev/null || fail "merged session has problems"

step "rerun and merge by hand: nothing is computed or added twice"
"$cli" compute "${common[@]}" --dtype float32 --shard 0/3 --out "$work/s32.h5" >"$work/rerun.out" || fail "rerun"
grep -q "12 done already; rank 0 of 3 (--shard) computes 0 " "$work/rerun.out" || { cat "$work/rerun.out"; fail "rerun computed"; }
"$cli" merge "$work"/s32.h5.part-*.h5 --out "$work/s32.h5" >"$work/merge.out" || fail "merge by hand"
grep -q "0 run(s) added, 2 checkpoint(s) already there" "$work/merge.out" || { cat "$work/merge.out"; fail "merge again"; }
[ "$(items_in "$work/s32.h5")" -eq 2 ] || fail "the target does not hold 2 runs"
rm "$work"/s32.h5.part-*.h5
"$cli" compute "${common[@]}" --dtype float32 --shard 2/3 --out "$work/s32.h5" >"$work/gone.out" || fail "rerun without parts"
grep -q "12 done already; rank 2 of 3 (--shard) computes 0 " "$work/gone.out" || { cat "$work/gone.out"; fail "the target's runs were not counted"; }
[ "$(items_in "$work/s32.h5")" -eq 2 ] || fail "the target changed"

step "ranks from OMPI_COMM_WORLD_RANK/SIZE (float64), two processes at once"
for r in 0 1; do
  OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_LOCAL_RANK=$r \
    "$cli" compute "${common[@]}" --dtype float64 --out "$work/e64.h5" >"$work/ompi$r.out" 2>&1 &
done
wait || fail "a rank failed"
cat "$work/ompi0.out" "$work/ompi1.out" | grep -q "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE" || fail "ranks not from OMPI_*"
"$python" "$compare" "$work/one64.h5" "$work/e64.h5" --provenance 2 || fail "float64: ranks + merge differ from one process"

step "ranks from SLURM_PROCID/SLURM_NTASKS (float32)"
for r in 0 1; do
  SLURM_PROCID=$r SLURM_NTASKS=2 SLURM_LOCALID=0 \
    "$cli" compute "${common[@]}" --dtype float32 --out "$work/slurm.h5" >"$work/slurm$r.out" 2>&1 &
done
wait || fail "a Slurm rank failed"
grep -q "rank 1 of 2 (SLURM_PROCID/SLURM_NTASKS) computes 6 " "$work/slurm1.out" || { cat "$work/slurm1.out"; fail "Slurm ranks"; }
"$python" "$compare" "$work/one32.h5" "$work/slurm.h5" --provenance 2 || fail "Slurm ranks differ from one process"

step "a checkpoint that fails: its items are recorded with the error, the rest resumes later"
"$cli" init-checkpoint --shape tiny-lm --out "$work/bad/step0" --seed 1 >/dev/null || fail "init bad/step0"
"$cli" init-checkpoint --shape tiny-lm --out "$work/bad/step1000" --layout safetensors --seed 2 >/dev/null || fail "init bad"
size=$(stat -c %s "$work/bad/step1000/model.safetensors")
head -c $((size - 100)) "$work/bad/step1000/model.safetensors" >"$work/cut" && mv "$work/cut" "$work/bad/step1000/model.safetensors"
badrun=(--model "$work/bad" --data "$work/tokens.npy" --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 8 --threads 1)
"$cli" compute "${badrun[@]}" --resume --out "$work/bad.h5" >"$work/bad.out" 2>&1 && fail "a failed item gave exit status 0"
"$cli" info "$work/bad.h5" >"$work/badinfo.out" || fail "info on the failed campaign"
cat "$work/badinfo.out"
grep -q "2 of 4 items done (0 merged), 2 missing, 2 failed" "$work/badinfo.out" || fail "failed counts"
grep -q "failed: .*step1000 batch 1 (rank 0 on .*): .*model.safetensors: .*truncated" "$work/badinfo.out" \
  || fail "the failure's error is not shown"
"$cli" init-checkpoint --shape tiny-lm --out "$work/bad/step1000" --layout safetensors --seed 2 >/dev/null || fail "repair"
"$cli" compute "${badrun[@]}" --resume --out "$work/bad.h5" >"$work/repaired.out" || { cat "$work/repaired.out"; fail "resume"; }
grep -q "2 done already; rank 0 of 1 (one process) computes 2 " "$work/repaired.out" || { cat "$work/repaired.out"; fail "repaired"; }
"$cli" info "$work/bad.h5" | grep -q "4 of 4 items done (4 merged), 0 missing, 0 failed" || fail "not all merged"

step "bad input: one line naming the file or the option"
"$cli" merge "$work/one32.h5" --out "$work/x.h5" 2>"$work/e1" && fail "an ordinary session was merged as a part"
grep -q "$work/one32.h5: not a partial session of a campaign" "$work/e1" || { cat "$work/e1"; fail "message"; }
"$cli" merge "$work/s32.h5" --out "$work/s32.h5" 2>"$work/e2"; [ $? -eq 2 ] || fail "merging a target into itself"
grep -q "is the target itself" "$work/e2" || { cat "$work/e2"; fail "message"; }
"$cli" compute "${common[@]}" --shard 3/3 --out "$work/y.h5" 2>"$work/e3"; [ $? -eq 2 ] || fail "--shard 3/3 accepted"
grep -q "shard: '3/3' is not K/N with 0 <= K < N" "$work/e3" || { cat "$work/e3"; fail "message"; }
"$cli" compute "${common[@]}" --device cuda:1 --shard 0/2 --out "$work/y.h5" 2>"$work/e4"; [ $? -eq 2 ] || fail "cuda:1 on a CPU build"
grep -q "\-\-device cuda" "$work/e4" || { cat "$work/e4"; fail "message"; }
OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=2 "$cli" compute "${common[@]}" --out "$work/y.h5" 2>"$work/e5"
[ $? -eq 2 ] || fail "rank 2 of 2 accepted"
grep -q "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE do not name a rank" "$work/e5" || { cat "$work/e5"; fail "message"; }
echo "PASS"
