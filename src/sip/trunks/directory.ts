// The trunk runtime behind TrunkDirectory: which trunk an inbound request belongs to (ACL,
// then digest auth), where outbound legs go (resolved hops, healthy first), the credentials
// for the trunk's own challenges, and health from OPTIONS keepalive and call outcomes.
// Emits 'health' (trunk, TrunkHealth, SipTarget | undefined) when a target changes state or
// the target list changes, and 'probe' (trunk, SipTarget, ProbeResult) after each OPTIONS.

import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { TrunkHealth } from '../../calls-subsystem/subsystem.js';
import type { SpangateConfig } from '../../config/index.js';
import type { Logger } from '../../log/index.js';
import type { CounterHandle, HistogramHandle, Metrics } from '../../metrics/index.js';
import type {
  InboundRequestView, InboundResponder, InboundVerdict, SipTarget, TrunkDirectory,
} from '../trunk-directory.js';
import { inboundCredentials, resolveTrunk, type Transport, type TrunkInput, type TrunkSettings } from '../trunk-profiles.js';
import { AclTable } from './acl.js';
import { realClock, type TrunkClock } from './clock.js';
import { DigestServer } from './digest.js';
import type { ProbeResult } from './options.js';
import { defaultResolver, withHostMap, type TrunkResolver } from './resolve.js';
import { TrunkRuntime, targetOf, type Hop } from './runtime.js';
import { tlsNotes } from './tls-check.js';

export interface TrunkDirectoryOptions {
  config: SpangateConfig;
  /** The connected drachtio-srf app, when there is one (OPTIONS wait for it). */
  srf: () => Srf | undefined;
  log: Logger;
  metrics: Metrics;
  /** DNS (default: the system resolver); sip.edge.hostMap is answered before it either way. */
  resolver?: TrunkResolver;
  clock?: TrunkClock;
  /** Re-resolve host names this often, ms (default 300 000). */
  resolveIntervalMs?: number;
  /** Digest nonce lifetime, ms (default 300 000). */
  nonceTtlMs?: number;
  /** Our listening port per transport, for a Contact built on contactFqdn. */
  localPort?: (t: Transport) => number | undefined;
}

/** Methods never challenged: ACK and CANCEL cannot be (RFC 3261 §22.1), OPTIONS is the peer's keepalive. */
const NOT_CHALLENGED = new Set(['ACK', 'CANCEL', 'OPTIONS']);
const WARN_EVERY_MS = 10_000;
/** How long an inbound request waits for trunks known by address to resolve at start-up. */
const ADMIT_DNS_WAIT_MS = 3000;

export class SipTrunkDirectory extends EventEmitter implements TrunkDirectory {
  readonly #log: Logger;
  readonly #clock: TrunkClock;
  readonly #digest: DigestServer;
  readonly #trunks = new Map<string, TrunkRuntime>();
  readonly #opts: TrunkDirectoryOptions;
  readonly #resolver: TrunkResolver;
  #acl = new AclTable();
  #running = false;
  readonly #aclRejected: CounterHandle;
  readonly #authFailures: CounterHandle;
  readonly #optionsFailures: CounterHandle;
  readonly #rtt: HistogramHandle;
  readonly #warned = { acl: { at: -Infinity, suppressed: 0 }, auth: { at: -Infinity, suppressed: 0 } };

  constructor(o: TrunkDirectoryOptions) {
    super();
    this.#opts = o;
    this.#log = o.log;
    this.#clock = o.clock ?? realClock;
    this.#resolver = withHostMap(o.resolver ?? defaultResolver(), o.config.sip.edge.hostMap);
    this.#digest = new DigestServer({ nonceTtlMs: o.nonceTtlMs, now: () => this.#clock.now() });
    const m = o.metrics;
    this.#aclRejected = m.counter('spangate_sip_acl_rejected_total', 'SIP requests refused with 403: source address outside every trunk ACL.');
    this.#authFailures = m.counter('spangate_sip_auth_failures_total', 'SIP requests refused with 403: wrong digest credentials, by trunk.', ['trunk']);
    this.#optionsFailures = m.counter('spangate_sip_options_failures_total', 'OPTIONS keepalive probes unanswered, or answered 408/503, by trunk.', ['trunk']);
    this.#rtt = m.histogram('spangate_sip_options_rtt_seconds', 'OPTIONS keepalive round trip by trunk.', ['trunk'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
    m.gauge('spangate_sip_trunk_up', 'SIP trunk health: 1 when at least one target answers OPTIONS, 0 when all are down (absent while unknown).', ['trunk'], (g) => {
      g.reset();
      for (const rt of this.#trunks.values()) {
        const h = rt.health();
        if (h.state !== 'unknown') g.set({ trunk: rt.id }, h.state === 'up' ? 1 : 0);
      }
    });
    m.gauge('spangate_sip_target_up', 'SIP trunk target health: 1 up, 0 down (absent while unknown).', ['trunk', 'target'], (g) => {
      g.reset();
      for (const rt of this.#trunks.values()) {
        for (const h of rt.hops) if (h.health.state !== 'unknown') g.set({ trunk: rt.id, target: h.label }, h.health.state === 'up' ? 1 : 0);
      }
    });
    this.#apply(o.config);
  }

  // ---- lifecycle ----

  /** Resolves addresses and starts OPTIONS keepalive; returns at once (resolution runs on). */
  start(): void {
    this.#running = true;
    for (const rt of this.#trunks.values()) rt.start();
  }

  /** Stops every timer; nothing of the directory keeps the process alive afterwards. */
  stop(): void {
    this.#running = false;
    for (const rt of this.#trunks.values()) rt.stop();
  }

  /** Takes a reloaded config: trunks added, removed or changed (health of kept targets stays). */
  reload(config: SpangateConfig): void {
    this.#opts.config = config;
    this.#apply(config);
  }

  /** Resolves when every trunk has finished its first address resolution. */
  async ready(): Promise<void> {
    await Promise.all([...this.#trunks.values()].map((rt) => rt.ready()));
  }

  // ---- TrunkDirectory ----

  ids(): string[] {
    return [...this.#trunks.keys()];
  }

  settings(trunk: string): TrunkSettings | undefined {
    return this.#trunks.get(trunk)?.settings;
  }

  async admit(req: InboundRequestView, res: InboundResponder): Promise<InboundVerdict> {
    // Trunks known only by their addresses must have resolved them once before they can match.
    // Bounded: a DNS server that does not answer must not hold every inbound request.
    const pending = [...this.#trunks.values()].filter((rt) => rt.settings.acl.length === 0 && !rt.resolved);
    if (pending.length > 0) await this.#within(Promise.all(pending.map((rt) => rt.ready())), ADMIT_DNS_WAIT_MS);
    const source = req.source_address;
    const trunk = this.#acl.match(source);
    const rt = trunk === undefined ? undefined : this.#trunks.get(trunk);
    if (!rt) {
      this.#aclRejected.inc();
      this.#warn('acl', { source, port: req.source_port, method: req.method }, 'request from a source outside every trunk ACL refused (403)');
      res.send(403, 'Forbidden');
      return { ok: false, status: 403, reason: 'source address not allowed' };
    }
    const s = rt.settings;
    if (s.inboundAuthRealm === '' || NOT_CHALLENGED.has(req.method.toUpperCase())) return { ok: true, trunk: rt.id, settings: s };
    const { username, password } = inboundCredentials(s);
    const v = this.#digest.verify(req.get('authorization'), { realm: s.inboundAuthRealm, username, password, method: req.method.toUpperCase() });
    if (v.result === 'ok') return { ok: true, trunk: rt.id, settings: s };
    if (v.result === 'challenge') {
      this.#log.debug({ trunk: rt.id, source, reason: v.why, stale: v.stale }, 'digest challenge');
      res.send(401, 'Unauthorized', { headers: { 'WWW-Authenticate': this.#digest.challenge(s.inboundAuthRealm, v.stale) } });
      return { ok: false, status: 401, reason: v.why };
    }
    this.#authFailures.inc({ trunk: rt.id });
    this.#warn('auth', { trunk: rt.id, source, reason: v.why }, 'digest authentication failed (403)');
    res.send(403, 'Forbidden');
    return { ok: false, status: 403, reason: `authentication failed: ${v.why}` };
  }

  async targets(trunk: string): Promise<SipTarget[]> {
    const rt = this.#trunks.get(trunk);
    if (!rt) return [];
    if (!rt.resolved) await rt.ready();
    return rt.targets();
  }

  credentials(trunk: string): { username: string; password: string } | undefined {
    const s = this.#trunks.get(trunk)?.settings;
    if (!s || s.authUsername === '') return undefined;
    return { username: s.authUsername, password: s.authPassword };
  }

  report(trunk: string, target: SipTarget, outcome: 'ok' | 'timeout' | 'unreachable' | 'overloaded'): void {
    const rt = this.#trunks.get(trunk);
    const hop = rt?.find(target);
    if (!rt || !hop) {
      this.#log.debug({ trunk, target, outcome }, 'outcome reported for an unknown trunk target');
      return;
    }
    const detail = outcome === 'ok' ? 'call answered' : `call attempt: ${outcome}`;
    // A TLS name was called by name: the outcome is the whole group's.
    for (const h of rt.group(hop)) rt.record(h, outcome === 'ok', detail);
  }

  health(trunk: string): TrunkHealth | undefined {
    return this.#trunks.get(trunk)?.health();
  }

  // ---- internals ----

  #apply(config: SpangateConfig): void {
    const inputs = config.sip.trunks as unknown as Record<string, TrunkInput>;
    const next = new Map<string, TrunkSettings>();
    for (const [id, input] of Object.entries(inputs)) {
      try {
        next.set(id, resolveTrunk(id, input));
      } catch (err) {
        // validated with the config already; a trunk that still fails keeps its old settings
        this.#log.error({ err, trunk: id }, 'trunk settings refused');
        const old = this.#trunks.get(id)?.settings;
        if (old) next.set(id, old);
      }
    }
    for (const [id, rt] of this.#trunks) {
      if (next.has(id)) continue;
      rt.stop();
      this.#trunks.delete(id);
      this.#log.info({ trunk: id }, 'trunk removed');
    }
    for (const [id, s] of next) {
      const notes = tlsNotes(s, config.sip.edge);
      const rt = this.#trunks.get(id);
      if (rt) {
        rt.update(s);
        this.#noteTls(rt, notes);
        continue;
      }
      const created = new TrunkRuntime(id, s, {
        clock: this.#clock,
        resolver: this.#resolver,
        srf: this.#opts.srf,
        log: this.#log,
        resolveIntervalMs: this.#opts.resolveIntervalMs ?? 300_000,
        localPort: this.#opts.localPort,
        onChange: (r, hop) => this.#changed(r, hop),
        onProbe: (r, hop, result) => this.#probed(r, hop, result),
      });
      this.#trunks.set(id, created);
      this.#noteTls(created, notes);
      if (this.#running) created.start();
    }
    this.#rebuildAcl();
  }

  /** Keeps a trunk's TLS notes for its health; each new one is logged once. */
  #noteTls(rt: TrunkRuntime, notes: string[]): void {
    for (const n of notes) if (!rt.tlsNotes.includes(n)) this.#log.warn({ trunk: rt.id }, `TLS trunk: ${n}`);
    rt.tlsNotes = notes;
  }

  #rebuildAcl(): void {
    const acl = new AclTable();
    for (const rt of this.#trunks.values()) {
      const nets = rt.settings.acl.length > 0 ? rt.settings.acl : rt.hops.map((h) => h.r.ip);
      try {
        acl.add(rt.id, nets);
      } catch (err) {
        this.#log.error({ err, trunk: rt.id }, 'trunk ACL entry refused');
      }
    }
    this.#acl = acl;
  }

  #changed(rt: TrunkRuntime, hop: Hop | undefined): void {
    if (hop === undefined) this.#rebuildAcl();
    this.emit('health', rt.id, rt.health(), hop ? targetOf(hop) : undefined);
  }

  #probed(rt: TrunkRuntime, hop: Hop, result: ProbeResult): void {
    if (result.kind === 'alive') this.#rtt.observe({ trunk: rt.id }, result.rttMs / 1000);
    else if (result.kind === 'failed') this.#optionsFailures.inc({ trunk: rt.id });
    this.emit('probe', rt.id, targetOf(hop), result);
  }

  #within(p: Promise<unknown>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(resolve, ms);
      void p.finally(() => {
        this.#clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A warning at most every 10 s per kind, saying how many were not logged in between. */
  #warn(kind: 'acl' | 'auth', fields: Record<string, unknown>, msg: string): void {
    const w = this.#warned[kind];
    const now = this.#clock.now();
    if (now - w.at < WARN_EVERY_MS) {
      w.suppressed++;
      return;
    }
    this.#log.warn({ ...fields, suppressedSinceLastWarning: w.suppressed }, msg);
    w.at = now;
    w.suppressed = 0;
  }
}
