#!/usr/bin/env bash
# Strong scaling of one campaign on this machine (a benchmark, not a ctest): the same items in one
# process (1 thread), under mpirun -n 2 (1 thread per rank) and in one process with 2 threads;
# wall time, parallel efficiency T1 / (2 T2), and the per-item seconds the merged runs record.
# usage: tests/bench/campaign_scaling.sh [build/bin/shellscope-cli] [MODEL] [BATCHES]
set -eu
cli=${1:-build/bin/shellscope-cli}
model=${2:-builtin:base-lm}
batches=${3:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
items=(--model "$model" --batches "$batches" --batch-size 4 --seq-len 128 --lanczos-steps 32)
seconds() { local start=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $start" | bc; }
per_item() { /usr/bin/python3 -c "
import h5py, sys, numpy as np
with h5py.File(sys.argv[1], 'r') as f:
    s = np.concatenate([f['runs'][r]['batch_seconds'][()] for r in f['runs']])
print(f'{s.mean():.2f}')" "$1"; }

t1=$(seconds "$cli" compute "${items[@]}" --threads 1 --resume --out "$work/one.h5")
t2=$(seconds mpirun -n 2 --oversubscribe --bind-to none "$cli" compute "${items[@]}" --threads 1 --out "$work/two.h5")
tt=$(seconds "$cli" compute "${items[@]}" --threads 2 --out "$work/threads.h5")
echo "campaign: $model, $batches items of 4 x 128 tokens, m = 32, on $(nproc) cores"
printf "%-34s %8s %10s %14s\n" "" "wall s" "efficiency" "s per item"
printf "%-34s %8.1f %10s %14s\n" "1 rank, 1 thread" "$t1" "-" "$(per_item "$work/one.h5")"
printf "%-34s %8.1f %10.2f %14s\n" "2 ranks (mpirun), 1 thread each" "$t2" "$(echo "$t1 / (2 * $t2)" | bc -l)" "$(per_item "$work/two.h5")"
printf "%-34s %8.1f %10.2f %14s\n" "1 process, 2 threads" "$tt" "$(echo "$t1 / (2 * $tt)" | bc -l)" "$(per_item "$work/threads.h5")"
