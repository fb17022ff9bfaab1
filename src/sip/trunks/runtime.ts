// One trunk at run time: its resolved next hops in failover order, each with its health and
// its own OPTIONS keepalive schedule (jittered, so many trunks do not ping in lock step).
// Host names are resolved again every resolveIntervalMs and whenever the settings change;
// a hop that stays across a re-resolution keeps its health.

import type Srf from 'drachtio-srf';
import type { TrunkHealth } from '../../calls-subsystem/subsystem.js';
import type { Logger } from '../../log/index.js';
import type { SipTarget } from '../trunk-directory.js';
import type { Transport, TrunkSettings } from '../trunk-profiles.js';
import type { TrunkClock } from './clock.js';
import { TargetHealth, summarize } from './health.js';
import { contactFor, fromFor, probe, type ProbeResult } from './options.js';
import { hopKey, resolveTrunkAddresses, uriHost, type ResolvedHop, type TrunkResolver } from './resolve.js';

export interface Hop {
  key: string;
  /**
   * Hops probed together: a TLS hop resolved from a name is probed by that name (the edge then
   * verifies the peer's certificate against it), so all addresses of one name and port share
   * one probe and its outcome. Any other hop is its own group.
   */
  group: string;
  /** `host:port/transport`, for logs, metrics and `show trunks`. */
  label: string;
  r: ResolvedHop;
  health: TargetHealth;
  timer: unknown;
  probing: boolean;
}

export interface RuntimeDeps {
  clock: TrunkClock;
  resolver: TrunkResolver;
  srf: () => Srf | undefined;
  log: Logger;
  resolveIntervalMs: number;
  localPort: ((t: Transport) => number | undefined) | undefined;
  /** A hop changed state (`hop` set), or the hop list changed after resolution. */
  onChange(rt: TrunkRuntime, hop: Hop | undefined): void;
  onProbe(rt: TrunkRuntime, hop: Hop, result: ProbeResult): void;
}

/** The contract's view of a hop. */
export function targetOf(h: Hop): SipTarget {
  const t: SipTarget = { host: uriHost(h.r.ip), port: h.r.port, transport: h.r.transport, healthy: h.health.state !== 'down' };
  if (h.r.name !== undefined) t.name = h.r.name;
  return t;
}

/** Settings whose change means resolving the addresses again. */
const addressKey = (s: TrunkSettings): string => JSON.stringify([s.addresses, s.srv, s.transport, s.port]);

export class TrunkRuntime {
  readonly id: string;
  settings: TrunkSettings;
  hops: Hop[] = [];
  /** At least one resolution has finished (successfully or not). */
  resolved = false;
  /** What this trunk's TLS settings need and the edge does not give (tls-check.ts), for health. */
  tlsNotes: string[] = [];
  #resolveNote: string | undefined;
  #localNote: string | undefined;
  readonly #deps: RuntimeDeps;
  readonly #health = new Map<string, TargetHealth>();
  #resolving: Promise<void> | undefined;
  #again = false;
  #first: Promise<void>;
  #firstDone!: () => void;
  #resolveTimer: unknown;
  #running = false;

  constructor(id: string, settings: TrunkSettings, deps: RuntimeDeps) {
    this.id = id;
    this.settings = settings;
    this.#deps = deps;
    this.#first = new Promise((r) => (this.#firstDone = r));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.resolve();
  }

  stop(): void {
    this.#running = false;
    this.#deps.clock.clearTimeout(this.#resolveTimer);
    this.#resolveTimer = undefined;
    for (const h of this.hops) this.#unschedule(h);
  }

  /** New settings after a reload. */
  update(settings: TrunkSettings): void {
    const readdress = addressKey(settings) !== addressKey(this.settings);
    const repace = JSON.stringify(settings.options) !== JSON.stringify(this.settings.options);
    this.settings = settings;
    if (!this.#running) return;
    if (readdress) void this.resolve();
    else if (repace) for (const h of this.hops) if (this.#leads(h)) this.#schedule(h, true);
  }

  /** Resolves when the first resolution has finished (starting one if none ran yet). */
  ready(): Promise<void> {
    if (!this.resolved && !this.#resolving) void this.resolve();
    return this.#first;
  }

  /** Resolves the addresses now (joins a resolution in flight, then runs once more). */
  resolve(): Promise<void> {
    if (this.#resolving) {
      this.#again = true;
      return this.#resolving;
    }
    this.#resolving = (async () => {
      do {
        this.#again = false;
        await this.#resolveOnce();
      } while (this.#again);
    })().finally(() => {
      this.#resolving = undefined;
      this.resolved = true;
      this.#firstDone();
      if (this.#running) {
        this.#deps.clock.clearTimeout(this.#resolveTimer);
        this.#resolveTimer = this.#deps.clock.setTimeout(() => void this.resolve(), this.#deps.resolveIntervalMs);
      }
    });
    return this.#resolving;
  }

  async #resolveOnce(): Promise<void> {
    const s = this.settings;
    let res;
    try {
      res = await resolveTrunkAddresses(this.#deps.resolver, s, this.hops.map((h) => h.r));
    } catch (err) {
      this.#deps.log.error({ err, trunk: this.id }, 'trunk address resolution failed');
      return;
    }
    if (s !== this.settings) this.#again = true; // settings changed meanwhile: resolve again
    this.#resolveNote = res.failures.length > 0 ? `DNS: ${res.failures.map((f) => `${f.entry}: ${f.why}`).join('; ')}` : undefined;
    for (const f of res.failures) this.#deps.log.warn({ trunk: this.id, address: f.entry, reason: f.why }, 'trunk address does not resolve');
    const old = new Map(this.hops.map((h) => [h.key, h]));
    const next: Hop[] = res.hops.map((r) => {
      const key = hopKey(r);
      const kept = old.get(key);
      if (kept) {
        old.delete(key);
        kept.r = r;
        return kept;
      }
      let health = this.#health.get(key);
      if (!health) this.#health.set(key, (health = new TargetHealth()));
      const group = r.transport === 'tls' && r.name !== undefined ? `tls:${r.name}:${r.port}` : key;
      return { key, group, label: `${uriHost(r.ip)}:${r.port}/${r.transport}`, r, health, timer: undefined, probing: false };
    });
    for (const gone of old.values()) {
      this.#unschedule(gone);
      this.#health.delete(gone.key);
    }
    const changed = next.length !== this.hops.length || next.some((h, i) => h !== this.hops[i]);
    this.hops = next;
    if (changed) this.#deps.log.info({ trunk: this.id, targets: next.map((h) => h.label) }, 'trunk targets resolved');
    if (this.#running) {
      for (const h of next) {
        if (!this.#leads(h)) this.#unschedule(h);
        else if (h.timer === undefined && !h.probing) this.#schedule(h, true);
      }
    }
    if (changed) this.#deps.onChange(this, undefined);
  }

  /** An outcome for one hop (OPTIONS or a call's report). */
  record(hop: Hop, ok: boolean, detail: string, rttMs?: number): void {
    const now = this.#deps.clock.now();
    if (rttMs !== undefined) hop.health.rttMs = rttMs;
    const changed = hop.health.record(ok, this.settings.options, detail, now);
    if (changed) {
      const level = hop.health.state === 'down' ? 'warn' : 'info';
      this.#deps.log[level]({ trunk: this.id, target: hop.label, state: hop.health.state, detail }, `trunk target ${hop.health.state}`);
      // Without OPTIONS nothing would ever probe a down hop that calls skip: forget its state after a hold-down.
      if (hop.health.state === 'down' && !this.settings.options.enabled && this.#running) this.#schedule(hop, false);
      this.#deps.onChange(this, hop);
    }
  }

  find(target: { host: string; port: number; transport: Transport }): Hop | undefined {
    const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
    const key = hopKey({ ip: host, port: target.port, transport: target.transport });
    return this.hops.find((h) => h.key === key) ?? this.hops.find((h) => h.r.name === host.toLowerCase() && h.r.port === target.port && h.r.transport === target.transport);
  }

  /**
   * Usable hops in configured order, then the down ones (tried last rather than not at all).
   * A TLS group (one name, one port) is one next hop: calls reach it by name, as OPTIONS do,
   * and the edge tries the name's addresses in turn.
   */
  targets(): SipTarget[] {
    const leaders = this.hops.filter((h) => this.#leads(h));
    return [...leaders.filter((h) => h.health.state !== 'down'), ...leaders.filter((h) => h.health.state === 'down')].map(targetOf);
  }

  /** The hops that share `hop`'s probe group (itself alone unless a TLS name). */
  group(hop: Hop): Hop[] {
    return this.hops.filter((x) => x.group === hop.group);
  }

  health(): TrunkHealth {
    const notes: string[] = [];
    if (!this.resolved && this.hops.length === 0) notes.push('resolving addresses');
    else if (this.settings.addresses.length === 0) notes.push('no addresses configured (inbound only)');
    if (this.#resolveNote) notes.push(this.#resolveNote);
    notes.push(...this.tlsNotes);
    if (!this.settings.options.enabled) notes.push('OPTIONS keepalive disabled: health from call outcomes only');
    else if (!this.#deps.srf()) notes.push('SIP edge not connected: OPTIONS not sent');
    else if (this.#localNote) notes.push(this.#localNote);
    return summarize(this.hops.map((h) => ({ label: h.label, health: h.health })), notes.length ? notes.join('; ') : undefined);
  }

  /** The hop that probes for its group (the first of the group in order). */
  #leads(h: Hop): boolean {
    return this.hops.find((x) => x.group === h.group) === h;
  }

  #unschedule(h: Hop): void {
    this.#deps.clock.clearTimeout(h.timer);
    h.timer = undefined;
  }

  /** The next probe (or, with OPTIONS off, the end of a down hop's hold-down). */
  #schedule(h: Hop, first: boolean): void {
    this.#unschedule(h);
    if (!this.#running) return;
    const { enabled, intervalS } = this.settings.options;
    const interval = intervalS * 1000;
    const { clock } = this.#deps;
    if (!enabled) {
      if (h.health.state !== 'down') return;
      h.timer = clock.setTimeout(() => {
        h.timer = undefined;
        if (h.health.state === 'down' && h.health.reset(clock.now())) this.#deps.onChange(this, h);
      }, interval);
      return;
    }
    // First probe soon (spread over up to 2 s), then every interval ±10%.
    const delay = first ? clock.random() * Math.min(interval, 2000) : interval * (0.9 + 0.2 * clock.random());
    h.timer = clock.setTimeout(() => {
      h.timer = undefined;
      void this.#probe(h);
    }, delay);
  }

  async #probe(h: Hop): Promise<void> {
    if (h.probing || !this.#running) return;
    const srf = this.#deps.srf();
    let result: ProbeResult;
    if (!srf) result = { kind: 'local', detail: 'SIP edge not connected: OPTIONS not sent' };
    else {
      h.probing = true;
      const s = this.settings;
      const host = h.group === h.key ? uriHost(h.r.ip) : (h.r.name as string);
      const t = { host, port: h.r.port, transport: h.r.transport };
      try {
        result = await probe(srf, t, {
          contact: contactFor(t, s.contactFqdn, this.#deps.localPort?.(t.transport)), from: fromFor(s.contactFqdn),
          timeoutMs: s.options.timeoutMs, clock: this.#deps.clock,
        });
      } finally {
        h.probing = false;
      }
    }
    if (!this.hops.includes(h)) return; // re-resolved away meanwhile
    this.#localNote = result.kind === 'local' ? result.detail : undefined;
    for (const m of this.hops.filter((x) => x.group === h.group)) {
      if (result.kind === 'alive') this.record(m, true, `OPTIONS answered ${result.status}`, result.rttMs);
      else if (result.kind === 'failed') this.record(m, false, result.detail);
    }
    if (result.kind === 'local') this.#deps.log.debug({ trunk: this.id, target: h.label, reason: result.detail }, 'OPTIONS not sent');
    this.#deps.onProbe(this, h, result);
    if (this.#running && h.timer === undefined && this.#leads(h)) this.#schedule(h, false);
  }
}
