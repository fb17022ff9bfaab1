// bench/sip: one result line (JSON) from a sipp step directory: the -trace_stat CSV (final row)
// and the -trace_rtt CSV (one row per INVITE→200 response time).
// Usage: node analyze.mjs <stepdir> <label> <rate> <wall_s> <cpu json> <loadavg>
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const [dir, label, rate, wall, cpuJson, load] = process.argv.slice(2);
const files = readdirSync(dir);
const statFile = files.find((f) => f.endsWith('.csv') && !f.includes('_rtt'));
const rttFile = files.find((f) => f.includes('_rtt') && f.endsWith('.csv'));
const out = { label, rate: Number(rate), wall_s: Number(wall), load: Number(load), ...JSON.parse(cpuJson) };
if (statFile) {
  const rows = readFileSync(path.join(dir, statFile), 'utf8').trim().split('\n');
  const head = rows[0].split(';');
  const last = rows[rows.length - 1].split(';');
  const col = (n) => Number(last[head.indexOf(n)]);
  out.created = col('OutgoingCall(C)');
  out.ok = col('SuccessfulCall(C)');
  out.failed = col('FailedCall(C)');
  out.retrans = col('Retransmissions(C)');
}
const rtts = [];
let first = Infinity;
let lastT = 0;
if (rttFile) {
  for (const line of readFileSync(path.join(dir, rttFile), 'utf8').split('\n')) {
    const [t, ms, no] = line.split(';');
    if (!/^\d/.test(t ?? '') || no?.trim() !== '1') continue;
    rtts.push(Number(ms));
    first = Math.min(first, Number(t));
    lastT = Math.max(lastT, Number(t));
  }
}
rtts.sort((a, b) => a - b);
const pct = (p) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))] : NaN);
out.answered = rtts.length;
// achieved rate: answered INVITEs over the span between the first and last 200 received.
out.cps = rtts.length > 1 ? Math.round(((rtts.length - 1) * 1000) / (lastT - first)) : 0;
out.p50 = +pct(50).toFixed(2);
out.p90 = +pct(90).toFixed(2);
out.p99 = +pct(99).toFixed(2);
out.max = rtts.length ? +rtts[rtts.length - 1].toFixed(2) : NaN;
console.log(JSON.stringify(out));
