#!/usr/bin/env bash
# Sets up, then runs the whole test suite: native C tests (plain and ASan+UBSan), the
# TypeScript type check, node-tap unit and integration tests, and every suite script in
# test/suites/ (each ends with a line "N passed, N failed"). The last line printed is the
# overall "N passed, N failed". Arguments are passed to tap as test file filters.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

PASS=0
FAIL=0
# Per checkout, so runs from several worktrees at once do not overwrite each other's logs.
LOGDIR=${SPANGATE_TEST_LOGS:-/tmp/spangate-test-logs/$(pwd | sha1sum | cut -c1-10)}
mkdir -p "$LOGDIR"

# Adds the counts from the last "N passed, N failed" line of a log; a run that printed no
# such line counts as one failure.
count_summary() {
  local name=$1 log=$2 rc=$3 line p f
  line=$(grep -E '([0-9]+) passed, ([0-9]+) failed' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "== $name: no summary (exit $rc); see $log"
    FAIL=$((FAIL + 1)); return
  fi
  p=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
  f=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/' <<<"$line")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  PASS=$((PASS + p)); FAIL=$((FAIL + f))
  echo "== $name: $p passed, $f failed"
}

echo "== native C tests"
make -s -C native test >"$LOGDIR/native.log" 2>&1; rc=$?
grep -E '^(not ok|native)|check failed|ERROR|runtime error' "$LOGDIR/native.log" || true
n_lines=$(grep -cE '^native( \(asan\+ubsan\))?: [0-9]+ passed' "$LOGDIR/native.log")
if [ "$n_lines" -lt 2 ]; then echo "== native: runner did not finish (exit $rc)"; FAIL=$((FAIL + 1)); fi
while read -r line; do
  p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/' <<<"$line")
  f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/' <<<"$line")
  PASS=$((PASS + p)); FAIL=$((FAIL + f))
done < <(grep -E '^native( \(asan\+ubsan\))?: [0-9]+ passed' "$LOGDIR/native.log")

echo "== TypeScript type check (src, test, bench)"
if npx tsc -p tsconfig.test.json >"$LOGDIR/tsc.log" 2>&1; then PASS=$((PASS + 1)); echo "ok"; else FAIL=$((FAIL + 1)); cat "$LOGDIR/tsc.log"; fi

echo "== node-tap"
TAP_FILES=("$@")
# Every *.test.ts under test/unit and test/integration (tap would also run the helper modules
# beside them, support/ and fixtures, as empty test files).
[ ${#TAP_FILES[@]} -gt 0 ] || mapfile -t TAP_FILES < <(find test/unit test/integration -name '*.test.ts' | sort)
npx tap --reporter=tap "${TAP_FILES[@]}" >"$LOGDIR/tap.log" 2>&1; rc=$?
grep -E '^(not ok|ok) [0-9]+ - ' "$LOGDIR/tap.log" || true
sum=$(grep -E '^# \{ total: ' "$LOGDIR/tap.log" | tail -1)
if [ -z "$sum" ]; then
  echo "== tap: no summary (exit $rc); see $LOGDIR/tap.log"; tail -40 "$LOGDIR/tap.log"; FAIL=$((FAIL + 1))
else
  p=$(grep -oE 'pass: [0-9]+' <<<"$sum" | grep -oE '[0-9]+' || echo 0)
  f=$(grep -oE 'fail: [0-9]+' <<<"$sum" | grep -oE '[0-9]+' || echo 0)
  if [ "$f" -gt 0 ]; then grep -B2 -A25 -E '^\s*not ok' "$LOGDIR/tap.log" | head -200; fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "tap exited $rc"; tail -40 "$LOGDIR/tap.log"; fi
  PASS=$((PASS + p)); FAIL=$((FAIL + f))
  echo "== tap: $p passed, $f failed"
fi

if [ $# -eq 0 ]; then
  for suite in test/suites/*.sh; do
    [ -e "$suite" ] || continue
    name=$(basename "$suite" .sh)
    echo "== suite $name"
    timeout --kill-after=30 "${SPANGATE_SUITE_TIMEOUT:-900}" bash "$suite" >"$LOGDIR/suite-$name.log" 2>&1; rc=$?
    tail -15 "$LOGDIR/suite-$name.log"
    count_summary "$name" "$LOGDIR/suite-$name.log" "$rc"
  done
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
