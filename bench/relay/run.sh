#!/usr/bin/env bash
# Relay benchmark, run by hand: the native relay (libspangate, hosted by sgrelay) and
# rtpengine (userspace, its own generated config) carry the same streams in the same run,
# for each stream count, one after the other. Then a transcoding ladder (PCMU in, TX_CODECS
# out) per relay until loss > 1 % or p99 > 100 ms. Prints side-by-side tables and writes
# bench/out/relay/results.{md,txt}. Bounded: about 15 s per pass-through row, 9 s per ladder row.
#   TX_CODECS="opus G722" TX_STEPS="50 100 150 200 300 400 600" TX_SECS=5
#   bash bench/relay/run.sh    # STEPS="100 500 1000" REPEAT=1 SECS=10 FIFO=1 SGRELAY_THREADS=2
# Addresses (NET, a loopback /24 of your own; default 127.0.12): rtpengine NET.2 (NG NG_PORT,
# media RTPE_PORTS), native relay NET.3 (SG_PORTS), generator NET.10, sink NET.20.
# TARGETS (pass-through rows, in this order per repetition; default "native rtpengine"):
#   native       the native relay in user space
#   native-kfwd  the same with in-kernel forwarding attached to lo (spangate/kfwd.h); only in a
#                private network namespace (a tc program on the host's shared loopback would sit
#                in everyone's packet path):  unshare -n bash -c 'ip link set lo up; TARGETS=... bash bench/relay/run.sh'
#   native-steer the native relay with receive steering (spangate/steer.h: an sk_lookup program
#                puts every stream of a media thread on one socket, read with recvmmsg every
#                STEER_US microseconds, default 1000; 0 = on readiness); native-steerN uses N
#                microseconds (native-steer0: on readiness); private namespace only, like native-kfwd
#   rtpengine    rtpengine, userspace (table = -1)
#   direct       no relay: generator straight to the sink, the baseline of the whole-machine
#                CPU figures (sys_us_per_pkt: a relay's cost = its row minus direct's)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-"100 500 1000"}
REPEAT=${REPEAT:-1}
SECS=${SECS:-10}
FIFO=${FIFO:-1}
# Media threads of the native relay: one per core of this 2-core box (rtpengine runs its
# default 4 worker threads).
export SGRELAY_THREADS=${SGRELAY_THREADS:-2}
NET=${NET:-127.0.12}
NG_PORT=${NG_PORT:-65000}
RTPE_PORTS=${RTPE_PORTS:-"20000 24999"}
SG_PORTS=${SG_PORTS:-"25000 29999"}
read -r RTPE_MIN RTPE_MAX <<<"$RTPE_PORTS"
read -r SG_MIN SG_MAX <<<"$SG_PORTS"
OUT=bench/out/relay
mkdir -p "$OUT"
TARGETS=${TARGETS:-"native rtpengine"}
# TX_TARGETS: the relays of the transcoding ladder, in this order (native, native-steer, rtpengine).
TX_TARGETS=${TX_TARGETS:-"native rtpengine"}
STEER_US=${STEER_US:-1000}
if [[ " $TARGETS $TX_TARGETS " == *" native-kfwd "* || " $TARGETS $TX_TARGETS " == *" native-steer"* ]] &&
   [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
  echo "native-kfwd and native-steer attach BPF programs: run in a private network namespace (see the header)" >&2
  exit 2
fi

make -s -C native >/dev/null
CFLAGS="-O2 -g -Wall -Wextra -Werror"
cc $CFLAGS -o "$OUT/relaybench" bench/relay/relaybench.c -lpthread
cc $CFLAGS -Inative/include -o "$OUT/sgrelay" bench/relay/sgrelay.c -Lnative/build -lspangate \
  -Wl,-rpath,"$(pwd)/native/build"

cat >"$OUT/rtpengine.conf" <<CONF
[rtpengine]
table = -1
no-fallback = true
interface = $NET.2
listen-ng = $NET.2:$NG_PORT
port-min = $RTPE_MIN
port-max = $RTPE_MAX
log-level = 4
log-stderr = true
foreground = true
timeout = 60
delete-delay = 0
CONF
prio=()
relay_prio=0
if [ "$FIFO" = 1 ]; then prio=(chrt -f 10); relay_prio=10; fi
"${prio[@]}" rtpengine --config-file="$OUT/rtpengine.conf" --pidfile="$OUT/rtpengine.pid" \
  >"$OUT/rtpengine.log" 2>&1 &
RTPE=$!
cleanup() { kill "$RTPE" 2>/dev/null || true; wait "$RTPE" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do
  ss -Hlun 2>/dev/null | grep -q "$NET.2:$NG_PORT" && break
  sleep 0.1
done
ss -Hlun | grep -q "$NET.2:$NG_PORT" || { echo "rtpengine did not start"; tail "$OUT/rtpengine.log"; exit 1; }

gen=()
if [ "$FIFO" = 1 ]; then gen=(chrt -f 20); fi
# SINK_PRIO: the sink thread's SCHED_FIFO priority (0 = SCHED_OTHER, empty = the generator's).
sinkp=()
if [ -n "${SINK_PRIO:-}" ]; then sinkp=(--sink-prio "$SINK_PRIO"); fi
# SINK_POLL_US: the sink sleeps this long between non-blocking reads instead of waiting on
# its sockets, so the relay's sends wake nobody (as on a NIC); 0/empty = wait (a wake-up per packet).
if [ -n "${SINK_POLL_US:-}" ] && [ "$SINK_POLL_US" != 0 ]; then sinkp+=(--sink-poll-us "$SINK_POLL_US"); fi
# CODEC_BOUND=1: the raw codec loop (bench/codec) before the rows and again after the ladder,
# so the bound is from the same run; its lines go to $OUT/codec_bound.txt.
codec_bound() {
  if [ "${CODEC_BOUND:-0}" = 1 ]; then
    BENCH_REPS=${BENCH_REPS:-3} bash bench/codec/run.sh | grep -E '^\| PCMU -> (G722|Opus)' | sed "s/^/$1 /" | tee -a "$OUT/codec_bound.txt"
  fi
}
: >"$OUT/codec_bound.txt"
codec_bound before
: >"$OUT/results.txt"
for n in $STEPS; do
  for rep in $(seq "$REPEAT"); do
    for target in $TARGETS; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      psi=$(awk '/^some/ { sub("avg10=", "", $2); print $2 }' /proc/pressure/cpu 2>/dev/null || echo -)
      if [ "$target" = native ] || [ "$target" = native-kfwd ] || [[ "$target" == native-steer* ]]; then
        kf="" st=""
        if [ "$target" = native-kfwd ]; then kf=lo; fi
        if [[ "$target" == native-steer* ]]; then st=${target#native-steer}; st=${st:-$STEER_US}; fi
        line=$(SGRELAY_KFWD=$kf SGRELAY_STEER=$st "${gen[@]}" "$OUT/relaybench" --target native --label "$target" --sgrelay "$OUT/sgrelay" --relay-addr "$NET.3" \
          --gen-addr "$NET.10" --sink-addr "$NET.20" --port-min "$SG_MIN" --port-max "$SG_MAX" --relay-prio "$relay_prio" "${sinkp[@]}" --n "$n" --seconds "$SECS")
      elif [ "$target" = direct ]; then
        line=$("${gen[@]}" "$OUT/relaybench" --target direct --gen-addr "$NET.10" --sink-addr "$NET.20" "${sinkp[@]}" --n "$n" --seconds "$SECS")
      else
        line=$("${gen[@]}" "$OUT/relaybench" --target rtpengine --ng "$NET.2:$NG_PORT" --gen-addr "$NET.10" --sink-addr "$NET.20" --pid "$RTPE" "${sinkp[@]}" --n "$n" --seconds "$SECS")
      fi
      echo "$line load=$load psi10=$psi rep=$rep sink_poll_us=${SINK_POLL_US:-0}" | tee -a "$OUT/results.txt"
    done
  done
done

# TX_CODECS may name PCMU: pass-through with the ladder's per-stream sinks, the I/O-only
# baseline of a transcoding row (its CPU per packet minus PCMU's = the codec's share).
TX_CODECS=${TX_CODECS-"opus G722"}
TX_STEPS=${TX_STEPS:-"50 100 150 200 300 400 600"}
TX_SECS=${TX_SECS:-5}
: >"$OUT/transcode.txt"
for codec in $TX_CODECS; do
  ps=()
  if [ "$codec" = PCMU ]; then ps=(--per-stream-sinks); fi
  for target in $TX_TARGETS; do
    for n in $TX_STEPS; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      psi=$(awk '/^some/ { sub("avg10=", "", $2); print $2 }' /proc/pressure/cpu 2>/dev/null || echo -)
      if [ "$target" = native ] || [[ "$target" == native-steer* ]]; then
        st=""
        if [[ "$target" == native-steer* ]]; then st=${target#native-steer}; st=${st:-$STEER_US}; fi
        line=$(SGRELAY_STEER=$st "${gen[@]}" "$OUT/relaybench" --target native --label "$target" --sgrelay "$OUT/sgrelay" --relay-addr "$NET.3" \
          --gen-addr "$NET.10" --sink-addr "$NET.20" --port-min "$SG_MIN" --port-max "$SG_MAX" --relay-prio "$relay_prio" "${sinkp[@]}" --n "$n" --seconds "$TX_SECS" --codec "$codec" "${ps[@]}")
      else
        line=$("${gen[@]}" "$OUT/relaybench" --target rtpengine --ng "$NET.2:$NG_PORT" --gen-addr "$NET.10" --sink-addr "$NET.20" --pid "$RTPE" "${sinkp[@]}" --n "$n" \
          --seconds "$TX_SECS" --codec "$codec" "${ps[@]}")
      fi
      echo "$line load=$load psi10=$psi sink_poll_us=${SINK_POLL_US:-0}" | tee -a "$OUT/transcode.txt"
      # Stop rule: loss > 1 % or p99 > 100 ms.
      if awk '{ for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] } }
              END { exit !(v["loss_pct"] > 1 || v["p99_us"] > 100000) }' <<<"$line"; then break; fi
    done
  done
done

codec_bound after

table() {
  echo "| N | relay | loss % | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | relay CPU % | CPU µs/pkt | gen CPU % | machine µs/pkt | softirq µs/pkt | own µs/pkt | load 1m | CPU psi avg10 |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  sed -E 's/^RESULT //' "$1" | while read -r l; do
    declare -A kv=()
    for f in $l; do kv[${f%%=*}]=${f#*=}; done
    echo "| ${kv[n]} | ${kv[target]} | ${kv[loss_pct]} | ${kv[p50_us]} | ${kv[p90_us]} | ${kv[p99_us]} | ${kv[p999_us]} | ${kv[max_us]} | ${kv[relay_cpu_pct]} | ${kv[relay_cpu_us_per_pkt]} | ${kv[gen_cpu_pct]} | ${kv[sys_us_per_pkt]:--} | ${kv[softirq_us_per_pkt]:--} | ${kv[own_us_per_pkt]:--} | ${kv[load]} | ${kv[psi10]} |"
  done
}

# Side-by-side tables (medians over repetitions are left to the reader when REPEAT > 1).
{
  echo "Pass-through (PCMU to PCMU):"
  echo
  table "$OUT/results.txt"
  echo
  echo "Ratios to rtpengine (same N, same repetition). relay CPU: the relay process's own CPU time;"
  echo "machine: whole-machine CPU per packet minus the direct row's (needs TARGETS with direct; \"saturated\""
  echo "when any of the three rows had the machine >= 190 % busy of 200, where it measures nothing);"
  echo "own: generator + relay processes + ksoftirqd threads, minus the direct row's:"
  echo
  echo "| N | rep | relay | p99 ratio | relay CPU ratio | machine µs/pkt above direct (rtpengine) | machine ratio | own ratio |"
  echo "|---|---|---|---|---|---|---|---|"
  awk '{ delete v; for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
         k = v["n"] " " v["rep"]; t = v["target"];
         p99[t, k] = v["p99_us"]; cpu[t, k] = v["relay_cpu_us_per_pkt"]; sys[t, k] = v["sys_us_per_pkt"]; own[t, k] = v["own_us_per_pkt"]; busy[t, k] = v["sys_cpu_pct"];
         seen[t] = 1; keys[k] = 1 }
       END { for (k in keys) for (t in seen) if (t != "rtpengine" && t != "direct" && ((t, k) in p99) && (("rtpengine", k) in p99)) {
               split(k, nk, " ");
               ms = "-"; mr = "-"; orr = "-";
               if ((("direct", k) in own) && own["rtpengine", k] - own["direct", k] > 0)
                 orr = sprintf("%.2f", (own[t, k] - own["direct", k]) / (own["rtpengine", k] - own["direct", k]));
               if ((("direct", k) in sys) && (busy["direct", k] >= 190 || busy[t, k] >= 190 || busy["rtpengine", k] >= 190)) {
                 ms = "saturated"; mr = "-" }
               else if ((("direct", k) in sys) && sys["rtpengine", k] - sys["direct", k] > 0) {
                 ms = sprintf("%.2f (%.2f)", sys[t, k] - sys["direct", k], sys["rtpengine", k] - sys["direct", k]);
                 mr = sprintf("%.2f", (sys[t, k] - sys["direct", k]) / (sys["rtpengine", k] - sys["direct", k])) }
               printf "| %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n", nk[1], nk[2], t,
                 (p99["rtpengine", k] > 0 ? p99[t, k] / p99["rtpengine", k] : 0),
                 (cpu["rtpengine", k] > 0 ? cpu[t, k] / cpu["rtpengine", k] : 0), ms, mr, orr } }' \
    "$OUT/results.txt" | sort -t'|' -k2,2n -k3,3n -k4,4
  if [ -s "$OUT/transcode.txt" ]; then
    echo
    echo "Transcoding ladder (one-way streams, PCMU in, the named codec out; streams per core = N / relay CPU share):"
    echo
    table "$OUT/transcode.txt"
    echo
    echo "| relay | largest N with loss <= 1 % and p99 <= 100 ms | relay CPU % there | ≈ streams per core |"
    echo "|---|---|---|---|"
    awk '{ for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
           if (v["loss_pct"] <= 1 && v["p99_us"] <= 100000) { best[v["target"]] = v["n"]; cpu[v["target"]] = v["relay_cpu_pct"] }
           seen[v["target"]] = 1 }
         END { for (t in seen) if (t in best) printf "| %s | %s | %s | %.0f |\n", t, best[t], cpu[t], best[t] * 100 / cpu[t];
                                 else printf "| %s | none | - | - |\n", t }' "$OUT/transcode.txt" | sort
  fi
} | tee "$OUT/results.md"
