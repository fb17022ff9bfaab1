#!/usr/bin/env bash
# Sets up everything spangate needs on Debian 12 (as root): Debian packages, Node 20,
# npm dependencies: only when node_modules is missing or the lockfile changed since the last
# install (SPANGATE_SKIP_NPM=1 skips this, for git worktrees sharing one node_modules).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "${SPANGATE_SKIP_NPM:-0}" != 1 ] && { [ ! -d node_modules ] || [ "$(cat node_modules/.spangate-lock 2>/dev/null)" != "$lock_sum" ]; }; then
  note "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/tmp/spangate-npm.log 2>&1 \
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
