// The CDR subsystem: opens the store at the configured (or state-dir) path, writes records,
// prunes by retention, survives a failing store, does nothing when disabled.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CallRecord } from '../../../src/call/call.js';
import { CdrStore } from '../../../src/cdr/store.js';
import { CdrSubsystem } from '../../../src/cdr/subsystem.js';
import { config, memoryLog, metrics, scrape } from '../../fixtures/subsystem.js';
import { tmpDir } from '../../fixtures/tmp.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 21, 8, 0, 0);

function rec(id: string, startedAt: number): CallRecord {
  return {
    id, disposition: 'answered', cause: 16, causeText: 'Normal call clearing', endedBy: 'a',
    startedAt, answeredAt: startedAt + 1000, endedAt: startedAt + 61_000,
    a: { id: `${id}-a`, kind: 'sip', trunk: 'carrier', calling: '+4989123', called: '+4930555123' },
    b: { id: `${id}-b`, kind: 'sip', trunk: 'pbx', calling: '+4989123', called: '+4930555123' },
    attempts: [], bInAttempts: false, route: ['owner of +4930555100-+4930555199'],
  };
}

t.test('default path is cdr.sqlite in the state directory; records are written and pruned', async (t) => {
  const dir = tmpDir(t);
  const m = metrics();
  const cfg = config({ daemon: { stateDir: join(dir, 'state') }, cdr: { retentionDays: 30 } });
  let now = NOW;
  const s = new CdrSubsystem({ config: cfg, log: memoryLog().log, metrics: m, now: () => now });
  t.equal(s.path, join(dir, 'state', 'cdr.sqlite'));
  await s.start();
  t.teardown(() => s.stop());
  t.ok(existsSync(s.path));
  t.same(s.health(), { status: 'ok', detail: s.path });
  s.record(rec('old', NOW - 40 * DAY));
  s.record(rec('new', NOW - 1 * DAY));
  t.equal(s.prune(), 1, 'a call older than 30 days is deleted');
  now += 20 * DAY;
  t.equal(s.prune(), 0);
  const reader = new CdrStore(s.path);
  t.same(reader.query().map((r) => r.id), ['new']);
  reader.close();
  // Retention shortened by reload prunes at once.
  s.reload(config({ daemon: { stateDir: join(dir, 'state') }, cdr: { retentionDays: 7 } }));
  const again = new CdrStore(s.path);
  t.equal(again.query().length, 0);
  again.close();
  const text = await scrape(m);
  t.match(text, /spangate_cdr_records_total 2/);
  t.match(text, /spangate_cdr_pruned_total 2/);
});

t.test('retention 0 keeps everything; cdr.path wins over the state directory', async (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'x', 'calls.sqlite');
  const s = new CdrSubsystem({ config: config({ cdr: { path, retentionDays: 0 } }), log: memoryLog().log, metrics: metrics(), now: () => NOW });
  await s.start();
  t.teardown(() => s.stop());
  t.equal(s.path, path);
  s.record(rec('ancient', NOW - 4000 * DAY));
  t.equal(s.prune(), 0);
});

t.test('a failing store is logged and counted; the caller never sees it', async (t) => {
  const m = metrics();
  const { log, lines } = memoryLog();
  const s = new CdrSubsystem({
    config: config({ cdr: { path: '/x/cdr.sqlite' } }), log, metrics: m,
    open: () => ({ record: () => { throw new Error('SQLITE_FULL: database or disk is full'); }, prune: () => 0, close: () => {} }),
  });
  await s.start();
  t.doesNotThrow(() => s.record(rec('c1', NOW)));
  t.equal(s.health().status, 'degraded');
  t.match(s.health().detail, /SQLITE_FULL/);
  t.match(await scrape(m), /spangate_cdr_write_errors_total 1/);
  t.ok(lines.some((l) => l.msg === 'cannot write CDR' && l.callId === 'c1'));
  await s.stop();
});

t.test('disabled: nothing is opened', async (t) => {
  let opened = 0;
  const s = new CdrSubsystem({
    config: config({ cdr: { enabled: false } }), log: memoryLog().log, metrics: metrics(),
    open: () => { opened++; throw new Error('must not open'); },
  });
  await s.start();
  s.record(rec('c1', NOW));
  t.equal(opened, 0);
  t.same(s.health(), { status: 'ok', detail: 'disabled' });
  await s.stop();
});
