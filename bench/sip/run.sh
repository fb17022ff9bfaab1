#!/usr/bin/env bash
# bench/sip/run.sh — calls/s and INVITE→200 response times through the embedded SIP edge +
# a minimal drachtio-srf B2BUA, with Kamailio (stateful tm+rr, and stateless forward) measured
# in the same run under the same sipp load. Run by hand (not part of the test command):
#
#   bash bench/sip/run.sh            # WARMUP_S=5 ROUNDS=2, RATES="100 200 300 400", STEP_S=20
#   ROUNDS=1 RATES="300" STEP_S=10 HOLD_CALLS=1000 TARGETS=edge bash bench/sip/run.sh
#   EDGE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" ...   # profile the edge process
#
# Needs: dist/ built (bash scripts/setup.sh), sipp (sip-tester), kamailio. Addresses: loopback
# block 127.0.13.0/24, ports 30060-30100 (BENCH_NET=127.0.28 BENCH_PORT_BASE=28000 move them).
# EDGE_DIST=<dir> benches another build of the edge (A/B). Every process started here is
# stopped on exit; each sipp run is bounded by `timeout`, the whole script by BENCH_MAX_S (1500 s).
# Output: $OUT/results.jsonl (one line per step) and $OUT/memory.json; summary on stdout.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$REPO/bench/sip"
OUT=${OUT:-$(mktemp -d /tmp/spangate-sip-bench.XXXXXX)}
ROUNDS=${ROUNDS:-2}
RATES=${RATES:-"100 200 300 400"}
STEP_S=${STEP_S:-20}
HOLD_CALLS=${HOLD_CALLS:-2000}
TARGETS=${TARGETS:-"edge kam-stateful kam-stateless"}
BENCH_MAX_S=${BENCH_MAX_S:-1500}
WARMUP_S=${WARMUP_S:-5}

# BENCH_NET (a /24 prefix) and BENCH_PORT_BASE move the whole bench to another address/port
# block, so engineers sharing the machine do not collide (the bench uses base+60 .. base+100).
NET=${BENCH_NET:-127.0.13}
PB=${BENCH_PORT_BASE:-30000}
EDGE_IP=$NET.1 EDGE_PORT=$((PB + 60)) CTRL_PORT=$((PB + 61))
UAS_IP=$NET.2 UAS_PORT=$((PB + 70))
UAC_IP=$NET.3 UAC_PORT=$((PB + 100))
KSF_IP=$NET.4 KSF_PORT=$((PB + 80))
KSL_IP=$NET.5 KSL_PORT=$((PB + 90))
SECRET=bench

PIDS=()
KAM_PIDFILES=()
cleanup() {
  trap - EXIT INT TERM
  if [ -n "${WATCHDOG:-}" ]; then
    local sl; sl=$(ps -o pid= --ppid "$WATCHDOG")
    kill "$WATCHDOG" 2>/dev/null; kill $sl 2>/dev/null
  fi
  for pf in "${KAM_PIDFILES[@]}"; do [ -s "$pf" ] && kill "$(cat "$pf")" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for pf in "${KAM_PIDFILES[@]}"; do [ -s "$pf" ] && kill -9 "$(cat "$pf")" 2>/dev/null; done
  wait 2>/dev/null
  echo "bench output: $OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "run.sh: $*" >&2; exit 1; }

command -v sipp >/dev/null || die "sipp missing (apt-get install sip-tester)"
command -v kamailio >/dev/null || die "kamailio missing"
EDGE_DIST=${EDGE_DIST:-$REPO/dist} # another build of the edge (A/B against an older commit)
[ -f "$EDGE_DIST/sip/edge/server.js" ] || die "$EDGE_DIST missing: run bash scripts/setup.sh"
export NODE_PATH="$REPO/node_modules"
mkdir -p "$OUT/logs"
# Watchdog: the whole run is bounded.
( exec >/dev/null 2>&1; sleep "$BENCH_MAX_S" && kill -TERM $$ ) &
WATCHDOG=$!

wait_for() { # file pattern seconds
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# --- the sipp UAS (shared by every target) ---------------------------------------------
(cd "$OUT/logs" && exec sipp -sn uas -i "$UAS_IP" -p "$UAS_PORT" -nostdin >uas.log 2>&1) &
PIDS+=($!)

# --- the edge (own process) and the B2BUA -----------------------------------------------
cat >"$OUT/edge.json" <<JSON
{ "sip": [{"proto":"udp","host":"$EDGE_IP","port":$EDGE_PORT}],
  "control": {"host":"$EDGE_IP","port":$CTRL_PORT,"secret":"$SECRET"},
  "version": "v1.0.0-spangate" }
JSON
node --expose-gc ${EDGE_NODE_FLAGS:-} "$HERE/edge.mjs" "$EDGE_DIST" "$OUT/edge.json" >"$OUT/logs/edge.log" 2>&1 &
EDGE_PID=$!; PIDS+=($EDGE_PID)
wait_for "$OUT/logs/edge.log" 'sip-edge ready' 20 || { cat "$OUT/logs/edge.log"; die "edge did not start"; }
node --expose-gc "$HERE/b2bua.mjs" "$EDGE_IP" "$CTRL_PORT" "$SECRET" "sip:bench@$UAS_IP:$UAS_PORT" >"$OUT/logs/b2bua.log" 2>&1 &
B2B_PID=$!; PIDS+=($B2B_PID)
wait_for "$OUT/logs/b2bua.log" 'b2bua connected' 20 || { cat "$OUT/logs/b2bua.log"; die "b2bua did not connect"; }

# --- Kamailio: stateful (tm + rr) and stateless (core forward) -----------------------------
start_kamailio() { # name ip port cfg-body
  local name=$1 ip=$2 port=$3 body=$4 dir="$OUT/kam-$1"
  mkdir -p "$dir"
  cat >"$dir/kamailio.cfg" <<CFG
#!KAMAILIO
debug=-1
log_stderror=yes
fork=yes
children=2
auto_aliases=no
listen=udp:$ip:$port
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
$body
CFG
  kamailio -f "$dir/kamailio.cfg" -c >"$dir/check.log" 2>&1 || { cat "$dir/check.log"; die "kamailio $name config invalid"; }
  KAM_PIDFILES+=("$dir/kamailio.pid")
  kamailio -f "$dir/kamailio.cfg" -DD -E -m 128 -M 16 -Y "$dir" -P "$dir/kamailio.pid" >"$dir/kamailio.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$dir/kamailio.pid" ] && return 0; sleep 0.1; done
  cat "$dir/kamailio.log"; die "kamailio $name did not start"
}
start_kamailio stateful "$KSF_IP" "$KSF_PORT" "
loadmodule \"tm.so\"
loadmodule \"sl.so\"
loadmodule \"rr.so\"
loadmodule \"pv.so\"
loadmodule \"maxfwd.so\"
loadmodule \"siputils.so\"
loadmodule \"textops.so\"
request_route {
  if (!mf_process_maxfwd_header(\"10\")) { sl_send_reply(\"483\", \"Too Many Hops\"); exit; }
  if (has_totag()) {
    # sipp sends every in-dialog request to the proxy (its remote address): the R-URI is
    # the UAS Contact whether or not a Route header was kept.
    loose_route();
    t_relay(); exit;
  }
  if (is_method(\"CANCEL\")) { if (t_check_trans()) { t_relay(); } exit; }
  t_check_trans();
  if (is_method(\"INVITE\")) { record_route(); }
  \$du = \"sip:$UAS_IP:$UAS_PORT\";
  if (!t_relay()) { sl_reply_error(); }
}"
start_kamailio stateless "$KSL_IP" "$KSL_PORT" "
loadmodule \"pv.so\"
request_route {
  \$du = \"sip:$UAS_IP:$UAS_PORT\";
  forward();
}"

KSF_MAIN=$(cat "$OUT/kam-stateful/kamailio.pid")
KSL_MAIN=$(cat "$OUT/kam-stateless/kamailio.pid")
family() { echo "$1 $(ps -o pid= --ppid "$1" | tr '\n' ' ')"; }
ticks() { # sum of utime+stime (clock ticks) over pids
  local t=0 p f
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    f=$(sed 's/^.*) //' "/proc/$p/stat")
    set -- $f
    t=$((t + ${12} + ${13}))
  done
  echo $t
}
stime() { # stime (clock ticks) of one pid: the kernel's share (syscalls, loopback delivery)
  [ -r "/proc/$1/stat" ] || { echo 0; return; }
  local f; f=$(sed 's/^.*) //' "/proc/$1/stat"); set -- $f; echo "${13}"
}
HZ=$(getconf CLK_TCK)
drops() { # ip port -> kernel drop counter of that UDP socket (receive buffer overflows)
  local hex; hex=$(printf '%02X%02X%02X%02X:%04X' $(echo "$1" | awk -F. '{print $4, $3, $2, $1}') "$2")
  awk -v a="$hex" '$2 == a {print $NF; exit}' /proc/net/udp
}

# One step: sipp UAC at $rate cps for STEP_S seconds against $target.
step() { # target rate round
  local target=$1 rate=$2 round=$3 ip port pids dir
  case $target in
    edge) ip=$EDGE_IP port=$EDGE_PORT pids="$EDGE_PID $B2B_PID" ;;
    kam-stateful) ip=$KSF_IP port=$KSF_PORT pids=$(family "$KSF_MAIN") ;;
    kam-stateless) ip=$KSL_IP port=$KSL_PORT pids=$(family "$KSL_MAIN") ;;
  esac
  dir="$OUT/r$round-$target-$rate"; mkdir -p "$dir"
  local load c0 e0 b0 s0 t0 t1 c1 e1 b1 s1 wall
  load=$(cut -d' ' -f1 /proc/loadavg)
  local d0 d1; d0=$(drops "$ip" "$port")
  c0=$(ticks $pids); e0=$(ticks "$EDGE_PID"); b0=$(ticks "$B2B_PID"); s0=$(stime "$EDGE_PID"); t0=$(date +%s.%N)
  (cd "$dir" && timeout --kill-after=5 $((STEP_S + 40)) sipp "$ip:$port" -sf "$HERE/uac.xml" -s bench \
    -i "$UAC_IP" -p "$UAC_PORT" -r "$rate" -rp 1000 -m $((rate * STEP_S)) -d 0 -l $((rate * 5)) \
    -recv_timeout 8000 -timeout $((STEP_S + 30))s -nostdin \
    -trace_stat -stf stat.csv -fd 1 -trace_rtt -rtt_freq 1 -trace_err >sipp.log 2>&1)
  t1=$(date +%s.%N); c1=$(ticks $pids); e1=$(ticks "$EDGE_PID"); b1=$(ticks "$B2B_PID"); s1=$(stime "$EDGE_PID")
  wall=$(echo "$t1 - $t0" | bc -l); d1=$(drops "$ip" "$port")
  local cpu
  if [ "$target" = edge ]; then
    cpu=$(printf '{"sock_drops":%d,"cpu_pct":%.0f,"edge_cpu_pct":%.0f,"edge_sys_pct":%.0f,"b2bua_cpu_pct":%.0f}' $((d1 - d0)) \
      "$(echo "100*($c1-$c0)/$HZ/$wall" | bc -l)" "$(echo "100*($e1-$e0)/$HZ/$wall" | bc -l)" \
      "$(echo "100*($s1-$s0)/$HZ/$wall" | bc -l)" "$(echo "100*($b1-$b0)/$HZ/$wall" | bc -l)")
  else
    cpu=$(printf '{"sock_drops":%d,"cpu_pct":%.0f}' $((d1 - d0)) "$(echo "100*($c1-$c0)/$HZ/$wall" | bc -l)")
  fi
  node "$HERE/analyze.mjs" "$dir" "$target" "$rate" "$(printf %.1f "$wall")" "$cpu" "$load" | tee -a "$OUT/results.jsonl"
  sleep 3 # let the UAS and the servers drain between steps
}

# Warm-up (not recorded): V8 compiles the edge's and srf's hot paths during the first seconds;
# Kamailio needs none. WARMUP_S=0 skips it.
if [ "$WARMUP_S" -gt 0 ]; then
  (cd "$OUT/logs" && timeout $((WARMUP_S + 30)) sipp "$EDGE_IP:$EDGE_PORT" -sf "$HERE/uac.xml" -s bench -i "$UAC_IP" -p "$UAC_PORT" \
    -r 100 -m $((100 * WARMUP_S)) -d 0 -recv_timeout 8000 -timeout $((WARMUP_S + 20))s -nostdin >warmup.log 2>&1)
  sleep 3
fi
echo "bench: rounds=$ROUNDS rates=[$RATES] step=${STEP_S}s targets=[$TARGETS] out=$OUT"
snap_edge() { # one JSON line from the edge after a forced GC: heap, RSS, and every state counter
  local n0; n0=$(wc -l <"$OUT/logs/edge.log")
  kill -USR2 "$EDGE_PID"; sleep 2
  tail -n +$((n0 + 1)) "$OUT/logs/edge.log" | grep '^{"edge"' | tail -1
}
mem_before=$(snap_edge)
for round in $(seq 1 "$ROUNDS"); do
  for rate in $RATES; do
    for target in $TARGETS; do step "$target" "$rate" "$round"; done
  done
done
# Memory after the burst: right after the ladder, then once every transaction/dialog timer has
# run out (IDLE_S, default 40 s > 64*T1): state must be back to zero and the heap to its baseline.
IDLE_S=${IDLE_S:-40}
if [ "$IDLE_S" -gt 0 ]; then
  mem_burst=$(snap_edge); sleep "$IDLE_S"; mem_idle=$(snap_edge)
  printf '{"before":%s,"after_burst":%s,"after_idle_%ss":%s}\n' "${mem_before:-null}" "${mem_burst:-null}" "$IDLE_S" "${mem_idle:-null}" \
    | tee "$OUT/burst-memory.json"
fi

# --- memory per established dialog (edge + B2BUA): hold HOLD_CALLS calls up ---------------
snap() { # prints the two JSON lines after a GC in each process
  : >"$OUT/snap.tmp"
  local n0 n1; n0=$(wc -l <"$OUT/logs/edge.log"); n1=$(wc -l <"$OUT/logs/b2bua.log")
  kill -USR2 "$EDGE_PID" "$B2B_PID"; sleep 2
  tail -n +$((n0 + 1)) "$OUT/logs/edge.log" | grep '^{"edge"' | tail -1
  tail -n +$((n1 + 1)) "$OUT/logs/b2bua.log" | grep '^{"b2bua"' | tail -1
}
vmrss() { awk '/^VmRSS/ {print $2 * 1024}' "/proc/$1/status"; }
if [ "$HOLD_CALLS" -gt 0 ]; then
  sleep 5
  before=$(snap); rss_e0=$(vmrss "$EDGE_PID"); rss_b0=$(vmrss "$B2B_PID")
  hold_rate=100
  dir="$OUT/hold"; mkdir -p "$dir"
  (cd "$dir" && timeout --kill-after=5 $((HOLD_CALLS / hold_rate + 120)) sipp "$EDGE_IP:$EDGE_PORT" -sf "$HERE/uac.xml" -s bench \
    -i "$UAC_IP" -p "$UAC_PORT" -r "$hold_rate" -m "$HOLD_CALLS" -d $(((HOLD_CALLS / hold_rate + 40) * 1000)) \
    -l "$HOLD_CALLS" -nostdin -trace_stat -stf stat.csv -fd 1 >sipp.log 2>&1) &
  HOLD_SIPP=$!
  sleep $((HOLD_CALLS / hold_rate + 8))
  during=$(snap); rss_e1=$(vmrss "$EDGE_PID"); rss_b1=$(vmrss "$B2B_PID")
  node -e '
    const [b, d, n, re0, re1, rb0, rb1] = process.argv.slice(1);
    const pb = b.split("\n").map((l) => JSON.parse(l)); const pd = d.split("\n").map((l) => JSON.parse(l));
    const eb = pb[0].edge, ed = pd[0].edge, bb = pb[1].b2bua, bd = pd[1].b2bua;
    const dialogs = ed.dialogs - eb.dialogs, calls = bd.calls - bb.calls;
    const per = (x, k) => Math.round(x / k);
    const r = { held_calls: Number(n), edge_dialogs: dialogs, b2bua_calls: calls,
      edge_heap_per_dialog_B: per(ed.heapUsed - eb.heapUsed, dialogs), edge_rss_per_dialog_B: per(re1 - re0, dialogs),
      b2bua_heap_per_call_B: per(bd.heapUsed - bb.heapUsed, calls), b2bua_rss_per_call_B: per(rb1 - rb0, calls),
      edge: { before: eb, during: ed }, b2bua: { before: bb, during: bd } };
    console.log(JSON.stringify(r));' "$before" "$during" "$HOLD_CALLS" "$rss_e0" "$rss_e1" "$rss_b0" "$rss_b1" | tee "$OUT/memory.json"
  kill $(ps -o pid= --ppid "$(ps -o pid= --ppid "$HOLD_SIPP")") 2>/dev/null # sipp under timeout
fi
