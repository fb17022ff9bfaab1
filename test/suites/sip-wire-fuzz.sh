#!/usr/bin/env bash
# Runs the SIP edge fuzz harnesses (test/fuzz/sip-*.test.ts) with a fresh seed, through tap,
# and prints the "N passed, N failed" summary the project test runner reads.
set -uo pipefail
cd "$(dirname "$0")/../.."
seed=${SG_FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}
echo "sip fuzz seed $seed"
out=$(SG_FUZZ_SEED=$seed npx tap --reporter=tap --node-arg=--expose-gc test/fuzz/sip-*.test.ts 2>&1); rc=$?
grep -E '^(not ok|ok) [0-9]+ - |seed' <<<"$out"
sum=$(grep -E '^# \{ total: ' <<<"$out" | tail -1)
p=$(grep -oE 'pass: [0-9]+' <<<"$sum" | grep -oE '[0-9]+' || echo 0)
f=$(grep -oE 'fail: [0-9]+' <<<"$sum" | grep -oE '[0-9]+' || echo 0)
[ -n "$sum" ] || { echo "$out" | tail -40; p=0; f=1; }
if [ "$f" -gt 0 ]; then grep -B2 -A30 -E '^\s*not ok' <<<"$out" | head -150; fi
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
