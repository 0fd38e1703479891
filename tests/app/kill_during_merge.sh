#!/usr/bin/env bash
# kill -9 at random moments of `merge` (the companion of kill_during_save): the target is always
# the old session or the merged one, never a damaged one, and passes `info --check`; a merge run
# to the end after the kills adds every run once.
# usage: kill_during_merge.sh PATH/TO/shellscope-cli [TRIALS] [PYTHON3]
set -u
cli=$1
trials=${2:-40}
python=${3:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
runs_in() { "$python" -c "import h5py,sys; print(len(h5py.File(sys.argv[1],'r')['runs']))" "$1"; }

# The old target: one ordinary run. The campaign: two models x 40 batches in two shards' parts.
"$cli" compute --model builtin:mlp --batches 1 --batch-size 2 --seq-len 16 --lanczos-steps 8 --out "$work/old.h5" \
  >/dev/null 2>&1 || fail "old target"
campaign=(--model builtin:mlp --model builtin:tiny-lm --batches 40 --batch-size 2 --seq-len 16 --lanczos-steps 8 --threads 1)
for k in 0 1; do
  "$cli" compute "${campaign[@]}" --shard $k/2 --no-merge --out "$work/t.h5" >/dev/null 2>&1 || fail "shard $k"
done
parts=("$work"/t.h5.part-*.h5)
[ ${#parts[@]} -eq 2 ] || fail "expected two partial sessions"

cp "$work/old.h5" "$work/t.h5"
start=$(date +%s%N)
"$cli" merge "${parts[@]}" --out "$work/t.h5" >/dev/null || fail "merge"
merge_ms=$(( ($(date +%s%N) - start) / 1000000 + 20 ))
[ "$(runs_in "$work/t.h5")" -eq 3 ] || fail "the merge did not add two runs"

killed=0 finished=0
for trial in $(seq 1 "$trials"); do
  cp "$work/old.h5" "$work/t.h5"
  "$cli" merge "${parts[@]}" --out "$work/t.h5" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '0.%03d' $((RANDOM % merge_ms)))" 2>/dev/null || sleep 0
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
  wait "$pid" 2>/dev/null
  "$cli" info --check "$work/t.h5" >"$work/check.out" 2>&1 || { cat "$work/check.out"; fail "trial $trial: damaged target"; }
  runs=$(runs_in "$work/t.h5")
  [ "$runs" -eq 1 ] || [ "$runs" -eq 3 ] || fail "trial $trial: $runs runs, neither the old (1) nor the merged (3) session"
  # A merge after the kill completes the job: each run once.
  "$cli" merge "${parts[@]}" --out "$work/t.h5" >/dev/null || fail "trial $trial: merge after the kill"
  [ "$(runs_in "$work/t.h5")" -eq 3 ] || fail "trial $trial: runs added twice or lost"
done
[ "$killed" -gt 0 ] || fail "no merge was killed midway (merge takes ${merge_ms} ms here)"
echo "$trials trials (merge killed within ${merge_ms} ms): $killed killed mid-merge, $finished finished first; the target was the old or the merged session and checked clean every time"
echo "PASS"
