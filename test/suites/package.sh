#!/usr/bin/env bash
# Debian package suite: builds spangate_<version>_amd64.deb (and a higher version of the same
# tree for the upgrade), runs lintian, then installs, upgrades, removes, purges and reinstalls
# it inside a throwaway Debian 12 chroot made by mmdebstrap. Services never start there: the
# chroot has no /run/systemd/system and a policy-rc.d that says no. /proc is mounted only inside
# a private mount namespace (unshare), so nothing stays mounted whatever happens.
# Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
START=$(date +%s)
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else nok "$what"; fi; }
finish() { echo "package suite: $(( $(date +%s) - START )) s"; echo "$PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; exit; }

export SPANGATE_SKIP_NPM=${SPANGATE_SKIP_NPM:-0}
HOST_TOOLS="mmdebstrap lintian debhelper dpkg-dev fakeroot binutils openssl util-linux"
SPANGATE_EXTRA_PACKAGES="$HOST_TOOLS" bash scripts/setup.sh || { nok "setup (host tools)"; finish; }

CACHE=${SPANGATE_BUILD_CACHE:-/var/cache/spangate-build}
WORK=$(mktemp -d /tmp/spangate-pkgtest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- build: the release version and a higher one for the upgrade ---------------------------
VERSION=$(node -p 'require("./package.json").version')
V2="$VERSION+pkgtest1"
t0=$(date +%s)
if DEB1=$(bash packaging/deb/build.sh 2>"$WORK/build1.log" | tail -1) && [ -f "$DEB1" ]; then
  ok "build spangate_${VERSION}_amd64.deb ($(( $(date +%s) - t0 )) s, $(( $(stat -c %s "$DEB1") / 1048576 )) MiB)"
else
  nok "build .deb"; tail -20 "$WORK/build1.log"; finish
fi
# The upgrade: the same tree as a higher version (only the version in the control file differs).
DEB2=$WORK/spangate_${V2}_amd64.deb
if dpkg-deb -R "$DEB1" "$WORK/v2" && sed -i "s/^Version: .*/Version: $V2/" "$WORK/v2/DEBIAN/control" \
   && dpkg-deb --root-owner-group -Zxz -z1 -b "$WORK/v2" "$DEB2" >/dev/null 2>"$WORK/build2.log"; then
  ok "repack as spangate_${V2}_amd64.deb"
else
  nok "repack upgrade .deb"; tail -20 "$WORK/build2.log"; finish
fi
rm -rf "$WORK/v2"
cp "$DEB1" "$WORK/"
DEB1=$WORK/$(basename "$DEB1")

# --- static checks -------------------------------------------------------------------------
lintian --pedantic --display-info "$DEB1" >"$WORK/lintian.log" 2>&1
tags=$(grep -cE '^[EWIP]: ' "$WORK/lintian.log")
if [ "$tags" -eq 0 ]; then ok "lintian --pedantic --display-info: no tags beyond the justified overrides"
else nok "lintian: $tags tag(s)"; grep -E '^[EWIP]: ' "$WORK/lintian.log" | head -20; fi
ctl() { dpkg-deb -f "$DEB1" "$1"; }
check "Architecture is amd64" test "$(ctl Architecture)" = amd64
deps=$(ctl Depends)
for d in rtpengine-daemon systemd libpri1.4 libspandsp2 libspeexdsp1 libopus0 libsrtp2-1 libc6 libstdc++6; do
  check "Depends on $d" grep -qxF "$d" < <(tr ',' '\n' <<<"$deps" | sed -E 's/^ +//; s/ *\(.*//')
done
conff=$(dpkg-deb --ctrl-tarfile "$DEB1" | tar -xO ./conffiles)
check "conffile /etc/spangate/spangate.json" grep -qx /etc/spangate/spangate.json <<<"$conff"
check "conffile /etc/spangate/rtpengine.conf" grep -qx /etc/spangate/rtpengine.conf <<<"$conff"
# The listing is kept in a file: as one argument it outgrew the kernel's 128 KiB limit per
# argument (E2BIG), and every check given it failed.
LISTING="$WORK/listing.txt"
dpkg-deb -c "$DEB1" >"$LISTING"
check "does not ship /etc/rtpengine/rtpengine.conf" bash -c '! grep -q "/etc/rtpengine/" "$1"' _ "$LISTING"
check "ships a man page and the copyright file" bash -c 'grep -q "/usr/share/man/man1/spangate.1.gz$" "$1" && grep -q "/usr/share/doc/spangate/copyright$" "$1"' _ "$LISTING"
check "ships the rtpengine drop-in" grep -q ' ./lib/systemd/system/rtpengine-daemon.service.d/spangate.conf$' "$LISTING"
for f in share/sipp/*.xml; do
  check "ships the demo's sipp scenario $f" grep -q " ./usr/lib/spangate/$f\$" "$LISTING"
done
check "Suggests sip-tester (the demo's sipp)" grep -qw sip-tester <<<"$(ctl Suggests)"
check "ships no dev-only npm packages" bash -c '! grep -qE "node_modules/(typescript|tap|tsx|@types)/" "$1"' _ "$LISTING"
check "ships koffi for linux_x64 only" bash -c '! grep -qE "koffi/build/koffi/(win32|darwin|freebsd|linux_arm)" "$1"' _ "$LISTING"
unit=$(dpkg-deb --fsys-tarfile "$DEB1" | tar -xO ./lib/systemd/system/spangate.service)
check "unit runs spangate run --config /etc/spangate/spangate.json" grep -q '^ExecStart=/usr/bin/spangate run --config /etc/spangate/spangate.json$' <<<"$unit"
check "unit drains on SIGTERM with a TimeoutStopSec" bash -c 'grep -q "^KillSignal=SIGTERM" <<<"$1" && grep -qE "^TimeoutStopSec=[0-9]+$" <<<"$1"' _ "$unit"
check "unit logs to the journal as user spangate" bash -c 'grep -q "^StandardOutput=journal" <<<"$1" && grep -q "^User=spangate" <<<"$1"' _ "$unit"
node_type=$(dpkg-deb --fsys-tarfile "$DEB1" | tar -xO ./usr/lib/spangate/node/bin/node | file -)
check "bundled node is stripped" grep -q ', stripped' <<<"$node_type"

# --- a throwaway bookworm chroot with the package's dependencies (cached as a tarball) ------
deplist=$(tr ',' '\n' <<<"$deps" | sed -E 's/\(.*\)//; s/\|.*//; s/ //g' | grep . | sort -u | paste -sd, -)
key=$(printf '%s\n' "$deplist" "v1" | sha256sum | cut -c1-16)
BASE=$CACHE/pkgtest-chroot-$key.tar
if [ ! -f "$BASE" ] || [ -n "$(find "$BASE" -mtime +7)" ]; then
  t0=$(date +%s)
  if mmdebstrap --variant=minbase --mode=root --include="$deplist,file" \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --aptopt='Acquire::Languages "none"' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --customize-hook='printf "#!/bin/sh\nexit 101\n" > "$1/usr/sbin/policy-rc.d"; chmod 0755 "$1/usr/sbin/policy-rc.d"' \
      bookworm "$CACHE/.tmp-$key.tar" /etc/apt/sources.list.d/debian.sources >"$WORK/mmdebstrap.log" 2>&1 \
      && mv "$CACHE/.tmp-$key.tar" "$BASE"; then
    ok "mmdebstrap chroot with the dependencies ($(( $(date +%s) - t0 )) s)"
  else
    rm -rf "$CACHE/.tmp-$key.tar"; nok "mmdebstrap chroot"; tail -20 "$WORK/mmdebstrap.log"; finish
  fi
fi
R=$WORK/root
mkdir -p "$R" && tar -C "$R" -xf "$BASE" || { nok "unpack chroot"; finish; }
cp "$DEB1" "$DEB2" "$R/tmp/"
# Runs a command in the chroot, with /proc mounted in a private namespace only.
inroot() {
  unshare --mount --propagation private -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$R" "$@"
}
B1=/tmp/$(basename "$DEB1"); B2=/tmp/$(basename "$DEB2")

# --- install ---------------------------------------------------------------------------------
if inroot dpkg -i "$B1" </dev/null >"$WORK/install.log" 2>&1; then ok "dpkg -i $VERSION in a clean chroot"
else nok "dpkg -i"; tail -20 "$WORK/install.log"; finish; fi
pw=$(inroot getent passwd spangate)
check "system user spangate exists" test -n "$pw"
uid=$(cut -d: -f3 <<<"$pw")
check "spangate is a system uid (<1000), nologin, home /var/lib/spangate" \
  bash -c '[ "$1" -lt 1000 ] && [ "$(cut -d: -f7 <<<"$2")" = /usr/sbin/nologin ] && [ "$(cut -d: -f6 <<<"$2")" = /var/lib/spangate ]' _ "${uid:-9999}" "$pw"
for f in /usr/bin/spangate /usr/lib/spangate/node/bin/node /usr/lib/spangate/libspangate.so \
  /usr/lib/spangate/dist/cli/main.js /lib/systemd/system/spangate.service \
  /lib/systemd/system/rtpengine-daemon.service.d/spangate.conf /etc/spangate/spangate.json \
  /etc/spangate/rtpengine.conf /usr/lib/sysusers.d/spangate.conf; do
  check "installed $f" test -e "$R$f"
done
check "spangate.service enabled (multi-user.target.wants)" test -L "$R/etc/systemd/system/multi-user.target.wants/spangate.service"
check "config is root:spangate 0640" test "$(inroot stat -c '%U:%G %a' /etc/spangate/spangate.json)" = "root:spangate 640"
check "/etc/spangate is root:spangate 2755 (files written by config set keep group spangate)" \
  test "$(inroot stat -c '%U:%G %a' /etc/spangate)" = "root:spangate 2755"
check "/etc/rtpengine/rtpengine.conf still belongs to rtpengine-daemon" \
  bash -c '[ "$(chroot "$1" dpkg -S /etc/rtpengine/rtpengine.conf 2>/dev/null | cut -d: -f1)" = rtpengine-daemon ]' _ "$R"
out=$(inroot /usr/lib/spangate/node/bin/node --version 2>&1)
check "bundled runtime is Node v20.20.2 (got $out)" test "$out" = v20.20.2
out=$(inroot env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin spangate version 2>&1 | head -1)
check "spangate version runs in the chroot without a system node (got '$out')" test "$out" = "spangate $VERSION"
check "packaged config passes spangate config validate" inroot spangate config validate /etc/spangate/spangate.json
check "no system node is needed (none installed in the chroot)" bash -c '! chroot "$1" sh -c "command -v node"' _ "$R"
check "native library loads with the packaged Depends (ABI handshake)" inroot sh -c \
  'cd /usr/lib/spangate && ./node/bin/node --input-type=module -e "const m = await import(\"./dist/ffi/native.js\"); m.loadNative(\"/usr/lib/spangate/libspangate.so\")"'
check "the installed demo finds its sipp scenarios relative to its module" inroot sh -c \
  'cd /tmp && /usr/lib/spangate/node/bin/node --input-type=module -e "const m = await import(\"/usr/lib/spangate/dist/cli/demo/sipp-peer.js\"); const fs = await import(\"node:fs\"); if (m.SCENARIO_DIR !== \"/usr/lib/spangate/share/sipp\") throw new Error(m.SCENARIO_DIR); fs.accessSync(m.SCENARIO_DIR + \"/uas-answer.xml\", fs.constants.R_OK)"'
check "spangate.service passes systemd-analyze verify" inroot systemd-analyze verify --man=no /lib/systemd/system/spangate.service
check "rtpengine-daemon.service with the spangate drop-in passes systemd-analyze verify" \
  inroot systemd-analyze verify --man=no rtpengine-daemon.service

# --- upgrade keeps a locally changed config ------------------------------------------------------
echo '# local change kept across upgrades' >> "$R/etc/spangate/rtpengine.conf"
node -e 'const f=process.argv[1]; const fs=require("fs"); fs.writeFileSync(f, JSON.stringify(JSON.parse(fs.readFileSync(f,"utf8")), null, 4) + "\n")' \
  "$R/etc/spangate/spangate.json"
sum_json=$(sha256sum < "$R/etc/spangate/spangate.json")
if inroot dpkg -i "$B2" </dev/null >"$WORK/upgrade.log" 2>&1; then ok "upgrade to $V2 (no prompt, stdin closed)"
else nok "upgrade"; tail -20 "$WORK/upgrade.log"; fi
check "version is $V2 after upgrade" test "$(inroot dpkg-query -W -f='${Version}' spangate)" = "$V2"
check "changed rtpengine.conf kept on upgrade" grep -q 'local change kept' "$R/etc/spangate/rtpengine.conf"
check "changed spangate.json kept on upgrade" test "$(sha256sum < "$R/etc/spangate/spangate.json")" = "$sum_json"
check "no .dpkg-new/.dpkg-dist left in /etc/spangate" bash -c '! ls "$1"/etc/spangate/*.dpkg-* 2>/dev/null | grep -q .' _ "$R"
check "same uid after upgrade" test "$(inroot getent passwd spangate | cut -d: -f3)" = "$uid"
check "still enabled after upgrade" test -L "$R/etc/systemd/system/multi-user.target.wants/spangate.service"

# --- remove keeps the config; purge removes it --------------------------------------------------
mkdir -p "$R/etc/spangate/tls" "$R/var/lib/spangate"
echo key > "$R/etc/spangate/tls/server.key"; echo id > "$R/var/lib/spangate/instance-id"
if inroot dpkg -r spangate </dev/null >"$WORK/remove.log" 2>&1; then ok "dpkg -r"; else nok "dpkg -r"; tail -20 "$WORK/remove.log"; fi
check "remove: program files gone" bash -c '[ ! -e "$1/usr/lib/spangate" ] && [ ! -e "$1/usr/bin/spangate" ]' _ "$R"
check "remove: units and drop-in gone" bash -c '[ ! -e "$1/lib/systemd/system/spangate.service" ] && [ ! -e "$1/lib/systemd/system/rtpengine-daemon.service.d/spangate.conf" ]' _ "$R"
check "remove: config kept" test -f "$R/etc/spangate/spangate.json"
check "remove: package in state config-files" test "$(inroot dpkg-query -W -f='${db:Status-Status}' spangate)" = config-files
if inroot dpkg -P spangate </dev/null >"$WORK/purge.log" 2>&1; then ok "dpkg -P"; else nok "dpkg -P"; tail -20 "$WORK/purge.log"; fi
check "purge: /etc/spangate gone (with TLS keys)" test ! -e "$R/etc/spangate"
check "purge: /var/lib/spangate gone" test ! -e "$R/var/lib/spangate"
check "purge: enable symlink gone" test ! -e "$R/etc/systemd/system/multi-user.target.wants/spangate.service"
check "purge: dpkg forgets the package" bash -c '! chroot "$1" dpkg-query -W spangate 2>/dev/null | grep -q .' _ "$R"
check "purge: system user kept (uids are not reused)" test "$(inroot getent passwd spangate | cut -d: -f3)" = "$uid"
check "rtpengine's own config untouched" test -f "$R/etc/rtpengine/rtpengine.conf"

# --- reinstall after purge -------------------------------------------------------------------------
if inroot dpkg -i "$B2" </dev/null >"$WORK/reinstall.log" 2>&1; then ok "reinstall after purge"
else nok "reinstall after purge"; tail -20 "$WORK/reinstall.log"; fi
check "reinstall reuses the uid and restores a fresh config" \
  bash -c '[ "$(chroot "$1" getent passwd spangate | cut -d: -f3)" = "$2" ] && [ -f "$1/etc/spangate/spangate.json" ]' _ "$R" "$uid"

finish
