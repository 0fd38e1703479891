#!/usr/bin/env bash
# Runs the libFuzzer targets of a fuzz build (cmake -DSHELLSCOPE_BUILD_FUZZERS=ON, clang).
#
#   fuzz/run-fuzzers.sh [--build DIR] [--seconds S | --runs N] [--jobs J] [--seeds-only] [TARGET...]
#
# Each target runs on its seeds (made by shellscope-fuzz-seeds into DIR/fuzz-seeds/, never
# committed), the inputs earlier runs in DIR found (DIR/fuzz-corpus/<target>/, where new finds go)
# and the committed regression inputs (fuzz/regressions/<target>/: inputs that once crashed a
# reader). A crash, hang (10 s; 2 s for sessions), sanitizer report, out-of-memory (4 GiB) or an allocation of more than
# 1 GiB (from an input of at most 64 KiB) fails the run and leaves
# the input in DIR/fuzz-artifacts/; copy it into fuzz/regressions/<target>/ with the fix.
# Without TARGET every target runs, J at a time (default 1). Prints one line of figures per target.
#
# The session target reaches libhdf5, which is not hardened against malformed files: it runs in
# libFuzzer's fork mode, and every crash or hang is replayed and classified. One whose stack enters
# libhdf5 before any frame of ours is the library's (counted and listed by function, not a failure
# of the run: the checksum and the child-process check contain those); any other fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=build-sanitize seconds=30 runs="" jobs=1 seeds_only=0 targets=()
while (($#)); do
  case "$1" in
    --build) build=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --seeds-only) seeds_only=1 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    -*) echo "run-fuzzers: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
build=$(cd "$build" && pwd)
if ((${#targets[@]} == 0)); then
  targets=(safetensors shard_index unpickler torch_bin config_json mmididx mmididx_shards npy raw_tokens tokenizer_json
           tokenizer_text session)
fi
# Leaks are not findings here: LibTorch and HDF5 keep per-process state that LeakSanitizer cannot
# tell from a leak; memory that grows per input is caught by -rss_limit_mb instead.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

seeds=$build/fuzz-seeds
if [ ! -d "$seeds" ]; then
  "$build/bin/shellscope-fuzz-seeds" "$seeds.partial" >/dev/null
  mv "$seeds.partial" "$seeds"
fi
((seeds_only)) && { echo "run-fuzzers: seeds in $seeds"; exit 0; }

max_len() {
  case "$1" in
    session|safetensors|torch_bin) echo 65536 ;;
    *) echo 16384 ;;
  esac
}

run_one() {
  local target=$1 corpus=$build/fuzz-corpus/$1 log=$build/fuzz-logs/$1.log
  mkdir -p "$corpus" "$seeds/$target" "$build/fuzz-artifacts" "$build/fuzz-logs"
  local limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  local dirs=("$corpus" "$seeds/$target")
  [ -d "$here/regressions/$target" ] && dirs+=("$here/regressions/$target")
  local start=$SECONDS status=0 artifacts=$build/fuzz-artifacts/$target mode=() timeout=10
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  if [ "$target" = session ]; then
    mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    limit=(-max_total_time="${seconds}")  # fork mode: time only (--runs is not used)
    # A sound 64 KiB session parses in milliseconds; libhdf5 loops forever on some damaged ones,
    # and every such input would otherwise cost the fuzzer 10 s.
    timeout=2
  fi
  "$build/bin/fuzz_$target" "${limit[@]}" "${mode[@]}" -max_len="$(max_len "$target")" -timeout=$timeout \
      -rss_limit_mb=4096 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1 || status=$?
  local execs rate library=0 ours=0 functions=""
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if ((${#mode[@]})); then
    # Fork mode: totals from the last status line ("#N: cov: ... exec/s: R ...").
    execs=$(grep -oE '^#[0-9]+:' "$log" | tail -1 | tr -d '#:')
    rate=$(grep -oE 'exec/s:? [0-9]+' "$log" | tail -1 | awk '{print $2}')
    status=0
    # Every recorded input replayed and classified, one per core at a time (a long campaign leaves
    # hundreds): "library FUNCTION", "ours", or nothing when it no longer fails.
    local verdicts=$build/fuzz-logs/$target.verdicts
    find "$artifacts" -maxdepth 1 -type f -print0 |
      xargs -0 -r -n 1 -P "$(nproc)" bash "$here/classify-artifact.sh" "$build/bin/fuzz_$target" "$timeout" >"$verdicts"
    library=$(grep -c '^library ' "$verdicts" || true)
    ours=$(grep -c '^ours ' "$verdicts" || true)
    functions=$(sed -n 's/^library //p' "$verdicts" | tr '\n' ' ')
    if ((ours)); then
      status=1
      while read -r _ artifact; do
        echo "fuzz_$target: $artifact is a finding in our code:" >&2
        timeout 60 "$build/bin/fuzz_$target" -timeout=$timeout "$artifact" 2>&1 |
          grep -m1 -A25 -E "ERROR: |runtime error|deadly signal|timeout" >&2 || true
      done < <(grep '^ours ' "$verdicts")
    fi
  fi
  if ((status)); then
    echo "fuzz_$target: FAILED (exit $status) after $((SECONDS - start)) s; log $log" >&2
    ((${#mode[@]})) || grep -m1 -A25 -E "ERROR: |runtime error|deadly signal|timeout|out-of-memory" "$log" >&2 ||
      tail -30 "$log" >&2
    return 1
  fi
  local summary=""
  if ((library)); then
    summary=", $library inputs crashed or hung inside libhdf5 ($(tr ' ' '\n' <<<"$functions" | sed '/^$/d' | sort |
      uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}'))"
  fi
  echo "fuzz_$target: ${execs:-?} executions in $((SECONDS - start)) s (${rate:-?}/s), corpus $(ls "$corpus" | wc -l) inputs$summary"
}

failed=0
if ((jobs <= 1)); then
  for t in "${targets[@]}"; do run_one "$t" || failed=1; done
else
  pids=()
  for t in "${targets[@]}"; do
    while (($(jobs -rp | wc -l) >= jobs)); do wait -n || failed=1; done
    run_one "$t" &
  done
  while (($(jobs -rp | wc -l))); do wait -n || failed=1; done
fi
exit $failed
