// A PRI call between two PriLegs over two real vspans back to back (T1, NI2, so the calling
// name is carried): the PSTN simulator (network side) and a SpanManager (user side, the
// gateway) in this process through koffi. SETUP -> CONNECT -> RELEASE with numbers, TON,
// presentation, name, channel and causes checked, both directions.
import t from 'tap';
import { AdminMethods } from '../../src/admin/index.js';
import type { SpangateConfig } from '../../src/config/index.js';
import type { HangupInfo } from '../../src/call/leg.js';
import { SpanManager, loadTdmNative, type PriLeg } from '../../src/tdm/index.js';
import { PstnSim, type SimReport } from '../../src/tdm/sim.js';

const WAIT = 30_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const base = { type: 't1', switchtype: 'national', trunk: 'pstn' } as const;

t.test('PRI calls both ways between the PSTN simulator and the gateway', async (t) => {
  const sim = new PstnSim({
    native: loadTdmNative,
    span: { ...base, id: 'pstn', side: 'network', localAddress: '127.0.10.1', localPort: 62010, remoteAddress: '127.0.10.2', remotePort: 62011 },
  });
  const admin = new AdminMethods();
  const gw = new SpanManager({
    config: { spans: [{ ...base, id: 'pri1', side: 'user', localAddress: '127.0.10.2', localPort: 62011, remoteAddress: '127.0.10.1', remotePort: 62010 }] } as unknown as SpangateConfig['tdm'],
    native: loadTdmNative, admin, log: quiet,
  });
  t.teardown(async () => { await gw.stop(); await sim.close(); });
  await sim.start();
  await gw.start();
  await Promise.all([sim.waitUp(WAIT), gw.waitAllUp(WAIT)]);
  t.match(gw.health(), { status: 'ok', detail: '1 of 1 spans up' });

  // PSTN -> gateway: the gateway answers, the PSTN hangs up with 16.
  const incoming = new Promise<PriLeg>((r) => gw.once('incoming', r));
  const reports: SimReport[] = [];
  sim.on('report', (r) => reports.push(r));
  const id = await sim.call({ calling: '2125550100', callingTon: 'national', callingName: 'ALICE', called: '5551234', calledTon: 'subscriber' });
  const leg = await incoming;
  t.equal(leg.direction, 'inbound');
  t.equal(leg.calling, '2125550100');
  t.equal(leg.called, '5551234');
  t.match(leg.callingParty, { ton: 'national', npi: 'e164', name: 'ALICE', presentation: 'allowed' });
  t.match(leg.calledParty, { ton: 'subscriber' });
  t.ok(leg.channel >= 1 && leg.channel <= 23, `B-channel ${leg.channel}`);
  const shown = gw.show()[0]!;
  t.match(shown, { id: 'pri1', dchannel: 'up', alarms: [], channels: 23, inUse: 1 });
  t.match(shown.calls, [{ leg: leg.id, channel: leg.channel, direction: 'inbound', called: '5551234' }]);

  const ringing = sim.waitFor((r) => r.event === 'ringing' && r.leg === id, WAIT);
  await leg.progress({ ringing: true });
  await ringing;
  const answered = sim.waitFor((r) => r.event === 'answer' && r.leg === id, WAIT);
  await leg.answer();
  t.match(await answered, { channel: leg.channel });
  const gwEnded = new Promise<HangupInfo>((r) => leg.once('hangup', r));
  const simEnded = sim.waitFor((r) => r.event === 'hangup' && r.leg === id, WAIT);
  await sim.hangup(id, 16);
  t.match(await gwEnded, { cause: 16, by: 'remote' });
  t.match(await simEnded, { cause: 16, by: 'local' });
  t.same(gw.show()[0]!.calls, [], 'no calls left');

  // Gateway -> PSTN: restricted presentation (libpri then withholds the name too), the PSTN
  // answers, the gateway hangs up with 16.
  sim.setPolicy({ action: 'answer' });
  const out = gw.createLeg('pstn');
  const simIn = sim.waitFor((r) => r.event === 'incoming', WAIT);
  const progress: string[] = [];
  out.on('progress', (p) => progress.push(p.ringing ? 'ringing' : 'progress'));
  const outAnswered = new Promise<void>((r) => out.once('answer', () => r()));
  await out.originate({ calling: '+12125550199', called: '18005551212', callingPresentation: 'restricted', callingName: 'GATEWAY' });
  t.match(await simIn, { calling: '12125550199', callingTon: 'international', called: '18005551212', presentation: 'restricted', callingName: '' });
  await outAnswered;
  t.equal(out.state, 'answered');
  t.same(progress, ['ringing']);
  const simHung = sim.waitFor((r) => r.event === 'hangup', WAIT);
  await out.hangup(16);
  t.equal(out.state, 'ended');
  t.match(await simHung, { cause: 16, by: 'remote' });
  t.ok(reports.some((r) => r.event === 'setup' && r.leg === id));
});
