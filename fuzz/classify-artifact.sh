#!/usr/bin/env bash
# Replays one recorded fuzz input and prints its verdict (run-fuzzers.sh runs it per artifact, in
# parallel): "library FUNCTION" when the first frames up to one of ours enter libhdf5, "ours PATH"
# for any other crash, hang or sanitizer report, nothing when it no longer fails.
#   classify-artifact.sh FUZZER TIMEOUT ARTIFACT
fuzzer=$1 timeout=$2 artifact=$3
replay=$(timeout 60 "$fuzzer" -timeout="$timeout" -rss_limit_mb=4096 -malloc_limit_mb=1024 "$artifact" 2>&1 || true)
# The frames up to the first one in our sources: the library's if libhdf5 is among them.
frames=$(grep -E '^ +#[0-9]+ ' <<<"$replay" | sed -nE '1,/\/(core|app|fuzz)\//p')
if grep -q libhdf5 <<<"$frames"; then
  echo "library $(grep -m1 -oE 'in H5[A-Za-z0-9_]+' <<<"$frames" | cut -d' ' -f2)"
elif grep -qE 'ERROR|runtime error|deadly signal|timeout|out-of-memory' <<<"$replay"; then
  echo "ours $artifact"
fi
