// bench/sip: markdown table from results.jsonl (one row per target and rate, ranges over rounds).
// Usage: node table.mjs <results.jsonl>
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const groups = new Map();
for (const r of rows) {
  const k = `${r.label}|${r.rate}`;
  if (!groups.has(k)) groups.set(k, []);
  groups.get(k).push(r);
}
const range = (xs, f = (x) => x) => {
  const v = xs.map(f).filter((x) => Number.isFinite(x));
  if (!v.length) return '–';
  const lo = Math.min(...v), hi = Math.max(...v);
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
};
console.log('| target | offered cps | achieved cps | failed | retrans | sock drops | p50 ms | p90 ms | p99 ms | CPU % of a core | load avg |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [k, rs] of groups) {
  const [label, rate] = k.split('|');
  const cpu = label === 'edge'
    ? rs.map((r) => `${r.cpu_pct} (${r.edge_cpu_pct}+${r.b2bua_cpu_pct})`).join(', ')
    : range(rs, (r) => r.cpu_pct);
  console.log(`| ${label} | ${rate} | ${range(rs, (r) => r.cps)} | ${range(rs, (r) => r.failed)} | ${range(rs, (r) => r.retrans)} | ${range(rs, (r) => r.sock_drops)} | ${range(rs, (r) => r.p50)} | ${range(rs, (r) => r.p90)} | ${range(rs, (r) => r.p99)} | ${cpu} | ${range(rs, (r) => r.load)} |`);
}
