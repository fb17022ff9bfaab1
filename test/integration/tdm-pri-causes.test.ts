// Refused PRI calls keep their Q.850 cause end to end: busy (17) and unallocated number (1),
// PSTN -> gateway and gateway -> PSTN, over real vspans (E1, EuroISDN) and libpri on both sides.
import t from 'tap';
import { AdminMethods } from '../../src/admin/index.js';
import type { SpangateConfig } from '../../src/config/index.js';
import type { HangupInfo } from '../../src/call/leg.js';
import { SpanManager, loadTdmNative, type PriLeg } from '../../src/tdm/index.js';
import { PstnSim } from '../../src/tdm/sim.js';

const WAIT = 30_000;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const base = { type: 'e1', switchtype: 'euroisdn', trunk: 'pstn', country: 'de' } as const;

t.test('busy and unallocated causes both ways', async (t) => {
  const sim = new PstnSim({
    native: loadTdmNative,
    span: { ...base, id: 'pstn', side: 'network', localAddress: '127.0.10.3', localPort: 62020, remoteAddress: '127.0.10.4', remotePort: 62021 },
  });
  const gw = new SpanManager({
    config: { spans: [{ ...base, id: 'pri1', side: 'user', localAddress: '127.0.10.4', localPort: 62021, remoteAddress: '127.0.10.3', remotePort: 62020 }] } as unknown as SpangateConfig['tdm'],
    native: loadTdmNative, admin: new AdminMethods(), log: quiet,
  });
  t.teardown(async () => { await gw.stop(); await sim.close(); });
  await sim.start();
  await gw.start();
  await Promise.all([sim.waitUp(WAIT), gw.waitAllUp(WAIT)]);

  for (const cause of [17, 1]) {
    // PSTN -> gateway: the gateway refuses.
    const inc = new Promise<PriLeg>((r) => gw.once('incoming', r));
    const id = await sim.call({ calling: '3012345', called: cause === 17 ? '555100' : '555999' });
    const leg = await inc;
    const simEnd = sim.waitFor((r) => r.event === 'hangup' && r.leg === id, WAIT);
    await leg.reject(cause);
    t.equal(leg.state, 'ended');
    t.match(await simEnd, { cause, by: 'remote' }, `PSTN sees cause ${cause} from the gateway`);

    // Gateway -> PSTN: the PSTN refuses.
    sim.setPolicy({ action: 'reject', cause });
    const out = gw.createLeg('pstn');
    const ended = new Promise<HangupInfo>((r) => out.once('hangup', r));
    await out.originate({ calling: '+4930555100', called: cause === 17 ? '0301234' : '0309999' });
    t.match(await ended, { cause, by: 'remote' }, `gateway sees cause ${cause} from the PSTN`);
    sim.setPolicy({ action: 'ring' });
  }
  t.same(gw.show()[0]!.calls, [], 'no calls left');
  t.match(gw.show()[0]!.counters, { callsIn: 2, callsOut: 2 });
});
