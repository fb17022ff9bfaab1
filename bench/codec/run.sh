#!/usr/bin/env bash
# Raw codec loop (the physical bound of transcoding): builds bench/codec/codec_bench.c against
# native/src with the library's own flags (-O2, no -march) and runs it pinned to one CPU.
# Run by hand: bash bench/codec/run.sh        Env: BENCH_REPS (5), BENCH_MS (200), BENCH_CPU (1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(mktemp "${TMPDIR:-/tmp}/spangate-codec-bench.XXXXXX")
trap 'rm -f "$bin"' EXIT
pkgs="spandsp speexdsp opus"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
   -I"$root/native/include" -I"$root/native/src" -I"$root/native/test" $(pkg-config --cflags $pkgs) \
   "$here/codec_bench.c" "$root"/native/src/codec/*.c "$root"/native/src/dsp/*.c \
   $(pkg-config --libs $pkgs) -lm -o "$bin"
echo "host: $(uname -srm); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(nproc) cpus"
if command -v taskset >/dev/null 2>&1; then
  taskset -c "${BENCH_CPU:-1}" "$bin"
else
  "$bin"
fi
