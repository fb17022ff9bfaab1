// Fakes for the trunk runtime's unit tests: a hand-stepped clock, a DNS with fixed answers, an
// srf that answers OPTIONS per target as told, and request/response views for admit().
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type Srf from 'drachtio-srf';
import { loadConfigObject, type SpangateConfig } from '../../../../src/config/index.js';
import { Metrics } from '../../../../src/metrics/index.js';
import type { TrunkClock } from '../../../../src/sip/trunks/clock.js';
import type { TrunkResolver } from '../../../../src/sip/trunks/resolve.js';
import { createTrunkDirectory, type SipTrunkDirectory, type TrunkDirectoryOptions } from '../../../../src/sip/trunks/index.js';
import type { InboundRequestView, InboundResponder } from '../../../../src/sip/trunk-directory.js';

export class FakeClock implements TrunkClock {
  t = 1_000_000;
  rnd = 0.5;
  #timers: { at: number; seq: number; fn: () => void }[] = [];
  #seq = 0;
  now(): number { return this.t; }
  random(): number { return this.rnd; }
  setTimeout(fn: () => void, ms: number): unknown {
    const h = { at: this.t + ms, seq: ++this.#seq, fn };
    this.#timers.push(h);
    return h;
  }
  clearTimeout(h: unknown): void {
    this.#timers = this.#timers.filter((x) => x !== h);
  }
  get pending(): number { return this.#timers.length; }
  /** Runs every timer due within `ms`, in time order, letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > end) break;
      this.#timers = this.#timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

export function fakeDns(a: Record<string, string[]>, srv: Record<string, { name: string; port: number; priority: number; weight: number }[]> = {}, aaaa: Record<string, string[]> = {}): TrunkResolver & { calls: string[] } {
  const calls: string[] = [];
  const nx = (n: string): Error => Object.assign(new Error(`queryA ENOTFOUND ${n}`), { code: 'ENOTFOUND' });
  return {
    calls,
    resolveSrv: async (n) => { calls.push(`SRV ${n}`); if (srv[n]) return srv[n]; throw nx(n); },
    resolve4: async (n) => { calls.push(`A ${n}`); if (a[n]) return a[n]; throw nx(n); },
    resolve6: async (n) => { calls.push(`AAAA ${n}`); if (aaaa[n]) return aaaa[n]; throw nx(n); },
  };
}

/** OPTIONS behaviour per request URI: a status (answered at once), or 'silent'. */
export class FakeSrf {
  answers = new Map<string, number | 'silent'>();
  sent: { uri: string; headers: Record<string, string>; at: number }[] = [];
  constructor(readonly clock?: FakeClock) {}
  request(uri: string, opts: { method: string; headers: Record<string, string> }): Promise<EventEmitter> {
    this.sent.push({ uri, headers: opts.headers, at: this.clock?.t ?? 0 });
    const req = new EventEmitter();
    const a = this.answers.get(uri) ?? 200;
    if (a !== 'silent') setImmediate(() => req.emit('response', { status: a, reason: 'x' }));
    return Promise.resolve(req);
  }
  asSrf(): Srf { return this as unknown as Srf; }
}

export function config(trunks: Record<string, unknown>): SpangateConfig {
  return loadConfigObject({ sip: { trunks } }, { env: {} });
}

export function makeDirectory(trunks: Record<string, unknown>, o: Partial<TrunkDirectoryOptions> & { srfFake?: FakeSrf } = {}): {
  dir: SipTrunkDirectory; clock: FakeClock; metrics: Metrics; srf: FakeSrf;
} {
  const clock = (o.clock as FakeClock | undefined) ?? new FakeClock();
  const metrics = o.metrics ?? new Metrics({ version: 't', node: 't', nativeAbi: 't' }, { processMetrics: false });
  const srf = o.srfFake ?? new FakeSrf();
  const dir = createTrunkDirectory({
    config: config(trunks), srf: () => srf.asSrf(), log: pino({ level: 'silent' }), metrics,
    resolver: o.resolver ?? fakeDns({}), clock, ...o,
  });
  return { dir, clock, metrics, srf };
}

export function request(source: string, opts: { method?: string; headers?: Record<string, string>; uri?: string } = {}): InboundRequestView {
  const h = new Map(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: opts.method ?? 'INVITE', uri: opts.uri ?? 'sip:+4930555123@192.0.2.99', source_address: source, source_port: 5060, protocol: 'udp',
    get: (name) => h.get(name.toLowerCase()), has: (name) => h.has(name.toLowerCase()),
  };
}

export class Responder implements InboundResponder {
  sent: { status: number; reason?: string; headers?: Record<string, string> }[] = [];
  send(status: number, reason?: string, opts?: { headers?: Record<string, string> }): void {
    this.sent.push({ status, reason, headers: opts?.headers });
  }
}
