import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdrStore } from '../../../src/cdr/store.js';
import type { CallRecord } from '../../../src/call/call.js';
import { ConfigError } from '../../../src/errors.js';

const T0 = Date.UTC(2026, 10, 21, 8, 0, 0);
function rec(i: number, over: Partial<CallRecord> = {}): CallRecord {
  const answered = i % 3 !== 0;
  const r: CallRecord = {
    id: `call-${i}`,
    disposition: answered ? 'answered' : 'busy',
    cause: answered ? 16 : 17,
    causeText: answered ? 'Normal call clearing' : 'User busy',
    endedBy: 'a',
    startedAt: T0 + i * 60_000,
    progressAt: T0 + i * 60_000 + 800,
    endedAt: T0 + i * 60_000 + 30_000,
    a: { id: `a${i}`, kind: 'tdm', trunk: 'pstn1', calling: `+4930111${i}`, called: '+4930555200' },
    b: { id: `b${i}`, kind: 'sip', trunk: 'teams', calling: `+4930111${i}`, called: '+4930555200' },
    attempts: [],
    bInAttempts: false,
    route: ['owner of +4930555200-+4930555299'],
    ...over,
  } as CallRecord;
  if (answered) {
    r.answeredAt = T0 + i * 60_000 + 5_000;
    r.media = {
      a: { packetsIn: 1250, packetsOut: 1249, bytesIn: 215000, bytesOut: 214828, codec: 'PCMU' },
      b: { packetsIn: 1249, packetsOut: 1250, bytesIn: 107000, bytesOut: 107500, codec: 'G722', packetsLost: 2 },
    };
  }
  return r;
}

t.test('records and queries calls in WAL mode on disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spangate-cdr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'cdr.sqlite');
  const s = new CdrStore(path);
  t.equal(s.journalMode, 'wal');
  for (let i = 0; i < 9; i++) s.record(rec(i));
  s.record(rec(9, { disposition: 'no-route', cause: 1, causeText: 'Unallocated (unassigned) number', a: { id: 'a9', kind: 'sip', trunk: 'pbx', calling: '100', called: '0900' }, endedBy: 'local', b: undefined }));
  t.equal(s.get('call-9')!.b, null, 'a call that was never routed has no B leg');
  const row = s.get('call-1')!;
  t.equal(row.durationMs, 25_000);
  t.equal(row.a.codec, 'PCMU'); t.equal(row.b?.codec, 'G722');
  t.same(row.b?.rtp, { packetsIn: 1249, packetsOut: 1250, bytesIn: 107000, bytesOut: 107500, packetsLost: 2 });
  t.same(row.a.rtp?.packetsLost, null);
  t.same(row.route, ['owner of +4930555200-+4930555299']);
  t.equal(s.get('call-0')!.a.rtp, null, 'no media stats for an unanswered call');
  t.equal(s.get('nope'), undefined);
  s.close();

  // A second handle (the CLI) reads what the daemon wrote.
  const r = new CdrStore(path);
  t.teardown(() => r.close());
  t.equal(r.query().length, 10);
  t.same(r.query({ limit: 3 }).map((x) => x.id), ['call-9', 'call-8', 'call-7'], 'newest first');
  t.same(r.query({ limit: 2, offset: 2 }).map((x) => x.id), ['call-7', 'call-6']);
  t.equal(r.query({ since: T0 + 5 * 60_000 }).length, 5);
  t.equal(r.query({ since: T0 + 2 * 60_000, until: T0 + 4 * 60_000 }).length, 2);
  t.same(r.query({ number: '+49301113' }).map((x) => x.id), ['call-3']);
  t.equal(r.query({ number: '+4930111*' }).length, 9);
  t.equal(r.query({ number: '*200' }).length, 9);
  t.equal(r.query({ number: '100_' }).length, 0, 'LIKE metacharacters are literal');
  t.equal(r.query({ trunk: 'teams' }).length, 9);
  t.equal(r.query({ trunk: 'pbx' }).length, 1);
  t.equal(r.query({ disposition: 'busy' }).length, 3);
  t.equal(r.query({ disposition: ['busy', 'no-route'] }).length, 4);
  t.equal(r.query({ disposition: 'answered', trunk: 'teams', number: '+49301114' }).length, 1);
  t.throws(() => r.query({ disposition: 'weird' as 'busy' }), ConfigError);
  const sum = r.summary();
  t.equal(sum.calls, 10);
  t.equal(sum.answered, 6);
  t.equal(sum.asr, 60);
  t.equal(sum.acdS, 25);
  t.same(sum.byDisposition, { answered: 6, busy: 3, 'no-route': 1 });
  t.same(sum.byCause, { '1': 1, '16': 6, '17': 3 });
  t.equal(r.summary({ trunk: 'nobody' }).asr, 0);
  t.equal(r.prune(T0 + 3 * 60_000), 3);
  t.equal(r.query().length, 7);
});

t.test('re-recording a call replaces its row', async (t) => {
  const s = new CdrStore(':memory:');
  t.teardown(() => s.close());
  s.record(rec(1));
  s.record(rec(1, { cause: 31, causeText: 'Normal, unspecified' }));
  t.equal(s.query().length, 1);
  t.equal(s.get('call-1')!.cause, 31);
});

t.test('a database from a newer spangate is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spangate-cdr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'cdr.sqlite');
  new CdrStore(path).close();
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path); db.pragma('user_version = 99'); db.close();
  t.throws(() => new CdrStore(path), ConfigError);
});

t.test('10,000 calls insert and query quickly enough for a branch box', async (t) => {
  const s = new CdrStore(':memory:');
  t.teardown(() => s.close());
  for (let i = 0; i < 10_000; i++) s.record(rec(i));
  t.equal(s.summary().calls, 10_000);
  t.equal(s.query({ number: '+493011142*', limit: 10_000 }).length, 111);
});

t.test('schema 2: TDM span and channel per leg; a schema-1 database is migrated in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spangate-cdr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'v1.sqlite');
  // A version-1 file: the calls table as schema 1 had it, with one row.
  const Database = (await import('better-sqlite3')).default;
  const old = new Database(path);
  old.exec(`CREATE TABLE calls (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, progress_at INTEGER, answered_at INTEGER,
    ended_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, disposition TEXT NOT NULL, cause INTEGER NOT NULL,
    cause_text TEXT NOT NULL, ended_by TEXT NOT NULL, a_leg TEXT NOT NULL, a_kind TEXT NOT NULL, a_trunk TEXT NOT NULL,
    a_calling TEXT NOT NULL, a_called TEXT NOT NULL, b_leg TEXT, b_kind TEXT, b_trunk TEXT, b_calling TEXT, b_called TEXT,
    a_codec TEXT, b_codec TEXT, a_packets_in INTEGER, a_packets_out INTEGER, a_bytes_in INTEGER, a_bytes_out INTEGER,
    a_packets_lost INTEGER, b_packets_in INTEGER, b_packets_out INTEGER, b_bytes_in INTEGER, b_bytes_out INTEGER,
    b_packets_lost INTEGER, attempts TEXT NOT NULL, route TEXT NOT NULL)`);
  old.prepare(`INSERT INTO calls (id, started_at, ended_at, duration_ms, disposition, cause, cause_text, ended_by, a_leg, a_kind,
    a_trunk, a_calling, a_called, attempts, route) VALUES ('old', 1, 2, 0, 'busy', 17, 'User busy', 'b', 'x', 'sip', 't', '1', '2', '[]', '[]')`).run();
  old.pragma('user_version = 1');
  old.close();

  const s = new CdrStore(path);
  t.teardown(() => s.close());
  t.match(s.get('old'), { a: { span: null, channel: null }, disposition: 'busy', transfers: [] }, 'old rows read with empty TDM fields and no transfers');
  s.record(rec(1, {
    a: { id: 'a1', kind: 'tdm', trunk: 'pstn1', calling: '+49301', called: '+4930555200', span: 'e1a', channel: 5 },
    b: { id: 'b1', kind: 'tdm', trunk: 'pbx', calling: '+49301', called: '+4930555200', span: 'e1b', channel: 30 },
  }));
  t.match(s.get('call-1'), { a: { span: 'e1a', channel: 5 }, b: { span: 'e1b', channel: 30 } });
});

t.test('schema 3: transfers per call (JSON); a schema-2 database gets the column', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spangate-cdr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'v2.sqlite');
  const v2 = new CdrStore(path);
  v2.record(rec(1));
  v2.close();
  // Back to a version-2 file: the same table without the transfers column.
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path);
  db.exec('ALTER TABLE calls DROP COLUMN transfers');
  db.pragma('user_version = 2');
  db.close();

  const s = new CdrStore(path);
  t.teardown(() => s.close());
  t.same(s.get('call-1')?.transfers, [], 'old rows have none');
  const transfers: CallRecord['transfers'] = [
    { from: 'b', to: '+4930555300', kind: 'attended', trunk: 'pbx', joinedCall: 'call-9' },
    { from: 'b', to: '300', kind: 'blind', trunk: 'pstn1', cause: 17 },
  ];
  s.record(rec(2, { transfers }));
  t.same(s.get('call-2')?.transfers, transfers);
  s.record(rec(4, { transfers: [] }));
  t.same(s.get('call-4')?.transfers, []);
});
