#!/usr/bin/env bash
# kill -9 at random moments of a save: the session file is always the old one or the new one,
# never a damaged one, and it opens (info: checksum and meaning checks of every run). Saves through
# analyze (an edit of /analysis) and through compute (appending a run), killed after a random delay
# spread over the length of the command.
# usage: kill_during_save.sh PATH/TO/shellscope-cli [TRIALS]
set -u
cli=$1
trials=${2:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$cli" compute --model builtin:mlp --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 8 --out "$work/s.h5" >/dev/null 2>&1 \
  || fail "compute"
"$cli" compute --model builtin:mlp --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 8 --seed 2 --out "$work/s.h5" \
  >/dev/null 2>&1 || fail "second compute"

# How long each command takes here, to spread the kills over it.
start=$(date +%s%N)
"$cli" analyze "$work/s.h5" --bootstrap 40 --no-write >/dev/null 2>&1
analyze_ms=$(( ($(date +%s%N) - start) / 1000000 + 20 ))
start=$(date +%s%N)
"$cli" compute --model builtin:mlp --batches 1 --batch-size 2 --seq-len 16 --lanczos-steps 8 --out "$work/timing.h5" >/dev/null 2>&1
compute_ms=$(( ($(date +%s%N) - start) / 1000000 + 20 ))

runs_before=$("$cli" info "$work/s.h5" | grep -c '^run-')
killed=0 finished=0
for trial in $(seq 1 "$trials"); do
  if [ $((trial % 5)) -eq 0 ]; then
    "$cli" compute --model builtin:mlp --batches 1 --batch-size 2 --seq-len 16 --lanczos-steps 8 --seed "$trial" \
      --out "$work/s.h5" >/dev/null 2>&1 &
    limit=$compute_ms
  else
    "$cli" analyze "$work/s.h5" --bootstrap 40 >/dev/null 2>&1 &
    limit=$analyze_ms
  fi
  pid=$!
  delay=$(( RANDOM % limit ))
  sleep "$(printf '0.%03d' "$delay")" 2>/dev/null || sleep 0
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
  wait "$pid" 2>/dev/null
  # info reads every run with the checksum and the meaning checks: one call checks and counts.
  "$cli" info "$work/s.h5" >"$work/check.out" 2>&1 || { cat "$work/check.out"; fail "trial $trial: the session is damaged"; }
  runs=$(grep -c '^run-' "$work/check.out")
  [ "$runs" -ge "$runs_before" ] || fail "trial $trial: runs went from $runs_before to $runs"
  runs_before=$runs
done
echo "$trials trials (analyze killed within ${analyze_ms} ms, compute within ${compute_ms} ms): $killed killed mid-command, $finished finished first; the session opened and checked clean after every one"
echo "PASS"
