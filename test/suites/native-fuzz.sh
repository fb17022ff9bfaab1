#!/usr/bin/env bash
# Runs each libFuzzer harness in native/fuzz/ briefly (FUZZ_SECONDS each, default 8) over a
# scratch copy of its seed corpus. A target passes when it finds no crash, leak or sanitizer
# error. Longer runs by hand:
#   make -C native fuzz && native/build/fuzz/fuzz_rtp -max_total_time=600 native/fuzz/corpus/rtp
set -uo pipefail
cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-8}
pass=0
fail=0
if ! make -s -C native fuzz >/tmp/spangate-fuzz-build.log 2>&1; then
  cat /tmp/spangate-fuzz-build.log
  echo "0 passed, 1 failed"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bin in native/build/fuzz/fuzz_*; do
  name=${bin##*/fuzz_}
  mkdir -p "$work/$name"
  cp native/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null || true
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -artifact_prefix="$work/" \
      "$work/$name" >"$work/$name.log" 2>&1; then
    runs=$(grep -oE 'Done [0-9]+ runs' "$work/$name.log" | tail -1)
    echo "ok fuzz_$name ($runs in ${secs}s)"
    pass=$((pass + 1))
  else
    echo "not ok fuzz_$name"
    tail -40 "$work/$name.log"
    ls "$work"/crash-* "$work"/leak-* 2>/dev/null | head -3
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
