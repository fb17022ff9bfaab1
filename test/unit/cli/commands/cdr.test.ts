// `spangate cdr` in-process against a store written through the store API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CallRecord } from '../../../../src/call/call.js';
import { CdrStore } from '../../../../src/cdr/store.js';
import { formatCdrs, parseWhen } from '../../../../src/cli/commands/cdr.js';
import { cli } from '../../../fixtures/cli.js';
import { tmpDir } from '../../../fixtures/tmp.js';

const NOW = Date.now();

function rec(i: number, over: Partial<CallRecord> = {}): CallRecord {
  return {
    id: `call-${i}`, disposition: 'answered', cause: 16, causeText: 'Normal call clearing', endedBy: 'a',
    startedAt: NOW - i * 3_600_000, answeredAt: NOW - i * 3_600_000 + 2000, endedAt: NOW - i * 3_600_000 + 62_000,
    a: { id: `a${i}`, kind: 'sip', trunk: 'carrier', calling: `+498912${i}`, called: '+4930555123' },
    b: { id: `b${i}`, kind: 'sip', trunk: 'pbx', calling: `+498912${i}`, called: '030555123' },
    attempts: [], bInAttempts: false, route: ['owner'],
    media: { a: { packetsIn: 3000, packetsOut: 2999, bytesIn: 1, bytesOut: 1, codec: 'PCMU' }, b: { packetsIn: 2999, packetsOut: 3000, bytesIn: 1, bytesOut: 1, codec: 'G722' } },
    ...over,
  };
}

t.test('cdr reads the configured database with filters', async (t) => {
  const dir = tmpDir(t);
  const stateDir = join(dir, 'state');
  const store = new CdrStore(join(stateDir, 'cdr.sqlite'));
  store.record(rec(0));
  store.record(rec(1, { disposition: 'busy', cause: 17, answeredAt: undefined, media: undefined, b: { id: 'b1', kind: 'sip', trunk: 'teams', calling: '+4989121', called: '+4930555123' } }));
  store.record(rec(30));
  store.close();
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ daemon: { stateDir } }));

  const all = await cli(['cdr', '-c', file]);
  t.equal(all.code, 0, all.stderr);
  t.match(all.stdout, /^STARTED \(UTC\) +DUR +DISPOSITION/);
  t.match(all.stdout, /answered +16 +carrier +pbx +\+4989120 +\+4930555123 +PCMU\/G722 +3000\/2999/);
  t.match(all.stdout, /3 shown of 3 matching; answered 2 \(ASR 66\.7%\), ACD 60s/);

  const recent = await cli(['cdr', '-c', file, '--since', '2h']);
  t.match(recent.stdout, /2 shown of 2 matching/);
  const busy = await cli(['cdr', '-c', file, '--disposition', 'busy,no-answer', '--json']);
  const rows = JSON.parse(busy.stdout) as { id: string }[];
  t.same(rows.map((r) => r.id), ['call-1']);
  const trunk = await cli(['cdr', '-c', file, '--trunk', 'teams']);
  t.match(trunk.stdout, /1 shown of 1 matching/);
  const num = await cli(['cdr', '-c', file, '--number', '+498912*', '--limit', '1']);
  t.match(num.stdout, /1 shown of 3 matching/);
  const until = await cli(['cdr', '--db', join(stateDir, 'cdr.sqlite'), '--until', new Date(NOW - 86_400_000).toISOString()]);
  t.match(until.stdout, /call-30/);
  t.match(until.stdout, /1 shown of 1 matching/);
});

t.test('cdr errors: no database, bad options', async (t) => {
  const dir = tmpDir(t);
  const none = await cli(['cdr', '--db', join(dir, 'missing.sqlite')]);
  t.equal(none.code, 2);
  t.match(none.stderr, /no CDR database at .*missing\.sqlite/);
  const badSince = await cli(['cdr', '--since', 'yesterday']);
  t.equal(badSince.code, 2);
  t.match(badSince.stderr, /must be an ISO 8601 time/);
  const badLimit = await cli(['cdr', '--limit', '0']);
  t.equal(badLimit.code, 2);
  const store = new CdrStore(join(dir, 'c.sqlite'));
  store.close();
  const badDisp = await cli(['cdr', '--db', join(dir, 'c.sqlite'), '--disposition', 'lost']);
  t.equal(badDisp.code, 2);
  t.match(badDisp.stderr, /unknown disposition "lost"/);
});

t.test('parseWhen and the empty table', async (t) => {
  t.equal(parseWhen('30m', 1_000_000_000), 1_000_000_000 - 1_800_000);
  t.equal(parseWhen('7d', 1_000_000_000_000), 1_000_000_000_000 - 7 * 86_400_000);
  t.equal(parseWhen('2026-11-21T08:00:00Z'), Date.UTC(2026, 10, 21, 8));
  t.throws(() => parseWhen('soon'));
  t.equal(formatCdrs([]), 'no matching calls');
});
