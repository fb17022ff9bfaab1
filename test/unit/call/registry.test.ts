import t from 'tap';
import { CallRegistry } from '../../../src/call/registry.js';
import { Call } from '../../../src/call/call.js';
import { LegBase, type Leg, type MediaDescription } from '../../../src/call/leg.js';
import type { RouteTarget } from '../../../src/call/router.js';

class L extends LegBase implements Leg {
  readonly kind = 'sip' as const;
  remoteMedia: MediaDescription | undefined = undefined;
  calling = '+100'; called = '+200';
  constructor(readonly id: string, readonly direction: 'inbound' | 'outbound', readonly trunk: string) { super(); }
  async originate(): Promise<void> { this.setState('calling'); }
  async progress(): Promise<void> {}
  async answer(): Promise<void> { this.setState('answered'); }
  async reject(cause: number): Promise<void> { this.ended({ cause, by: 'local' }); }
  async hangup(cause: number): Promise<void> { this.ended({ cause, by: 'local' }); }
  async hold(): Promise<void> {}
  async updateMedia(o: MediaDescription): Promise<MediaDescription> { return o; }
  async sendDtmf(): Promise<void> {}
  far(cause: number): void { this.ended({ cause, by: 'remote' }); }
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const tg = (trunk: string): RouteTarget => ({ trunk, called: '+200', calling: '+100', reason: 'x' });

t.test('lists live calls, counts attempts/answers/causes per trunk, computes ASR', async (t) => {
  let now = 1000;
  const reg = new CallRegistry(() => now);
  const ended: string[] = [];
  reg.onEnded((r) => ended.push(`${r.id}:${r.disposition}`));
  const bs: L[] = [];
  const mk = (id: string, targets: string[]): Call => new Call({
    id, a: new L(`${id}a`, 'inbound', 'pstn'),
    decision: { targets: targets.map(tg), failoverCauses: [41], explanation: [] },
    createLeg: (x) => { const b = new L(`${id}b${bs.length}`, 'outbound', x.trunk); bs.push(b); return b; },
  });
  const c1 = mk('c1', ['teams', 'pbx']);
  reg.add(c1); c1.start(); await tick();
  now = 3000;
  t.same(reg.list(), [{ id: 'c1', state: 'routing', ageMs: 2000, aTrunk: 'pstn', calling: '+100', called: '+200', bTrunk: 'teams' }]);
  bs[0]!.far(41); await tick(); await tick();   // teams fails over to pbx
  bs[1]!.emit('answer', undefined); await tick();
  t.equal(reg.get('c1')?.state, 'answered');
  (c1.a as L).far(16);
  await c1.done;
  const c2 = mk('c2', ['teams']);
  reg.add(c2); c2.start(); await tick();
  bs[2]!.far(17);
  await c2.done;
  t.equal(reg.size, 0);
  t.same(ended, ['c1:answered', 'c2:busy']);
  const tot = reg.totals();
  t.same(tot['teams'], { attempts: 2, answered: 0, failed: 2, byCause: { 41: 1, 17: 1 } });
  t.same(tot['pbx'], { attempts: 1, answered: 1, failed: 0, byCause: { 16: 1 } });
  t.same(tot['pstn'], { attempts: 2, answered: 1, failed: 1, byCause: { 16: 1, 17: 1 } });
  t.equal(reg.asr('pstn'), 50);
  t.equal(reg.asr('nowhere'), 0);
});

t.test('closeAll ends every live call', async (t) => {
  const reg = new CallRegistry();
  const calls = [1, 2, 3].map((i) => new Call({
    id: `k${i}`, a: new L(`a${i}`, 'inbound', 'pstn'),
    decision: { targets: [tg('pbx')], failoverCauses: [], explanation: [] },
    createLeg: (x) => new L(`b${i}`, 'outbound', x.trunk),
  }));
  for (const c of calls) { reg.add(c); c.start(); }
  await tick();
  const recs = await reg.closeAll(16);
  t.equal(recs.length, 3);
  t.equal(reg.size, 0);
});
