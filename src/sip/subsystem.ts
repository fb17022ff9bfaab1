// The SIP subsystem: runs the embedded SIP edge (worker thread or child process) or uses an
// external drachtio-server, keeps one drachtio-srf connected to it, and hands that Srf to the
// call flows. Supervised: an edge that dies is restarted, a lost control connection is
// reconnected (backoff from 0.5 s up to sip.edge.restartMaxMs); every (re)connection is a fresh
// Srf announced through `ready`, so the call flows register their handlers again.
// The gateway answers OPTIONS itself (a chain other modules can add to) and, while draining,
// refuses new INVITEs and OPTIONS with 503 + Retry-After; existing dialogs keep working.

import { EventEmitter } from 'node:events';
import type { AdminRegistry } from '../admin/index.js';
import type { SpangateConfig } from '../config/index.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import { DaemonError, SipUnavailableError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { SipEdgeHost, type EdgeHostOptions } from './edge/edge-host.js';
import type { EdgeTlsMaterial, SipEdgeAddresses, SipEdgeOptions } from './edge/server.js';
import { describeCert, embeddedEdgeOptions, externalTls, overloadOf, randomSecret, tlsMaterial } from './edge-options.js';
import { registerSipMetrics } from './metrics.js';
import { installGatewayAnswers, type OptionsHandler } from './options.js';
import { connectSrf, type Srf, type SrfConnectOptions, type SrfConnection } from './srf.js';

export type { OptionsHandler } from './options.js';
export type { Srf } from './srf.js';

/** What the subsystem needs from an edge host (SipEdgeHost, or a fake in unit tests). */
export interface EdgeHostLike {
  readonly pid: number | undefined;
  readonly threadId: number | undefined;
  readonly running: boolean;
  start(opts: Omit<SipEdgeOptions, 'logger'>): Promise<SipEdgeAddresses>;
  stats(): Promise<Record<string, number>>;
  setOverload(o: NonNullable<SipEdgeOptions['overload']>): void;
  setTls(m: EdgeTlsMaterial): void;
  stop(): Promise<void>;
}

export interface SipSubsystemOptions {
  config: SpangateConfig;
  log: Logger;
  metrics: Metrics;
  admin: AdminRegistry;
  /** Builds the edge host (default: SipEdgeHost). */
  makeEdge?: (o: EdgeHostOptions) => EdgeHostLike;
  /** Connects drachtio-srf (default: connectSrf). */
  connect?: (o: SrfConnectOptions) => Promise<SrfConnection>;
  /**
   * Edge start and srf connect time limits (default 90 s and 30 s: a worker loads the edge's
   * modules in a fresh isolate, which on a loaded or emulated box at boot took over 30 s).
   */
  edgeStartTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** A SIP address the gateway listens on. */
export interface SipListenerView {
  proto: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  advertisedAddress?: string;
}

export type SipState = 'stopped' | 'starting' | 'connected' | 'down' | 'stopping';

/** The answer of admin `show.sip`. */
export interface SipView {
  mode: 'embedded' | 'external';
  runIn: 'worker' | 'child' | null;
  state: SipState;
  connected: boolean;
  accepting: boolean;
  listeners: SipListenerView[];
  /** Where drachtio-srf connects (the embedded edge's control port is ephemeral). */
  control: string | null;
  edge: { pid: number | null; threadId: number | null; restarts: number } | null;
  reconnects: number;
  downReason: string | null;
  stats: Record<string, number> | null;
}

export interface SipSubsystemEvents {
  /** A connected Srf (at start, and after every reconnection or edge restart). */
  ready: [srf: Srf];
  /** The Srf handed out before is gone; calls on it are lost. */
  down: [reason: string];
}

const FIRST_RETRY_MS = 500;
/** Edge counters that are levels, not totals (not carried over an edge restart). */
const LEVELS = new Set(['dialogs', 'serverTransactions', 'clientTransactions', 'appConnections', 'txn.clientTransactions', 'txn.serverTransactions']);

export class SipSubsystem implements Subsystem {
  readonly name = 'sip';
  readonly #events = new EventEmitter<SipSubsystemEvents>();
  #cfg: SpangateConfig;
  readonly #log: Logger;
  readonly #makeEdge: (o: EdgeHostOptions) => EdgeHostLike;
  readonly #connect: (o: SrfConnectOptions) => Promise<SrfConnection>;
  readonly #edgeTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #state: SipState = 'stopped';
  #edge: EdgeHostLike | undefined;
  #addr: SipEdgeAddresses | undefined;
  #secret = '';
  #conn: SrfConnection | undefined;
  #accepting = true;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = FIRST_RETRY_MS;
  #recovering: Promise<void> | undefined;
  #downReason = '';
  #restarts = 0;
  #reconnects = 0;
  #connectedOnce = false;
  readonly #options: OptionsHandler[] = [];
  // Edge counters: totals of edges that died, the last snapshot of the running one.
  readonly #base: Record<string, number> = {};
  #last: Record<string, number> = {};
  #scrape: { at: number; p: Promise<Record<string, number> | undefined> } | undefined;

  constructor(o: SipSubsystemOptions) {
    this.#cfg = o.config;
    this.#log = o.log;
    this.#makeEdge = o.makeEdge ?? ((opts) => new SipEdgeHost(opts));
    this.#connect = o.connect ?? connectSrf;
    this.#edgeTimeoutMs = o.edgeStartTimeoutMs ?? 90_000;
    this.#connectTimeoutMs = o.connectTimeoutMs ?? 30_000;
    registerSipMetrics(o.metrics, this);
    o.admin.register('show.sip', 'SIP edge: mode, listeners with bound ports, srf connection, counters.', () => this.show());
  }

  // --- the API for the call flows --------------------------------------------------------

  /** The connected Srf. Throws SipUnavailableError while not connected. */
  get srf(): Srf {
    if (!this.#conn) throw new SipUnavailableError(`SIP is not available: ${this.#downReason || this.#state}`, this.#downReason || this.#state);
    return this.#conn.srf;
  }

  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** False while the daemon drains (new INVITEs get 503) and after stop. */
  get accepting(): boolean {
    return this.#accepting;
  }

  get state(): SipState {
    return this.#state;
  }

  /** Retry-After seconds the gateway puts in its 503s. */
  get retryAfterS(): number {
    return this.#cfg.sip.edge.overload.retryAfterS;
  }

  /** The SIP addresses the gateway listens on (bound ports; an external server's as it reports them). */
  get listeners(): SipListenerView[] {
    if (this.#cfg.sip.edge.mode === 'external') return parseHostports(this.#conn?.hostport ?? '');
    return (this.#addr?.sip ?? []).map((l) => ({
      proto: l.proto, host: l.host, port: l.port, ...(l.external ? { advertisedAddress: l.external } : {}),
    }));
  }

  /** `ready`: a connected Srf (start, reconnection, edge restart); `down`: the Srf handed out is gone. */
  on<E extends keyof SipSubsystemEvents>(event: E, fn: (...args: SipSubsystemEvents[E]) => void): this {
    this.#events.on(event, fn as never);
    return this;
  }

  off<E extends keyof SipSubsystemEvents>(event: E, fn: (...args: SipSubsystemEvents[E]) => void): this {
    this.#events.off(event, fn as never);
    return this;
  }

  /**
   * Calls `fn` with the connected Srf now (when connected) and after every reconnection, so
   * handlers are registered on each new Srf. Returns a function that stops the calls.
   */
  onReady(fn: (srf: Srf) => void): () => void {
    this.on('ready', fn);
    if (this.#conn) this.#callReady(fn, this.#conn.srf);
    return () => this.off('ready', fn);
  }

  /**
   * Adds a handler to the OPTIONS chain, ahead of the gateway's own 200 (e.g. trunk keepalives
   * answered per trunk). It answers, or calls next(). While draining no handler runs: every
   * OPTIONS gets 503. Returns a function that removes it.
   */
  addOptionsHandler(fn: OptionsHandler): () => void {
    this.#options.push(fn);
    return () => {
      const i = this.#options.indexOf(fn);
      if (i >= 0) this.#options.splice(i, 1);
    };
  }

  optionsHandlers(): readonly OptionsHandler[] {
    return this.#options;
  }

  onHandlerError(err: unknown): void {
    this.#log.error({ err }, 'an OPTIONS handler threw; passed on to the next');
  }

  // --- Subsystem ---------------------------------------------------------------------------

  async start(): Promise<void> {
    const e = this.#cfg.sip.edge;
    this.#state = 'starting';
    this.#accepting = true;
    if (e.mode === 'embedded') {
      await this.#startEdge();
      try {
        await this.#connectSrf();
      } catch (err) {
        await this.#stopEdge();
        this.#state = 'stopped';
        throw new DaemonError(`sip: drachtio-srf could not connect to the embedded edge: ${(err as Error).message}`, 'start-failed', { cause: err });
      }
      return;
    }
    try {
      await this.#connectSrf();
    } catch (err) {
      // The drachtio-server may come up after us: keep trying, report down meanwhile.
      this.#markDown(`drachtio-server ${e.external.host}:${e.external.port}: ${(err as Error).message}`);
      this.#schedule();
    }
  }

  reload(config: SpangateConfig): void {
    this.#cfg = config;
    this.#edge?.setOverload(overloadOf(config.sip.edge));
    this.#reloadTls(config.sip.edge);
  }

  /**
   * Certificate rotation: the TLS files are read again on every reload and handed to the running
   * edge (new handshakes use them; established connections and calls stay as they are). A file
   * that cannot be read or a key that does not match keeps the material in use, with an error.
   */
  #reloadTls(e: SpangateConfig['sip']['edge']): void {
    if (e.mode !== 'embedded' || !this.#edge?.running || (e.tls.cert === '' && e.tls.ca === '')) return;
    try {
      const m = tlsMaterial(e);
      this.#edge.setTls(m);
      this.#log.info({ event: 'sip-tls-reloaded', certificate: describeCert(m) }, 'SIP TLS certificate and CAs reloaded: new handshakes use them');
    } catch (err) {
      this.#log.error({ event: 'sip-tls-reload-failed', reason: (err as Error).message }, 'SIP TLS files not reloaded; the ones in use stay');
    }
  }

  /**
   * New INVITEs and OPTIONS get 503 from now on; established dialogs keep working. Resolves
   * when the embedded edge holds no dialog (polled), or at the deadline.
   */
  async drain(deadline: number): Promise<void> {
    this.#accepting = false;
    this.#log.info({ event: 'sip-draining', retryAfterS: this.retryAfterS, dialogs: this.activeWork() }, 'SIP draining: new INVITEs and OPTIONS get 503');
    if (this.#cfg.sip.edge.mode !== 'embedded') return;
    while (Date.now() < deadline && this.#edge?.running && this.#state !== 'stopping') {
      const s = await this.edgeStats();
      if ((s?.dialogs ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  }

  /** Dialogs held by the embedded edge at its last reading (0 in external mode). */
  activeWork(): number {
    return this.#last.dialogs ?? 0;
  }

  async stop(): Promise<void> {
    this.#state = 'stopping';
    this.#accepting = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#recovering?.catch(() => undefined);
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.close();
    await this.#stopEdge();
    this.#state = 'stopped';
  }

  health(): SubsystemHealth {
    const e = this.#cfg.sip.edge;
    const where = e.mode === 'embedded'
      ? `embedded edge (${e.runIn}) on ${this.listeners.map((l) => `${l.proto}/${l.host}:${l.port}`).join(' ') || 'no listener'}`
      : `drachtio-server ${e.external.host}:${e.external.port}`;
    if (this.#conn) {
      return { status: 'ok', detail: `${where}, srf connected${this.#accepting ? '' : '; draining: new INVITEs and OPTIONS get 503'}` };
    }
    return { status: 'down', detail: `${where}: ${this.#downReason || 'not connected'}` };
  }

  /** The admin `show.sip` answer. */
  async show(): Promise<SipView> {
    const e = this.#cfg.sip.edge;
    const embedded = e.mode === 'embedded';
    return {
      mode: e.mode,
      runIn: embedded ? e.runIn : null,
      state: this.#state,
      connected: this.connected,
      accepting: this.#accepting,
      listeners: this.listeners,
      control: embedded ? (this.#addr ? `127.0.0.1:${this.#addr.controlPort}` : null) : `${e.external.host}:${e.external.port}`,
      edge: embedded ? { pid: this.#edge?.pid ?? null, threadId: this.#edge?.threadId ?? null, restarts: this.#restarts } : null,
      reconnects: this.#reconnects,
      downReason: this.#downReason || null,
      stats: (await this.edgeStats()) ?? null,
    };
  }

  /**
   * The embedded edge's counters: totals carried over edge restarts, levels as they are now.
   * One read serves a whole scrape. Undefined in external mode or while no edge runs.
   */
  edgeStats(): Promise<Record<string, number> | undefined> {
    const now = Date.now();
    if (this.#scrape && now - this.#scrape.at < 250) return this.#scrape.p;
    const p = this.#readStats();
    this.#scrape = { at: now, p };
    return p;
  }

  async #readStats(): Promise<Record<string, number> | undefined> {
    const edge = this.#edge;
    if (!edge?.running) return Object.keys(this.#base).length ? { ...this.#base } : undefined;
    let s: Record<string, number>;
    try {
      // A wedged edge must not hold a scrape up for the host's full timeout.
      s = await Promise.race([
        edge.stats(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('edge stats timed out')), 2_000).unref()),
      ]);
    } catch {
      return undefined;
    }
    if (edge === this.#edge) this.#last = s;
    const out: Record<string, number> = { ...this.#base };
    for (const [k, v] of Object.entries(s)) out[k] = LEVELS.has(k) ? v : (out[k] ?? 0) + v;
    return out;
  }

  // --- supervision ---------------------------------------------------------------------------

  async #startEdge(): Promise<void> {
    const e = this.#cfg.sip.edge;
    const secret = randomSecret();
    const opts = embeddedEdgeOptions(e, secret);
    const edgeLog = this.#log.child({ src: 'edge' });
    let edge: EdgeHostLike | undefined;
    edge = this.#makeEdge({
      mode: e.runIn,
      timeoutMs: this.#edgeTimeoutMs,
      logger: edgeLog,
      onExit: (why) => this.#onEdgeExit(edge!, why),
    });
    let addr: SipEdgeAddresses;
    try {
      addr = await edge.start(opts);
    } catch (err) {
      await edge.stop().catch(() => undefined);
      const what = e.listen.map((l) => `${l.proto}/${l.host}:${l.port}`).join(' ');
      throw new DaemonError(`sip: the SIP edge could not start on ${what}: ${(err as Error).message}`, 'start-failed', { cause: err });
    }
    this.#edge = edge;
    this.#addr = addr;
    this.#secret = secret;
    this.#last = {};
    this.#log.info({
      event: 'sip-edge-started', runIn: e.runIn, pid: edge.pid, threadId: edge.threadId, controlPort: addr.controlPort,
      listeners: this.listeners,
    }, 'SIP edge started');
  }

  async #stopEdge(): Promise<void> {
    const edge = this.#edge;
    this.#edge = undefined;
    if (edge) await edge.stop().catch((err: unknown) => this.#log.warn({ err }, 'SIP edge stop failed'));
  }

  async #connectSrf(): Promise<void> {
    const e = this.#cfg.sip.edge;
    const target: Omit<SrfConnectOptions, 'timeoutMs'> = e.mode === 'embedded'
      ? { host: '127.0.0.1', port: this.#addr!.controlPort, secret: this.#secret }
      : { host: e.external.host, port: e.external.port, secret: e.external.secret, tls: externalTls(e) };
    const conn = await this.#connect({ ...target, timeoutMs: this.#connectTimeoutMs });
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      conn.close();
      return;
    }
    installGatewayAnswers(conn.srf, this);
    this.#conn = conn;
    conn.onGone((why) => this.#onSrfGone(conn, why));
    this.#state = 'connected';
    if (this.#connectedOnce) this.#reconnects++;
    this.#connectedOnce = true;
    this.#downReason = '';
    this.#retryDelay = FIRST_RETRY_MS;
    this.#log.info({ event: 'sip-connected', mode: e.mode, control: `${target.host}:${target.port}`, hostport: conn.hostport }, 'drachtio-srf connected');
    for (const fn of this.#events.listeners('ready') as ((srf: Srf) => void)[]) this.#callReady(fn, conn.srf);
  }

  #callReady(fn: (srf: Srf) => void, srf: Srf): void {
    try {
      fn(srf);
    } catch (err) {
      this.#log.error({ err }, 'a SIP ready handler threw');
    }
  }

  #markDown(reason: string): void {
    const wasUp = this.#conn !== undefined;
    this.#downReason = reason;
    if (this.#state !== 'stopping' && this.#state !== 'stopped') this.#state = 'down';
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.close();
    if (wasUp) this.#events.emit('down', reason);
  }

  #onEdgeExit(edge: EdgeHostLike, why: string): void {
    if (edge !== this.#edge || this.#state === 'stopping' || this.#state === 'stopped') return;
    // Its totals so far stay counted.
    for (const [k, v] of Object.entries(this.#last)) if (!LEVELS.has(k)) this.#base[k] = (this.#base[k] ?? 0) + v;
    this.#last = {};
    this.#scrape = undefined;
    this.#log.error({ event: 'sip-edge-exit', reason: why }, 'SIP edge died; restarting it');
    this.#markDown(`edge died: ${why}`);
    this.#schedule();
  }

  #onSrfGone(conn: SrfConnection, why: string): void {
    if (conn !== this.#conn || this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#log.warn({ event: 'sip-disconnected', reason: why }, 'drachtio-srf lost its control connection; reconnecting');
    this.#markDown(why);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#retryTimer || this.#state === 'stopping' || this.#state === 'stopped') return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(delay * 2, Math.max(FIRST_RETRY_MS, this.#cfg.sip.edge.restartMaxMs));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#recovering = this.#recover().finally(() => (this.#recovering = undefined));
    }, delay);
  }

  async #recover(): Promise<void> {
    const embedded = this.#cfg.sip.edge.mode === 'embedded';
    try {
      if (embedded && !this.#edge?.running) {
        await this.#stopEdge();
        await this.#startEdge();
        this.#restarts++;
      }
      if (this.#state === 'stopping' || this.#state === 'stopped') return;
      if (!this.#conn) await this.#connectSrf();
    } catch (err) {
      if (this.#state === 'stopping' || this.#state === 'stopped') return;
      const reason = (err as Error).message;
      this.#log.error({ event: 'sip-recover-failed', err, retryInMs: this.#retryDelay }, `SIP not back yet: ${reason}`);
      this.#markDown(reason);
      this.#schedule();
    }
  }
}

/** drachtio's hostport list (`udp/10.0.0.5:5060,tcp/10.0.0.5:5060`) as listener views. */
export function parseHostports(s: string): SipListenerView[] {
  const out: SipListenerView[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(udp|tcp|tls|wss?)\/\[?([^\]]+?)\]?:(\d+)$/i.exec(part);
    if (!m) continue;
    const proto = m[1]!.toLowerCase();
    if (proto !== 'udp' && proto !== 'tcp' && proto !== 'tls') continue;
    out.push({ proto, host: m[2]!, port: Number(m[3]) });
  }
  return out;
}
