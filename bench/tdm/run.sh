#!/usr/bin/env bash
# TDM media bench, run by hand: bash bench/tdm/run.sh [spans=8] [seconds=10] [ec_tail_ms=128]
# RT=1 runs the whole bench (media, span and sender threads) under SCHED_FIFO 10 (chrt, as root):
# on a machine other work keeps busy, the threads then get the CPU when their packets are due.
# Builds the native objects (make), links bench_tdm against them and runs it. Figures go to
# bench/TDM.md by hand, with the machine's load at the time.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -C native build/libspangate.so >/dev/null
PKG="spandsp speexdsp opus libsrtp2"
# The engine's objects include the kernel forwarder and receive steering when libbpf was there.
if pkg-config --exists libbpf; then PKG="$PKG libbpf"; fi
OBJS=$(ls native/build/obj/*/*.o | grep -v /obj/test/)
cc -std=gnu11 -O2 -g -Inative/include -Inative/src $(pkg-config --cflags $PKG) -o native/build/bench_tdm \
  bench/tdm/bench_tdm.c $OBJS $(pkg-config --libs $PKG) -lpri -lpthread -lm
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
if [ "${RT:-0}" = 1 ]; then
  echo "SCHED_FIFO 10"
  exec chrt -f 10 ./native/build/bench_tdm "${1:-8}" "${2:-10}" "${3:-128}"
fi
exec ./native/build/bench_tdm "${1:-8}" "${2:-10}" "${3:-128}"
