// PBX ↔ PSTN pass-through: a PSTN call to a PBX-owned number enters the gateway on one E1
// span, is routed by the router (ownership) through the call core (CallDispatcher, TdmProvider)
// and leaves on the PBX span; audio is bridged natively between the two B-channels: in-band
// DTMF sent by the PSTN side is detected by the PBX side's DTMF receiver, and back. Then the
// causes: busy (17) and no answer (19) map back to the PSTN caller, an unallocated number (1)
// is refused by routing. Real libpri on all four D-channels, over vspan.
import t from 'tap';
import { AdminMethods } from '../../src/admin/index.js';
import { CallDispatcher } from '../../src/call/dispatcher.js';
import { CallRegistry } from '../../src/call/registry.js';
import type { CallRecord } from '../../src/call/call.js';
import type { SpangateConfig } from '../../src/config/index.js';
import { compileRouting, NumberRouter } from '../../src/routing/router.js';
import { SpanManager, TdmProvider, loadTdmNative } from '../../src/tdm/index.js';
import { PstnSim, type SimReport } from '../../src/tdm/sim.js';
import type { NativeEvent } from '../../src/ffi/events.js';
import { decodeDspEvent } from '../../src/ffi/tdm.js';

const WAIT = 30_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const base = { type: 'e1', switchtype: 'euroisdn', country: 'de' } as const;
const plan = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
// Far ends on 127.0.25.20, the gateway on 127.0.25.21.
const span = (id: string, side: 'network' | 'user', local: string, port: number, remote: string, rport: number) => ({
  ...base, id, trunk: id, side, localAddress: local, localPort: port, remoteAddress: remote, remotePort: rport,
});

t.test('PSTN → gateway → PBX over two PRI spans: routed, bridged, causes mapped', async (t) => {
  const pstn = new PstnSim({ native: loadTdmNative, span: span('pstn', 'network', '127.0.25.20', 25040, '127.0.25.21', 25041) });
  const pbx = new PstnSim({ native: loadTdmNative, span: span('pbx', 'user', '127.0.25.20', 25042, '127.0.25.21', 25043), incoming: { action: 'answer' } });
  const gw = new SpanManager({
    config: { spans: [span('pstn', 'user', '127.0.25.21', 25041, '127.0.25.20', 25040), span('pbx', 'network', '127.0.25.21', 25043, '127.0.25.20', 25042)] } as unknown as SpangateConfig['tdm'],
    native: loadTdmNative, admin: new AdminMethods(), log: quiet, media: true,
  });
  const router = new NumberRouter(compileRouting({
    plan,
    trunks: { pstn: { role: 'pstn', numberFormat: 'national' }, pbx: { role: 'pbx', numberFormat: 'national' } },
    sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }] }],
    routes: [{ id: 'unallocated', called: '+49305559*', targets: [], reject: 1 }],
    failoverCauses: [],
  } as unknown as Parameters<typeof compileRouting>[0]));
  const registry = new CallRegistry();
  const records: CallRecord[] = [];
  registry.onEnded((r) => records.push(r));
  let ringTimeoutMs = 60_000;
  const dispatcher = new CallDispatcher({
    registry, router, relay: () => undefined, accepting: () => true, ringTimeoutMs: () => ringTimeoutMs,
  });
  const provider = new TdmProvider({ manager: gw, inbound: (l) => dispatcher.inbound(l), plan: () => plan, log: quiet });
  dispatcher.addProvider(provider);
  t.teardown(async () => {
    provider.close();
    await gw.stop();
    await pstn.close().catch(() => undefined);
    await pbx.close().catch(() => undefined);
  });
  await pstn.start();
  await pbx.start();
  await gw.start();
  await Promise.all([pstn.waitUp(WAIT), pbx.waitUp(WAIT), gw.waitAllUp(WAIT)]);

  // 1. A national call to a PBX-owned number: routed to the PBX span, answered there.
  const pbxIncoming = pbx.waitFor((r) => r.event === 'incoming', WAIT);
  const answered = pstn.waitFor((r) => r.event === 'answer', WAIT);
  const leg = await pstn.call({ calling: '301234567', called: '30555123', callingTon: 'national', calledTon: 'national' });
  const inc = (await pbxIncoming) as SimReport;
  t.match(inc, { called: '30555123', calledTon: 'national', calling: '301234567', callingTon: 'national' }, 'numbers and TON as routed (national format on the PBX trunk)');
  t.match(gw.show(), [{ id: 'pstn', inUse: 1 }, { id: 'pbx', inUse: 1 }]);

  // 2. Audio both ways through the native timeslot bridge: in-band DTMF generated on one far
  // end's B-channel is detected by the DTMF receiver on the other's (native DSP on both).
  const pbxLeg = inc.leg as string;
  const ans = (await answered) as SimReport;
  const bridged = async (): Promise<void> => {
    for (let i = 0; i < 400; i++) {
      if (gw.show().every((s) => s.calls.length === 1 && s.calls.every((c) => c.media === 'bridged'))) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`the two B-channels were not bridged: ${JSON.stringify(gw.show().map((s) => s.calls))}`);
  };
  await bridged();
  const n = loadTdmNative();
  const tdm = n.tdm!;
  const farA = tdm.create({ span: pstn.show()!.handle, timeslot: ans.channel as number });
  const farB = tdm.create({ span: pbx.show()!.handle, timeslot: inc.channel as number });
  t.teardown(() => { for (const h of [farA, farB]) { try { tdm.destroy(h); } catch { /* gone */ } } });
  const digitAt = (ch: number, digit: string): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { n.events.off('event', on); reject(new Error(`no in-band ${digit} on channel ${ch}`)); }, WAIT);
    const on = (e: NativeEvent): void => {
      const d = decodeDspEvent(e);
      if (d?.kind !== 'dtmf-end' || d.channel !== ch || d.digit !== digit) return;
      clearTimeout(timer);
      n.events.off('event', on);
      resolve();
    };
    n.events.on('event', on);
  });
  const at5 = digitAt(farB, '5');
  tdm.sendDtmf(farA, '5', 120, 80);
  await at5;
  t.pass('DTMF 5 sent in-band by the PSTN side is detected on the PBX side');
  const atHash = digitAt(farA, '#');
  tdm.sendDtmf(farB, '#', 120, 80);
  await atHash;
  t.pass('DTMF # sent in-band by the PBX side is detected on the PSTN side');

  const pbxHangup = pbx.waitFor((r) => r.event === 'hangup' && r.leg === pbxLeg, WAIT);
  const pstnHangup = pstn.waitFor((r) => r.event === 'hangup' && r.leg === leg, WAIT);
  await pstn.hangup(leg, 16);
  t.match(await pbxHangup, { cause: 16, by: 'remote' }, 'the PSTN caller hung up: the PBX side clears with 16');
  await pstnHangup;

  // 3. Busy at the PBX: 17 back to the PSTN caller.
  pbx.setPolicy({ action: 'reject', cause: 17 });
  const busy = pstn.waitFor((r) => r.event === 'hangup', WAIT);
  await pstn.call({ calling: '301234567', called: '30555124', callingTon: 'national', calledTon: 'national' });
  t.match(await busy, { cause: 17 }, 'user busy mapped across');

  // 4. No answer: the ring timeout clears with 19 on both sides.
  pbx.setPolicy({ action: 'ring' });
  ringTimeoutMs = 1500;
  const noAnswerPbx = pbx.waitFor((r) => r.event === 'hangup', WAIT);
  const noAnswer = pstn.waitFor((r) => r.event === 'hangup', WAIT);
  await pstn.call({ calling: '301234567', called: '30555125', callingTon: 'national', calledTon: 'national' });
  t.match(await noAnswer, { cause: 19 }, 'no answer: 19 to the caller');
  t.match(await noAnswerPbx, { cause: 19 }, 'no answer: 19 to the PBX');

  // 5. Unallocated number: routing refuses it with 1.
  const unalloc = pstn.waitFor((r) => r.event === 'hangup', WAIT);
  await pstn.call({ calling: '301234567', called: '30555999', callingTon: 'national', calledTon: 'national' });
  t.match(await unalloc, { cause: 1 }, 'unallocated number refused with 1');

  for (let i = 0; i < 100 && records.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
  t.match(records.map((r) => r.disposition), ['answered', 'busy', 'no-answer', 'no-route'].map((d) => d === 'no-route' ? /no-route|rejected|failed/ : d));
  t.match(records[0], { a: { kind: 'tdm', trunk: 'pstn', span: 'pstn' }, b: { kind: 'tdm', trunk: 'pbx', span: 'pbx' } }, 'CDR legs carry span and channel');
  t.ok((records[0]!.a.channel ?? 0) > 0 && (records[0]!.b?.channel ?? 0) > 0, 'CDR channels');
});

