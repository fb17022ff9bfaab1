// bench/sip: the top self-time functions (and files) of a V8 .cpuprofile, e.g. the edge's
// profile from `EDGE_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" bash bench/sip/run.sh`.
// Usage: node profile-top.mjs <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg ?? 40);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
let total = 0;
const fn = new Map();
const files = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  total += us;
  const name = cf.functionName || '(anonymous)';
  if (name === '(idle)') continue;
  const url = cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
  const k = `${name} ${url}:${cf.lineNumber + 1}`;
  fn.set(k, (fn.get(k) ?? 0) + us);
  const f = url || `(${name})`;
  files.set(f, (files.get(f) ?? 0) + us);
}
const idle = [...self].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
const busy = total - idle;
const pct = (us) => ((100 * us) / busy).toFixed(1).padStart(5);
console.log(`profile ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)}%)`);
console.log('\n% of busy  self ms  function');
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)}  ${k}`);
console.log('\n% of busy  file');
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(us)}  ${k}`);
