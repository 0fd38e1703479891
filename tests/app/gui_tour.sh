#!/usr/bin/env bash
# The desktop application end to end, offscreen: a session computed by the command line opens in
# `shellscope --screenshots`, which visits every view and dialog (drags a zoom rectangle, hovers,
# starts and cancels compute jobs, switches to the dark palette) and writes one PNG per stop. The
# session is the one packaging/test-deb.sh uses (one small run), whose peak sits near the top of
# the axes: a zoom drag there once pressed outside the widget and crashed Qt Charts.
# usage: gui_tour.sh PATH/TO/shellscope-cli PATH/TO/shellscope
set -u
cli=$1
gui=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export XDG_CONFIG_HOME="$work/config"  # the window's settings and recent files stay in here
export QT_QPA_PLATFORM=offscreen

"$cli" compute --model builtin:tiny-lm --batches 2 --batch-size 2 --seq-len 32 \
  --lanczos-steps 16 --out "$work/session.h5" >/dev/null || fail "compute the session"
# A small lab run with held-out points, so the Lab and Generalisation views' stops draw data (the
# Transport stop shows its empty state).
"$cli" lab run --model builtin:mlp --points 16 --held-out 16 --steps 6 --threads 2 --out "$work/session.h5" >/dev/null 2>&1 \
  || fail "add a lab run"
timeout 300 "$gui" --screenshots "$work/shots" "$work/session.h5" >"$work/tour.out" 2>&1 \
  || { cat "$work/tour.out"; fail "the screenshot tour did not finish (status $?)"; }
expected="welcome profile profile-fits profile-zoom cursors animation overlay trends lab transport generalisation lab-run-dialog export-dialog compute-dialog jobs dark"
for name in $expected; do
  shot="$work/shots/$name.png"
  [ -s "$shot" ] || fail "no screenshot $name.png"
  # A drawn window, not an empty image: PNG files of these views are tens of kilobytes.
  [ "$(stat -c %s "$shot")" -gt 10000 ] || fail "$name.png is only $(stat -c %s "$shot") bytes"
done
echo "PASS: $(echo $expected | wc -w) screenshots"
