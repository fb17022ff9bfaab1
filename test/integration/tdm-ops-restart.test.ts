// RESTART of a span mid-call clears only that span's calls, through the real daemon's call core:
// two PSTN ⇄ PBX span pairs (pass-through calls bridged natively), two calls up on the first
// pair and one on the second. The PSTN restarts its span from the far side: both calls on it
// clear with 41 at both ends (the PBX leg gets the cause mapped across), the CDRs say 41, and
// the other pair's call stays up and still carries DTMF both ways. Then the operator restarts
// a span with `spangate span restart`: its call clears with 41 at both far ends.
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';
import { WAIT, connect, dtmfThrough, startGateway, until } from './support/tdm-daemon.js';
import type { SimReport } from '../../src/tdm/sim.js';

const ROUTING = {
  trunks: {
    pstn: { role: 'pstn', numberFormat: 'national' }, pstn2: { role: 'pstn', numberFormat: 'national' },
    pbx: { role: 'pbx', numberFormat: 'national' }, pbx2: { role: 'pbx', numberFormat: 'national' },
  },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }, { numbers: '+4930555200-+4930555299', owner: 'pbx2' }] }],
};

t.test('RESTART clears only the restarted span\'s calls (far end and CLI)', async (t) => {
  const gw = await startGateway(t, {
    simAddr: '127.0.22.10', gwAddr: '127.0.22.11', routing: ROUTING,
    spans: [
      { id: 'pstn', trunk: 'pstn', gw: 'user', port: 22010 },
      { id: 'pbx', trunk: 'pbx', gw: 'network', port: 22012, incoming: { action: 'answer' } },
      { id: 'pstn2', trunk: 'pstn2', gw: 'user', port: 22014 },
      { id: 'pbx2', trunk: 'pbx2', gw: 'network', port: 22016, incoming: { action: 'answer' } },
    ],
  });
  const { pstn, pbx, pstn2, pbx2 } = gw.sims as Record<string, NonNullable<(typeof gw.sims)[string]>>;
  const c1 = await connect(pstn!, pbx!, '30555123');
  const c2 = await connect(pstn!, pbx!, '30555124');
  const c3 = await connect(pstn2!, pbx2!, '30555223');
  await until(async () => (await gw.spans()).every((s) => s.inUse === (s.id.endsWith('2') ? 1 : 2) && s.calls.every((c) => c.media === 'bridged')), async () => `three bridged calls: ${JSON.stringify((await gw.spans()).map((s) => [s.id, s.inUse, s.calls]))}`);
  t.equal(await dtmfThrough(pstn2!, c3.caller, pbx2!, c3.callee, '12'), '12', 'the second pair carries DTMF before the RESTART');

  // 1. The PSTN restarts its whole span.
  const ended = (sim: typeof pstn, leg: string) => sim!.waitFor((r) => r.event === 'hangup' && r.leg === leg, WAIT);
  const waits = [ended(pstn, c1.caller), ended(pstn, c2.caller), ended(pbx, c1.callee), ended(pbx, c2.callee)];
  pstn!.restart();
  const [a1, a2, b1, b2] = (await Promise.all(waits)) as SimReport[];
  t.match([a1, a2], [{ cause: 41 }, { cause: 41 }], 'the PSTN\'s own calls on the span are gone (41)');
  t.match([b1, b2], [{ cause: 41, by: 'remote' }, { cause: 41, by: 'remote' }], 'the PBX legs of those calls clear with 41 mapped across');
  await gw.d.waitFor((l) => l.span === 'pstn' && l.msg === 'RESTART' && l.by === 'far end', 'RESTART logged');
  await until(async () => {
    const v = await gw.spans();
    return v.find((s) => s.id === 'pstn')?.inUse === 0 && v.find((s) => s.id === 'pbx')?.inUse === 0;
  }, 'the first pair idle');
  const spans = await gw.spans();
  t.match(spans, [
    // libpri restarts a whole span as one RESTART per B-channel: 30 on an E1.
    { id: 'pstn', inUse: 0, dchannel: 'up', counters: { restarts: 30 } },
    { id: 'pbx', inUse: 0 },
    { id: 'pstn2', inUse: 1, calls: [{ state: 'answered', media: 'bridged' }] },
    { id: 'pbx2', inUse: 1, counters: { restarts: 0 } },
  ], 'show spans: the restarted pair is idle, the other pair still has its call');
  t.match(await gw.metrics(), /spangate_tdm_span_restarts\{span="pstn"\} 30/);
  await until(async () => (await gw.cdr()).length >= 2, 'two CDRs');
  const rows = await gw.cdr();
  t.equal(rows.length, 2, 'only the two restarted calls ended');
  for (const r of rows) {
    t.match(r, { cause: 41, disposition: 'answered', endedBy: 'a', a: { span: 'pstn', trunk: 'pstn' }, b: { span: 'pbx', trunk: 'pbx' } }, `CDR ${r.id}: cause 41, PSTN leg ended it`);
  }

  // 2. The other pair's call is untouched and carries DTMF both ways.
  t.equal(await dtmfThrough(pstn2!, c3.caller, pbx2!, c3.callee, '5#'), '5#', 'DTMF PSTN → PBX on the other pair after the RESTART');
  t.equal(await dtmfThrough(pbx2!, c3.callee, pstn2!, c3.caller, '90'), '90', 'DTMF PBX → PSTN on the other pair after the RESTART');

  // 3. The restarted span takes calls again.
  const c4 = await connect(pstn!, pbx!, '30555125');
  t.equal(await dtmfThrough(pstn!, c4.caller, pbx!, c4.callee, '7'), '7', 'a new call on the restarted span carries DTMF');

  // 4. The operator restarts the second PBX span from the CLI.
  const w3 = [ended(pbx2, c3.callee), ended(pstn2, c3.caller)];
  const cli = await runCli(['span', 'restart', 'pbx2', '--config', gw.f.config]);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /^RESTART sent on span pbx2: 1 call\(s\) cleared with cause 41$/m);
  const [p3, s3] = (await Promise.all(w3)) as SimReport[];
  t.match(p3, { cause: 41, by: 'remote' }, 'the PBX far end saw the RESTART clear its call (41)');
  t.match(s3, { cause: 41, by: 'remote' }, 'the PSTN caller of that call gets 41 mapped across');
  t.equal(pstn!.legs().length, 1, 'the call on the first pair is still up');
  const bad = await runCli(['span', 'restart', 'nope', '--config', gw.f.config]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /no span nope/);
  const badCh = await runCli(['span', 'restart', 'pbx2', '--channel', 'x', '--config', gw.f.config]);
  t.equal(badCh.code, 2, 'a bad channel is a usage error');

  await until(async () => (await gw.cdr()).length >= 3, 'three CDRs');
  t.match((await gw.cdr()).find((r) => r.a.span === 'pstn2'), { cause: 41, endedBy: 'local', b: { span: 'pbx2' } }, 'CDR of the CLI restart: ended by spangate');
  const hang = ended(pbx, c4.callee);
  await pstn!.hangup(c4.caller, 16);
  t.match(await hang, { cause: 16 });
});
