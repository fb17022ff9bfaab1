// RESTART of a span mid-call clears that span's call with cause 41 at both ends; the call on
// the gateway's other span stays up. Gateway: two user-side T1 spans (5ESS); far ends: two
// PSTN simulators.
import t from 'tap';
import { AdminMethods } from '../../src/admin/index.js';
import type { SpangateConfig } from '../../src/config/index.js';
import type { HangupInfo } from '../../src/call/leg.js';
import { SpanManager, loadTdmNative, type PriLeg } from '../../src/tdm/index.js';
import { PstnSim } from '../../src/tdm/sim.js';

const WAIT = 30_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const base = { type: 't1', switchtype: '5ess' } as const;
const far = (id: string, port: number) => ({
  ...base, id, trunk: id, side: 'network' as const, localAddress: '127.0.10.10', localPort: port, remoteAddress: '127.0.10.11', remotePort: port + 1,
});
const near = (id: string, port: number) => ({
  ...base, id, trunk: id, side: 'user' as const, localAddress: '127.0.10.11', localPort: port + 1, remoteAddress: '127.0.10.10', remotePort: port,
});

t.test('RESTART of one span clears only its call, with 41 at both ends', async (t) => {
  const sims = [new PstnSim({ native: loadTdmNative, span: far('a', 62070), incoming: { action: 'answer' } }), new PstnSim({ native: loadTdmNative, span: far('b', 62072), incoming: { action: 'answer' } })];
  const gw = new SpanManager({
    config: { spans: [near('a', 62070), near('b', 62072)] } as unknown as SpangateConfig['tdm'],
    native: loadTdmNative, admin: new AdminMethods(), log: quiet,
  });
  t.teardown(async () => {
    await gw.stop();
    for (const s of sims) await s.close().catch(() => undefined);
  });
  for (const s of sims) await s.start();
  await gw.start();
  await Promise.all([...sims.map((s) => s.waitUp(WAIT)), gw.waitAllUp(WAIT)]);

  const legs: PriLeg[] = [];
  for (const trunk of ['a', 'b']) {
    const leg = gw.createLeg(trunk);
    const answered = new Promise<void>((r) => leg.once('answer', () => r()));
    await leg.originate({ calling: '2125550100', called: '3125550199' });
    await answered;
    legs.push(leg);
  }
  const aEnded = new Promise<HangupInfo>((r) => legs[0]!.once('hangup', r));
  const farEnded = sims[0]!.waitFor((r) => r.event === 'hangup', WAIT);
  const restartSeen = sims[0]!.waitFor((r) => r.event === 'restart', WAIT);
  gw.restart('a');
  t.match(await aEnded, { cause: 41 }, 'our end clears with 41');
  t.match(await farEnded, { cause: 41 }, 'the far end clears with 41');
  t.match(await restartSeen, { ours: false }, 'the far end saw a RESTART from us');
  t.equal(legs[1]!.state, 'answered', 'the call on span b is untouched');
  t.match(gw.show(), [{ id: 'a', inUse: 0, dchannel: 'up' }, { id: 'b', inUse: 1 }]);
  t.match(gw.show()[0]!.counters, { restarts: 1 });

  const bFar = sims[1]!.waitFor((r) => r.event === 'hangup', WAIT);
  await legs[1]!.hangup(16);
  t.match(await bFar, { cause: 16, by: 'remote' });
  t.throws(() => gw.restart('nope'), { name: 'SignalingError', q850Cause: 3 });
});
