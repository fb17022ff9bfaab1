#!/usr/bin/env bash
# Appliance boot suite: builds the .deb and the appliance disk image, boots the image under
# qemu (-accel tcg: this machine's /dev/kvm does not work) with user networking and a host
# forward to a free port on 127.0.0.1, waits for the console ready marker, then checks /health,
# /metrics and a SIP OPTIONS to UDP 5060 (a second forward) from the host, and the CLI (`show
# sip` too), journal, drain and first-boot results over a root login on the serial console
# (appliance-image/boot-test.mjs). qemu is killed on every exit.
# Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
START=$(date +%s)
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
WORK=$(mktemp -d /tmp/spangate-boottest.XXXXXX)
finish() {
  echo "appliance-boot suite: $(( $(date +%s) - START )) s"
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]; exit
}
cleanup() {
  if [ -f "$WORK/qemu.pid" ]; then kill -KILL "$(cat "$WORK/qemu.pid")" 2>/dev/null || true; fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

export SPANGATE_SKIP_NPM=${SPANGATE_SKIP_NPM:-0}
SPANGATE_EXTRA_PACKAGES="qemu-system-x86 qemu-utils mmdebstrap syslinux syslinux-common mtools dosfstools fdisk faketime" \
  bash scripts/setup.sh || { nok "setup (host tools)"; finish; }

t0=$(date +%s)
if IMG=$(bash appliance-image/build.sh 2>"$WORK/build.log" | tail -1) && [ -f "$IMG" ]; then
  ok "image built in $(( $(date +%s) - t0 )) s"
  grep '^image: ' "$WORK/build.log" | sed 's/^/# /'
else
  nok "image build"; tail -30 "$WORK/build.log"; finish
fi

# Opt-in (doubles the build time): a second build from the same .deb gives the same bytes.
if [ "${SPANGATE_CHECK_REPRO:-0}" = 1 ]; then
  DEB=packaging/out/spangate_$(node -p "require('./package.json').version")_amd64.deb
  if IMG2=$(SPANGATE_IMAGE_REBUILD=1 SPANGATE_IMAGE_OUT=$WORK/repro bash appliance-image/build.sh "$DEB" 2>"$WORK/build2.log" | tail -1) \
     && [ "$(sha256sum < "$IMG")" = "$(sha256sum < "$IMG2")" ]; then
    ok "second build gives the same disk.img bytes (reproducible)"
  else
    nok "second build differs or failed"; tail -5 "$WORK/build2.log"
  fi
  rm -rf "$WORK/repro"
fi

node appliance-image/boot-test.mjs "$IMG" "$WORK" > "$WORK/boot.log" 2>&1
rc=$?
cat "$WORK/boot.log"
p=$(grep -c '^ok - ' "$WORK/boot.log"); f=$(grep -c '^not ok - ' "$WORK/boot.log")
PASS=$((PASS + p)); FAIL=$((FAIL + f))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then nok "boot test exited $rc"; fi
if [ "$f" -gt 0 ] && [ -f "$WORK/serial.log" ]; then
  echo "# last console lines:"; tail -40 "$WORK/serial.log" | tr -d '\r' | sed 's/^/# /'
fi
qemu_alive() { [ -f "$WORK/qemu.pid" ] && [ -d "/proc/$(cat "$WORK/qemu.pid")" ] && ! grep -q '^State:.*Z' "/proc/$(cat "$WORK/qemu.pid")/status" 2>/dev/null; }
for _ in $(seq 1 20); do qemu_alive || break; sleep 0.5; done
if qemu_alive; then nok "qemu still running after the test"; else ok "qemu is gone"; fi

finish
