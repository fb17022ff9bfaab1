// A span whose packets stop, through the real daemon's call core: two PSTN ⇄ PBX span pairs
// with a pass-through call on each. The PSTN end of the first pair "pulls the cable" (its span
// goes silent, no signalling): the daemon raises LOS (show spans, metric, health), and once the
// alarm has lasted alarmClearMs the call on that span clears with 38 — the PBX leg of the call
// gets 38 across, the CDR says 38 — while the other pair's call stays up and carries DTMF and a
// new call from the other PSTN span to the same PBX succeeds. When packets return the alarm
// clears, the D-channel comes back and calls work on the span again.
import t from 'tap';
import { WAIT, connect, dtmfThrough, startGateway, until } from './support/tdm-daemon.js';
import type { SimReport } from '../../src/tdm/sim.js';
import { runCli } from '../fixtures/daemon.js';

const ROUTING = {
  trunks: {
    pstn: { role: 'pstn', numberFormat: 'national' }, pstn2: { role: 'pstn', numberFormat: 'national' },
    pbx: { role: 'pbx', numberFormat: 'national' }, pbx2: { role: 'pbx', numberFormat: 'national' },
  },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }, { numbers: '+4930555200-+4930555299', owner: 'pbx2' }] }],
};

t.test('packets stop on one span: alarm, 38 on both legs, the other pair unaffected, recovery', async (t) => {
  const gw = await startGateway(t, {
    simAddr: '127.0.22.20', gwAddr: '127.0.22.21', routing: ROUTING, spanExtra: { alarmClearMs: 1000 },
    spans: [
      { id: 'pstn', trunk: 'pstn', gw: 'user', port: 22020 },
      { id: 'pbx', trunk: 'pbx', gw: 'network', port: 22022, incoming: { action: 'answer' } },
      { id: 'pstn2', trunk: 'pstn2', gw: 'user', port: 22024 },
      { id: 'pbx2', trunk: 'pbx2', gw: 'network', port: 22026, incoming: { action: 'answer' } },
    ],
  });
  const sims = gw.sims;
  const c1 = await connect(sims.pstn!, sims.pbx!, '30555123');
  const c2 = await connect(sims.pstn2!, sims.pbx2!, '30555223');
  await until(async () => (await gw.spans()).every((s) => s.calls.length === 1 && s.calls[0]!.media === 'bridged'), 'two bridged calls');

  // 1. The PSTN end of span "pstn" goes silent.
  const pbxEnd = sims.pbx!.waitFor((r) => r.event === 'hangup' && r.leg === c1.callee, WAIT);
  const pulledAt = gw.d.lines.length;
  await sims.pstn!.pullCable();
  await gw.d.waitFor((l) => gw.d.lines.indexOf(l) >= pulledAt && l.span === 'pstn' && l.msg === 'span alarm' && Array.isArray(l.alarms) && l.alarms.includes('los'), 'LOS logged');
  t.match(await pbxEnd, { cause: 38, by: 'remote' }, 'the PBX leg of the call on the dead span clears with 38');
  await until(async () => (await gw.cdr()).length >= 1, 'a CDR');
  t.match((await gw.cdr())[0], { cause: 38, a: { span: 'pstn' }, b: { span: 'pbx' } }, 'the CDR says 38');
  const v = await gw.spans();
  t.match(v.find((s) => s.id === 'pstn'), { alarms: ['los'], calls: [] }, 'show spans: LOS on the dead span, no calls');
  t.match(v.find((s) => s.id === 'pbx'), { alarms: [], dchannel: 'up', calls: [] });
  t.match(v.find((s) => s.id === 'pstn2'), { alarms: [], dchannel: 'up', inUse: 1 });
  const m = await gw.metrics();
  t.match(m, /spangate_tdm_span_alarm\{span="pstn",alarm="los"\} 1/);
  t.match(m, /spangate_tdm_span_alarm\{span="pstn2",alarm="los"\} 0/);
  t.match(m, /spangate_tdm_span_alarms_raised\{span="pstn"\} [1-9]/);
  const st = await runCli(['status', '--config', gw.f.config]);
  t.match(st.stdout, /tdm +degraded +3 of 4 spans up/, 'status: tdm degraded');
  const text = await runCli(['show', 'spans', '--config', gw.f.config]);
  t.match(text.stdout, /^span pstn \(E1 user euroisdn, trunk pstn\): D-channel (up|down), alarms LOS, channels 0\/30 in use$/m);

  // 2. The other pair: its call is up and carries DTMF both ways; a new call to the PBX whose
  // other span lost its call goes through from the healthy PSTN span.
  t.equal(await dtmfThrough(sims.pstn2!, c2.caller, sims.pbx2!, c2.callee, '42'), '42', 'DTMF PSTN → PBX on the other pair');
  t.equal(await dtmfThrough(sims.pbx2!, c2.callee, sims.pstn2!, c2.caller, '*'), '*', 'DTMF PBX → PSTN on the other pair');
  const c3 = await connect(sims.pstn2!, sims.pbx!, '30555124');
  t.equal(await dtmfThrough(sims.pstn2!, c3.caller, sims.pbx!, c3.callee, '3'), '3', 'a new call from the healthy span to the PBX carries DTMF');
  const h3 = sims.pbx!.waitFor((r) => r.event === 'hangup' && r.leg === c3.callee, WAIT);
  await sims.pstn2!.hangup(c3.caller, 16);
  t.match(await h3, { cause: 16 });

  // 3. Packets return (a fresh far end on the same address): the alarm clears, calls work again.
  const back = await gw.respawn('pstn');
  await back.waitUp(WAIT);
  await until(async () => {
    const s = (await gw.spans()).find((x) => x.id === 'pstn');
    return s?.alarms.length === 0 && s.dchannel === 'up';
  }, 'span pstn back up');
  t.ok(gw.d.lines.some((l) => l.span === 'pstn' && l.msg === 'span alarm cleared'), 'alarm clearing logged');
  t.match(await gw.metrics(), /spangate_tdm_span_alarm\{span="pstn",alarm="los"\} 0/);
  const c4 = await connect(back, sims.pbx!, '30555125');
  t.equal(await dtmfThrough(back, c4.caller, sims.pbx!, c4.callee, '8'), '8', 'calls work on the recovered span');
  const ends = [sims.pbx!.waitFor((r) => r.event === 'hangup' && r.leg === c4.callee, WAIT), sims.pbx2!.waitFor((r) => r.event === 'hangup' && r.leg === c2.callee, WAIT)];
  await back.hangup(c4.caller, 16);
  await sims.pstn2!.hangup(c2.caller, 16);
  t.match((await Promise.all(ends)) as SimReport[], [{ cause: 16 }, { cause: 16 }], 'both calls clear normally');
});
