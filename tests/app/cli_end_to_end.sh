#!/usr/bin/env bash
# shellscope-cli end to end: compute (two calls appending to one session), info, export-csv, the
# session read back by h5py, one-line errors with the right exit status, --help everywhere, and
# Ctrl-C leaving the session untouched.
# usage: cli_end_to_end.sh PATH/TO/shellscope-cli PATH/TO/check_session.py [PYTHON3]
set -u
cli=$1
checker=$2
python=${3:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- $*"; }

step "--version reports the BLAS in use"
version=$("$cli" --version) || fail "--version exited $?"
echo "$version"
grep -q "BLAS: " <<<"$version" || fail "--version does not name the BLAS"

step "compute appends runs to one session"
"$cli" compute --model builtin:mlp --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 12 \
  --out "$work/s.h5" >"$work/c1.out" 2>"$work/c1.err" || { cat "$work/c1.err"; fail "compute mlp"; }
"$cli" compute --model builtin:tiny-lm --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 12 \
  --lanczos-mode golub-kahan --dtype float64 --jvp double-backward --out "$work/s.h5" >"$work/c2.out" 2>&1 \
  || { cat "$work/c2.out"; fail "compute tiny-lm"; }
grep -q "added 1 run(s)" "$work/c2.out" || fail "compute did not report the added run"

step "info lists both runs and a profile"
"$cli" info "$work/s.h5" --run run-0002 >"$work/info.out" || fail "info exited $?"
cat "$work/info.out"
grep -q "run-0001 *mlp" "$work/info.out" || fail "info misses run-0001"
grep -q "run-0002 *tiny-lm" "$work/info.out" || fail "info misses run-0002"
grep -q "underflow" "$work/info.out" || fail "info --run printed no profile"

step "compute --recompute-activations: the same session numbers, recorded in the run"
for mode in kept recomputed; do
  flag=""; [ "$mode" = recomputed ] && flag="--recompute-activations"
  "$cli" compute --model builtin:tiny-lm --batches 2 --batch-size 2 --seq-len 16 --lanczos-steps 12 --dtype float64 \
    --threads 1 $flag --out "$work/$mode.h5" >"$work/$mode.out" 2>&1 || { cat "$work/$mode.out"; fail "compute $mode"; }
done
"$cli" info "$work/recomputed.h5" --run run-0001 | grep -q "activations recomputed" || fail "info --run: not recomputed"
"$cli" info "$work/kept.h5" --run run-0001 | grep -q "activations kept" || fail "info --run: not kept"
for mode in kept recomputed; do "$cli" export-csv "$work/$mode.h5" --out "$work/csv-$mode" >/dev/null || fail "export-csv $mode"; done
for table in batches ritz shells; do
  cmp -s "$work/csv-kept/run-0001.$table.csv" "$work/csv-recomputed/run-0001.$table.csv" \
    || fail "recomputed activations changed run-0001.$table.csv"
done
if "$python" -c "import h5py" 2>/dev/null; then
  "$python" "$(dirname "$checker")/compare_sessions.py" "$work/kept.h5" "$work/recomputed.h5" \
    || fail "recomputed activations changed the session's numbers"
  "$python" -c "import h5py, sys; f = h5py.File(sys.argv[1]); r = f['runs/run-0001'].attrs; sys.exit(int(r['recompute_activations']) != 1)" \
    "$work/recomputed.h5" || fail "recompute_activations attribute"
fi

step "another program (h5py) reads every field"
if "$python" -c "import h5py" 2>/dev/null; then
  "$python" "$checker" "$work/s.h5" 2 || fail "h5py check"
else
  echo "SKIP: python3-h5py is not installed"
fi

step "export-csv writes the tables"
"$cli" export-csv "$work/s.h5" --out "$work/csv" >/dev/null || fail "export-csv exited $?"
for file in runs.csv run-0001.shells.csv run-0001.batches.csv run-0001.ritz.csv run-0002.shells.csv; do
  [ -s "$work/csv/$file" ] || fail "export-csv did not write $file"
done
[ "$(wc -l <"$work/csv/runs.csv")" -eq 3 ] || fail "runs.csv should have a header and 2 rows"
[ "$(wc -l <"$work/csv/run-0001.batches.csv")" -eq 3 ] || fail "batches.csv should have a header and 2 rows"

step "errors: one line, non-zero status"
expect_error() {  # expected-status pattern command...
  local status=$1 pattern=$2
  shift 2
  "$@" >"$work/err.out" 2>"$work/err.err"
  local got=$?
  [ "$got" -eq "$status" ] || { cat "$work/err.err"; fail "'$*' exited $got, expected $status"; }
  [ "$(wc -l <"$work/err.err")" -eq 1 ] || { cat "$work/err.err"; fail "'$*' printed more than one line"; }
  grep -q -- "$pattern" "$work/err.err" || { cat "$work/err.err"; fail "'$*': message lacks '$pattern'"; }
}
expect_error 2 "unknown option --batchez" "$cli" compute --model builtin:mlp --batchez 3 --out "$work/x.h5"
expect_error 2 "unknown command 'frobnicate'" "$cli" frobnicate
expect_error 2 "needs --out" "$cli" compute --model builtin:mlp
expect_error 2 "expects an integer" "$cli" compute --model builtin:mlp --batches many --out "$work/x.h5"
expect_error 2 "unknown Lanczos mode 'fast'" "$cli" compute --model builtin:mlp --lanczos-mode fast --out "$work/x.h5"
# Core names the setting (lanczos_steps); the CLI says it with its option.
head -c 400 /dev/zero >"$work/tokens.i32"
expect_error 2 "^shellscope-cli: --lanczos-steps must be at least 1$" "$cli" compute --model builtin:mlp --lanczos-steps 0 \
  --out "$work/x.h5"
expect_error 2 "^shellscope-cli: --seq-len is 4096, longer than the context of builtin:tiny-lm (2048 tokens)$" \
  "$cli" compute --model builtin:tiny-lm --data "$work/tokens.i32" --seq-len 4096 --batches 1 --out "$work/x.h5"
expect_error 1 "unknown built-in model" "$cli" compute --model builtin:gpt5 --out "$work/x.h5"
echo "not a session" >"$work/text.h5"
expect_error 1 "$work/text.h5: not an HDF5 file" "$cli" info "$work/text.h5"
expect_error 1 "no such file" "$cli" info "$work/missing.h5"
head -c 3000 "$work/s.h5" >"$work/truncated.h5"
expect_error 1 "$work/truncated.h5" "$cli" info "$work/truncated.h5"
expect_error 1 "not an HDF5 file" "$cli" compute --model builtin:mlp --batches 1 --out "$work/text.h5"
[ ! -e "$work/x.h5" ] || fail "a failed compute created a session file"
"$cli" info "$work/s.h5" --check >"$work/check.out" || { cat "$work/check.out"; fail "info --check on a sound session"; }
grep -q "no problems found" "$work/check.out" || fail "info --check did not say the session is sound"
expect_error 1 "$work/text.h5: not an HDF5 file" "$cli" info "$work/text.h5"
# Special files are refused at once (a FIFO once made every reader wait for a writer forever).
mkfifo "$work/fifo.h5" "$work/fifo.i32" "$work/tokenizer-fifo.json"
expect_error 1 "$work/fifo.h5: not a regular file" timeout 20 "$cli" info "$work/fifo.h5"
expect_error 1 "$work/fifo.i32: not a regular file (a FIFO)" timeout 20 \
  "$cli" compute --model builtin:tiny-lm --data "$work/fifo.i32" --batches 1 --out "$work/x.h5"
expect_error 1 "$work/tokenizer-fifo.json: not a regular file (a FIFO)" timeout 20 \
  "$cli" tokenize --tokenizer "$work/tokenizer-fifo.json" --input "$work/text.h5" --out "$work/x.npy"
[ ! -e "$work/x.h5" ] || fail "a compute on a FIFO created a session file"
tokenizer_small="$(dirname "$checker")/../testdata/tokenizer_small.json"
printf 'fine text\nthen \xff here\n' >"$work/latin.txt"
expect_error 1 "$work/latin.txt: not UTF-8: an invalid byte sequence (starting 0xFF) at byte 15" \
  "$cli" tokenize --tokenizer "$tokenizer_small" --input "$work/latin.txt" --out "$work/x.npy"

step "a damaged file without a checksum: libhdf5 crashes in a checker child, not in the command"
# An older (unsealed) session whose global heap claims a 1 TiB string: libhdf5 copies that much.
"$python" - "$work/s.h5" "$work/unsealed-damaged.h5" <<'PY' || fail "could not build the damaged file"
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
heap = b.find(b'GCOL')
assert heap > 0, 'no global heap collection'
b[heap + 16 + 8:heap + 16 + 16] = struct.pack('<Q', 1 << 40)  # the first object's size
b[0:512] = bytes(512)  # no checksum, as in a session written before checksums
open(sys.argv[2], 'wb').write(b)
PY
SHELLSCOPE_SESSION_CHECKER_CHILD=1 "$cli" info "$work/unsealed-damaged.h5" >/dev/null 2>&1
direct=$?
if [ "$direct" -ge 128 ]; then
  expect_error 1 "unsealed-damaged.h5: the HDF5 library crashed reading it (signal $((direct - 128))" \
    "$cli" info "$work/unsealed-damaged.h5"
  expect_error 1 "the HDF5 library crashed" "$cli" analyze "$work/unsealed-damaged.h5"
else
  echo "SKIP: this libhdf5 did not crash on the damaged heap (exit $direct); containment not exercised"
fi

step "--help on every command"
for command in compute info export-csv bench bench-analysis bench-quadrature demo; do
  "$cli" "$command" --help >"$work/help.out" || fail "$command --help exited $?"
  grep -q "usage: shellscope-cli $command" "$work/help.out" || fail "$command --help has no usage line"
done

step "bench-quadrature: the bounds hold and m = n is exact"
"$cli" bench-quadrature --batch-sizes 1 --seq-len 32 --steps 8,32 >"$work/bq.out" 2>/dev/null || fail "bench-quadrature exited $?"
cat "$work/bq.out"
grep -Eq "^ +32 +32 +- \| +([0-9]+)/\1 +0\.0000 \| +([0-9]+)/\2 +0\.0000 .*\| +yes +0\.000 \| +0\.000 +0\.000$" "$work/bq.out" \
  || fail "at m = n the quadrature is not exact"
grep -q " NO " "$work/bq.out" && fail "an exact energy fell outside its Gauss-Radau bounds"
expect_error 2 "--steps: 'x' is not a number" "$cli" bench-quadrature --steps 8,x

step "Ctrl-C cancels cleanly and leaves the session untouched"
before=$(md5sum <"$work/s.h5")
"$cli" compute --model builtin:base-lm --batches 50 --lanczos-steps 200 --out "$work/s.h5" 2>"$work/cancel.err" &
pid=$!
for _ in $(seq 1 300); do  # wait until the computation reports progress
  grep -q "Lanczos step" "$work/cancel.err" 2>/dev/null && break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
status=$?
cat "$work/cancel.err" | tr '\r' '\n' | tail -2
[ "$status" -eq 130 ] || fail "cancelled compute exited $status, expected 130"
grep -q "was not modified" "$work/cancel.err" || fail "cancel message missing"
[ "$(md5sum <"$work/s.h5")" = "$before" ] || fail "the session changed after a cancelled compute"
ls -a "$work" | grep -q "\.tmp-" && fail "a temporary file was left behind"

echo "PASS"
