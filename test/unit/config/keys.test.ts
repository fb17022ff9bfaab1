import t from 'tap';
import { deletePath, getPath, lookup, setPath } from '../../../src/config/keys.js';

t.test('lookup', async (t) => {
  const k = lookup('daemon.drainTimeoutMs');
  t.equal(k.kind, 'key');
  if (k.kind === 'key') t.same(k.rest, []);
  const m = lookup('log.subsystems.sip');
  t.equal(m.kind, 'key');
  if (m.kind === 'key') {
    t.equal(m.info.path, 'log.subsystems');
    t.same(m.rest, ['sip']);
  }
  const s = lookup('metrics');
  t.equal(s.kind, 'section');
  const u = lookup('metrics.prot');
  t.same(u, { kind: 'unknown', known: 'metrics', children: ['enabled', 'address', 'port'] });
  t.equal(lookup('toString').kind, 'unknown', 'prototype names are not keys');
});

t.test('get, set and delete by dotted path', async (t) => {
  const o: Record<string, unknown> = {};
  setPath(o, 'a.b.c', 1);
  t.same(o, { a: { b: { c: 1 } } });
  t.equal(getPath(o, 'a.b.c'), 1);
  t.equal(getPath(o, 'a.x.c'), undefined);
  setPath(o, 'a.d', 2);
  deletePath(o, 'a.b.c');
  t.same(o, { a: { d: 2 } }, 'emptied sections go too');
  t.throws(() => setPath(o, '__proto__.polluted', 1), /forbidden/);
  t.throws(() => setPath(o, 'a.constructor', 1), /forbidden/);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});
