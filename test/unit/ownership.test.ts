// STYLE.md habit 2: one module owns each third-party dependency, and only src/config reads
// process.env. This test reads every source file and fails on an import from the wrong place.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import t from 'tap';

const root = resolve(import.meta.dirname, '../..');

const OWNERS: [dependency: string, allowed: RegExp][] = [
  ['convict', /^src\/config\//],
  ['pino', /^src\/log\//],
  ['prom-client', /^src\/metrics\//],
  ['commander', /^src\/cli\//],
  ['koffi', /^src\/ffi\//],
  ['drachtio-srf', /^src\/sip\//],
  ['rtpengine-client', /^src\/media\/rtpengine/],
];

/** The call core imports no I/O library at all. */
const CALL_CORE_FORBIDDEN = ['drachtio-srf', 'koffi', 'rtpengine-client', 'pino', 'prom-client', 'node:net', 'node:dgram', 'node:fs'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function imports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

t.test('third-party dependencies are imported only by their owner', async (t) => {
  const problems: string[] = [];
  for (const file of sources(join(root, 'src'))) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    for (const spec of imports(text)) {
      for (const [dep, allowed] of OWNERS) {
        if ((spec === dep || spec.startsWith(`${dep}/`)) && !allowed.test(rel)) problems.push(`${rel} imports ${dep}`);
      }
      if (rel.startsWith('src/call/') && CALL_CORE_FORBIDDEN.includes(spec)) problems.push(`${rel} (call core) imports ${spec}`);
    }
    if (/process\.env\b/.test(text) && !rel.startsWith('src/config/')) problems.push(`${rel} reads process.env`);
  }
  t.same(problems, []);
});
