// SpanManager: the TDM daemon subsystem. Opens the configured spans and their PRI at start
// (once per process: libpri cannot free a controller, so `tdm.spans` is restart-required),
// tracks D-channel, alarm and channel state, turns incoming calls into PriLegs, hands out
// outbound PriLegs per trunk, and exposes `show.spans` and per-span metrics.
import { EventEmitter } from 'node:events';
import type { AdminRegistry } from '../admin/index.js';
import { Cause } from '../call/causes.js';
import type { SpangateConfig } from '../config/index.js';
import { normalizeSpans, type TdmSpan } from '../config/schema/tdm.js';
import type { HealthStatus, Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import { MediaError, NativeError, SignalingError } from '../errors.js';
import type { NativeEvent } from '../ffi/events.js';
import { decodeTdmEvent, type PriApi, type PriEvent, type PriOpenOptions, type PriStatusValues } from '../ffi/pri.js';
import { alarmNames, type SpanEvent, type SpanInjectKind, type SpanOpenOptions, type SpanStatsValues } from '../ffi/span.js';
import type { Metrics } from '../metrics/index.js';
import { decodeDspEvent, tonePlan } from '../ffi/tdm.js';
import { PriLeg, type PriLegHost } from './pri-leg.js';
import { PriMedia, type TdmApi } from './pri-media.js';
import { PriRtp, describeRtp, type PriRtpApi, type PriRtpView } from './pri-rtp.js';

/** The native functions the manager uses (SpanBinding + PriBinding; fakes in unit tests). */
export interface TdmNative {
  span: {
    open(o: SpanOpenOptions): number;
    close(span: number): void;
    stats(span: number): SpanStatsValues;
    /** Fault injection on the D-channel toward the far end (line checks, the simulator). */
    inject?(span: number, kind: SpanInjectKind, data: Uint8Array): void;
  };
  pri: PriApi & {
    spanOpen(span: number, o: PriOpenOptions): void;
    spanClose(span: number): void;
    restart(span: number, channel?: number): void;
    status(span: number): PriStatusValues;
  };
  /** B-channel media (echo canceller, tones, DTMF, timeslot bridge); absent: calls run without. */
  tdm?: TdmApi;
  /** RTP endpoints for the B-channels of PRI⇄SIP calls; absent: such calls have no audio. */
  rtp?: PriRtpApi;
  /** The native event stream ('event' with NativeEvent records). */
  events: {
    on(event: 'event', fn: (e: NativeEvent) => void): unknown;
    off(event: 'event', fn: (e: NativeEvent) => void): unknown;
  };
}

/** The slice of a pino logger the manager uses (src/log provides the real one). */
export interface TdmLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface SpanManagerOptions {
  config: SpangateConfig['tdm'];
  /** Loads the native side on start (only when spans are configured). */
  native: () => TdmNative;
  admin: AdminRegistry;
  metrics?: Metrics;
  log: TdmLogger;
  /**
   * Give each call's B-channel its native media channel (echo canceller, tones, in-band DTMF,
   * timeslot bridge). The daemon does; the simulator drives its B-channels itself.
   */
  media?: boolean;
  /**
   * RTP endpoints for B-channels in calls with a SIP leg (tdm.rtp): the address they bind to
   * and write into SDP. Absent: PRI⇄SIP calls are refused media (cause 47).
   */
  rtp?: () => { address: string };
}

interface SpanState {
  cfg: TdmSpan;
  handle: number;
  dchanUp: boolean;
  alarms: number;
  alarmsRaised: number;
  restarts: number;
  /** Error counters as last logged (a warning names what rose since). */
  logged: { protocolErrors: number; hdlcErrors: number; rxMalformed: number };
}

export interface SpanView {
  id: string;
  trunk: string;
  type: 'e1' | 't1';
  side: 'network' | 'user';
  switchtype: string;
  local: string;
  remote: string;
  handle: number;
  dchannel: 'up' | 'down';
  alarms: string[];
  channels: number;
  inUse: number;
  outOfService: number;
  calls: {
    leg: string; call: number; channel: number; direction: string; state: string; calling: string; called: string; media: string;
    /** PRI⇄SIP calls: the B-channel's RTP endpoint and its counters. */
    rtp?: PriRtpView;
  }[];
  counters: Record<string, number>;
  lastError: string;
}

export interface SpanManagerEvents {
  /** An incoming PRI call: the listener routes it (answer/reject/hangup). Unheard calls are refused. */
  incoming: [leg: PriLeg];
  /** Span state changes, for tests and logs. */
  span: [ev: SpanEvent | PriEvent];
}

const RECONCILE_MS = 1000;
const SG_EBUSY = -4;
const CLOSE_WAIT_MS = 5000;

/**
 * Stops PRI on a span, then closes the line. sg_pri_span_close is queued for the signalling
 * thread, which pins the span until it has let go: until then sg_span_close answers busy.
 * Closing without this wait (a loaded host delays that thread) left the line open and
 * sending, so the far end never lost signal.
 */
async function closeSpan(n: TdmNative, handle: number): Promise<void> {
  try { n.pri.spanClose(handle); } catch { /* PRI never opened or already closed */ }
  const until = Date.now() + CLOSE_WAIT_MS;
  for (;;) {
    try {
      n.span.close(handle);
      return;
    } catch (e) {
      if (!(e instanceof NativeError) || e.errno !== SG_EBUSY || Date.now() >= until) throw e;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `show spans`: a call's RTP endpoint, when it has one (read errors leave it out). */
function rtpView(l: PriLeg): { rtp?: PriRtpView } {
  if (!l.rtp || l.rtp.closed) return {};
  try {
    return { rtp: describeRtp(l.rtp, l.media?.stats()) };
  } catch {
    return {};
  }
}

export class SpanManager extends EventEmitter<SpanManagerEvents> implements Subsystem {
  readonly name = 'tdm';
  readonly #o: SpanManagerOptions;
  readonly #cfgs: TdmSpan[];
  readonly #spans = new Map<number, SpanState>();
  readonly #legs = new Map<number, PriLeg>();
  /** Legs by their native TDM channel handle (in-band DTMF events name the channel). */
  readonly #mediaLegs = new Map<number, PriLeg>();
  #engineReady = false;
  #native: TdmNative | undefined;
  #draining = false;
  #seq = 0;
  #reconcileTimer: NodeJS.Timeout | undefined;
  readonly #onEvent = (e: NativeEvent): void => this.#dispatch(e);
  readonly #host: PriLegHost;

  constructor(o: SpanManagerOptions) {
    super();
    this.#o = o;
    this.#cfgs = normalizeSpans(o.config.spans);
    const self = this;
    this.#host = {
      get api() { return self.#n().pri; },
      attach: (call, leg) => { this.#legs.set(call, leg); },
      detach: (call) => { this.#legs.delete(call); },
      pickSpan: (trunk) => this.#pickSpan(trunk),
      openMedia: (leg, span, channel) => this.#openMedia(leg, span, channel),
      closeMedia: (m) => this.#closeMedia(m),
      openRtp: (leg) => this.#openRtp(leg),
      closeRtp: (r) => this.#closeRtp(r),
    };
    o.admin.register('show.spans', 'TDM spans: D-channel, alarms, channels and calls, line counters.', () => this.show());
    o.admin.register('span.restart', 'RESTART a span ({"span":"id"}) or one B-channel of it ({"span":"id","channel":N}): its calls clear with 41.', (p) => {
      const q = (p ?? {}) as { span?: unknown; channel?: unknown };
      if (typeof q.span !== 'string' || q.span === '') throw new SignalingError('span.restart needs {"span":"<span id>"}', { q850Cause: Cause.INVALID_NUMBER_FORMAT });
      const channel = q.channel === undefined ? 0 : q.channel;
      if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 0 || channel > 31) {
        throw new SignalingError('span.restart: channel must be a B-channel number (0 = all)', { q850Cause: Cause.INVALID_NUMBER_FORMAT });
      }
      const s = this.#byId(q.span);
      const calls = [...this.#legs.values()].filter((l) => l.span === s.handle && (channel === 0 || l.channel === channel)).length;
      this.restart(q.span, channel);
      return { span: q.span, channel, calls };
    });
    if (o.metrics) this.#registerMetrics(o.metrics);
  }

  async start(): Promise<void> {
    if (this.#cfgs.length === 0) return;
    const n = (this.#native = this.#o.native());
    // Subscribe before opening: the first alarm and D-channel events follow at once.
    n.events.on('event', this.#onEvent);
    try {
      for (const cfg of this.#cfgs) this.#open(n, cfg);
    } catch (e) {
      // Start-up fails as a whole: close what opened, so the ports are free again.
      for (const s of this.#spans.values()) await closeSpan(n, s.handle).catch(() => undefined);
      this.#spans.clear();
      n.events.off('event', this.#onEvent);
      throw e;
    }
    // The event socket drops records when its reader falls behind: the state is also read back
    // once a second. The timer also keeps the process alive while spans are open.
    this.#reconcileTimer = setInterval(() => this.#reconcile(), RECONCILE_MS);
  }

  #open(n: TdmNative, cfg: TdmSpan): void {
    const handle = n.span.open({
      kind: cfg.type, role: cfg.side, localAddr: cfg.localAddress, localPort: cfg.localPort,
      remoteAddr: cfg.remoteAddress, remotePort: cfg.remotePort, framesPerPacket: cfg.framesPerPacket,
      jitterPackets: cfg.jitterPackets, losMs: cfg.losMs, clearMs: cfg.clearMs,
    });
    try {
      n.pri.spanOpen(handle, {
        switchtype: cfg.switchtype, side: cfg.side, overlap: cfg.overlap, digitTimeoutMs: cfg.digitTimeoutMs,
        alarmClearMs: cfg.alarmClearMs, t309Ms: cfg.t309Ms,
      });
    } catch (e) {
      n.span.close(handle);
      throw e;
    }
    const st = n.span.stats(handle);
    this.#spans.set(handle, {
      cfg, handle, dchanUp: false, alarms: st.alarms, alarmsRaised: 0, restarts: 0,
      logged: { protocolErrors: 0, hdlcErrors: 0, rxMalformed: 0 },
    });
    this.#o.log.info({ span: cfg.id, handle, local: `${cfg.localAddress}:${st.localPort}`, switchtype: cfg.switchtype, side: cfg.side }, 'span opened');
  }

  reload(_config: SpangateConfig): void {
    // tdm.spans is restart-required (libpri controllers live as long as the process).
  }

  async drain(deadline: number): Promise<void> {
    this.#draining = true;
    while (this.#legs.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, deadline - Date.now()))));
    }
  }

  /**
   * Hangs up what is left (DISCONNECT with cause 31) and closes the spans. With
   * `{ signal: false }` the spans close first, so the far end sees only the line go silent
   * (the simulator's pulled cable); the legs then end here with cause 38.
   */
  async stop(opts: { signal?: boolean } = {}): Promise<void> {
    this.#draining = true;
    if (this.#reconcileTimer) clearInterval(this.#reconcileTimer);
    this.#reconcileTimer = undefined;
    const legs = (): PriLeg[] => [...new Set(this.#legs.values())];
    if (opts.signal !== false) await Promise.all(legs().map((l) => l.hangup(Cause.NORMAL_UNSPECIFIED).catch(() => undefined)));
    const n = this.#native;
    if (!n) return;
    await Promise.all([...this.#spans.values()].map(async (s) => {
      try {
        await closeSpan(n, s.handle);
      } catch (err) {
        this.#o.log.warn({ err, span: s.cfg.id }, 'closing span failed');
      }
    }));
    this.#spans.clear();
    n.events.off('event', this.#onEvent);
    await Promise.all(legs().map((l) => l.hangup(Cause.NETWORK_OUT_OF_ORDER).catch(() => undefined)));
  }

  health(): SubsystemHealth {
    if (this.#cfgs.length === 0) return { status: 'ok', detail: 'no spans configured' };
    const up = [...this.#spans.values()].filter((s) => s.dchanUp && s.alarms === 0).length;
    const status: HealthStatus = up === this.#cfgs.length ? 'ok' : up === 0 ? 'down' : 'degraded';
    return { status, detail: `${up} of ${this.#cfgs.length} spans up` };
  }

  /** Resolves once every span has its D-channel up and no alarm (rejects after timeoutMs). */
  waitAllUp(timeoutMs = 30_000): Promise<void> {
    const up = (): boolean => this.#spans.size > 0 && [...this.#spans.values()].every((x) => x.dchanUp && x.alarms === 0);
    if (up()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('span', on);
        reject(new SignalingError(`spans not up within ${timeoutMs} ms`, { q850Cause: Cause.NETWORK_OUT_OF_ORDER }));
      }, timeoutMs);
      const on = (): void => {
        if (!up()) return;
        clearTimeout(timer);
        this.off('span', on);
        resolve();
      };
      this.on('span', on);
    });
  }

  activeWork(): number {
    return this.#legs.size;
  }

  /** An outbound leg on a span of `trunk` (the span is chosen when it originates). */
  createLeg(trunk: string): PriLeg {
    return PriLeg.outbound({ id: this.#legId(), trunk, host: this.#host });
  }

  /** The G.711 law of a span group's B-channels (E1 A-law, T1 mu-law; the first span decides). */
  lawOf(trunk: string): 'alaw' | 'ulaw' {
    const c = this.#cfgs.find((x) => x.trunk === trunk);
    return c?.type === 't1' ? 'ulaw' : 'alaw';
  }

  /** Trunks (span groups) with at least one configured span. */
  trunks(): string[] {
    return [...new Set(this.#cfgs.map((c) => c.trunk))];
  }

  /** Sends RESTART for one B-channel or (0) all of a span; its calls clear with cause 41. */
  restart(spanId: string, channel = 0): void {
    const s = this.#byId(spanId);
    this.#o.log.warn({ span: spanId, channel: channel || 'all' }, 'sending RESTART');
    this.#n().pri.restart(s.handle, channel);
  }

  /** Fault injection on a span's D-channel toward its far end (see SpanBinding.inject). */
  inject(spanId: string, kind: SpanInjectKind, data: Uint8Array): void {
    const s = this.#byId(spanId);
    const n = this.#n();
    if (!n.span.inject) throw new NativeError('this span driver cannot inject faults');
    n.span.inject(s.handle, kind, data);
  }

  /** The `show.spans` answer. */
  show(): SpanView[] {
    const n = this.#native;
    return [...this.#spans.values()].map((s) => {
      const st = n?.span.stats(s.handle);
      const pri = n?.pri.status(s.handle);
      const calls = [...this.#legs.entries()].filter(([, l]) => l.span === s.handle).map(([call, l]) => ({
        leg: l.id, call, channel: l.channel, direction: l.direction, state: l.state, calling: l.calling, called: l.called,
        media: l.media ? (l.media.bridgedTo ? 'bridged' : l.media.tone ?? (l.media.rtp ? 'rtp' : 'open')) : l.mediaError ? `failed: ${l.mediaError}` : 'none',
        ...rtpView(l),
      }));
      return {
        id: s.cfg.id, trunk: s.cfg.trunk, type: s.cfg.type, side: s.cfg.side, switchtype: s.cfg.switchtype,
        local: `${s.cfg.localAddress}:${st?.localPort ?? s.cfg.localPort}`,
        remote: s.cfg.remotePort ? `${s.cfg.remoteAddress}:${s.cfg.remotePort}` : '(learnt)',
        handle: s.handle, dchannel: s.dchanUp ? 'up' : 'down', alarms: alarmNames(st?.alarms ?? s.alarms),
        channels: pri?.channels ?? 0, inUse: pri?.calls ?? 0, outOfService: pri?.outOfService ?? 0, calls,
        counters: {
          txPackets: st?.tx_packets ?? 0, rxPackets: st?.rx_packets ?? 0, rxLost: st?.rx_lost ?? 0, slips: st?.slips ?? 0,
          rxMalformed: st?.rx_malformed ?? 0, rxForeign: st?.rx_foreign ?? 0, hdlcCrcErrors: st?.hdlc_crc_errors ?? 0,
          hdlcAborts: st?.hdlc_aborts ?? 0, hdlcLengthErrors: st?.hdlc_length_errors ?? 0, alarmsRaised: st?.alarm_count ?? s.alarmsRaised,
          protocolErrors: pri?.protocolErrors ?? 0, callsIn: pri?.callsIn ?? 0, callsOut: pri?.callsOut ?? 0,
          rejected: pri?.rejected ?? 0, restarts: s.restarts,
        },
        lastError: pri?.lastError ?? '',
      };
    });
  }

  #n(): TdmNative {
    if (!this.#native) throw new SignalingError('no TDM spans are open', { q850Cause: Cause.NETWORK_OUT_OF_ORDER });
    return this.#native;
  }

  #byId(id: string): SpanState {
    const s = [...this.#spans.values()].find((x) => x.cfg.id === id);
    if (!s) throw new SignalingError(`no span ${id}`, { q850Cause: Cause.NO_ROUTE_DESTINATION });
    return s;
  }

  #legId(): string {
    this.#seq += 1;
    return `pri-${process.pid.toString(36)}-${this.#seq}`;
  }

  #pickSpan(trunk: string): { span: number; id: string } {
    if (this.#draining) throw new SignalingError('TDM is draining', { q850Cause: Cause.TEMPORARY_FAILURE });
    const group = [...this.#spans.values()].filter((s) => s.cfg.trunk === trunk);
    if (group.length === 0) throw new SignalingError(`no span on trunk ${trunk}`, { q850Cause: Cause.NO_ROUTE_DESTINATION });
    const usable = group.filter((s) => s.dchanUp && s.alarms === 0);
    if (usable.length === 0) throw new SignalingError(`every span of trunk ${trunk} is down`, { q850Cause: Cause.NETWORK_OUT_OF_ORDER });
    const n = this.#n();
    let best: { s: SpanState; free: number } | undefined;
    for (const s of usable) {
      const p = n.pri.status(s.handle);
      const free = p.channels - p.outOfService - p.calls;
      if (free > 0 && (!best || free > best.free)) best = { s, free };
    }
    if (!best) throw new SignalingError(`no free B-channel on trunk ${trunk}`, { q850Cause: Cause.NO_CIRCUIT_AVAILABLE });
    return { span: best.s.handle, id: best.s.cfg.id };
  }

  #reconcile(): void {
    const n = this.#native;
    if (!n) return;
    for (const s of this.#spans.values()) {
      try {
        const p = n.pri.status(s.handle);
        if (p.dchanUp !== s.dchanUp) {
          this.#o.log.debug({ span: s.cfg.id, dchannel: p.dchanUp ? 'up' : 'down' }, 'D-channel state read back');
          s.dchanUp = p.dchanUp;
        }
        const st = n.span.stats(s.handle);
        if (st.alarms !== s.alarms) {
          this.#o.log.debug({ span: s.cfg.id, alarms: alarmNames(st.alarms) }, 'span alarms read back');
          s.alarms = st.alarms;
        }
        this.#logErrors(s, st, p);
      } catch (err) {
        this.#o.log.warn({ err, span: s.cfg.id }, 'reading span state failed');
      }
    }
  }

  /**
   * Malformed input on a span (bad CESoPSN packets, HDLC frames with a bad FCS, aborts or bad
   * length, Q.921/Q.931 libpri refused) is counted natively; here at most one warning per span
   * and reconcile pass says what rose since the last one, with libpri's last error text.
   */
  #logErrors(s: SpanState, st: SpanStatsValues, p: PriStatusValues): void {
    const now = {
      protocolErrors: p.protocolErrors, hdlcErrors: st.hdlc_crc_errors + st.hdlc_aborts + st.hdlc_length_errors, rxMalformed: st.rx_malformed,
    };
    const was = s.logged;
    if (now.protocolErrors === was.protocolErrors && now.hdlcErrors === was.hdlcErrors && now.rxMalformed === was.rxMalformed) return;
    s.logged = now;
    this.#o.log.warn({
      span: s.cfg.id, protocolErrors: now.protocolErrors - was.protocolErrors, hdlcErrors: now.hdlcErrors - was.hdlcErrors,
      hdlcCrcErrors: st.hdlc_crc_errors, hdlcAborts: st.hdlc_aborts, hdlcLengthErrors: st.hdlc_length_errors,
      rxMalformed: now.rxMalformed - was.rxMalformed, lastError: p.lastError,
    }, 'malformed input on span');
  }

  #openMedia(leg: PriLeg, span: number, channel: number): PriMedia | undefined {
    const t = this.#native?.tdm;
    const s = this.#spans.get(span);
    if (!this.#o.media || !t || !s) return undefined;
    try {
      if (!this.#engineReady) {
        t.ensureEngine();
        this.#engineReady = true;
      }
      const m = new PriMedia(t, span, channel, {
        echoTailMs: s.cfg.echoTailMs, tonePlan: tonePlan(s.cfg.country, s.cfg.type), rejectToneMs: s.cfg.rejectToneMs,
      });
      this.#mediaLegs.set(m.handle, leg);
      return m;
    } catch (err) {
      this.#o.log.warn({ err, span: s.cfg.id, channel, leg: leg.id }, 'B-channel media could not be set up; the call goes on without it');
      throw err;
    }
  }

  #openRtp(leg: PriLeg): PriRtp {
    const n = this.#native;
    const s = this.#spans.get(leg.span) ?? [...this.#spans.values()].find((x) => x.cfg.trunk === leg.trunk);
    const where = this.#o.rtp?.();
    if (!this.#o.media || !n?.rtp || !n.tdm || !where || !s) {
      throw new MediaError(`no RTP media for B-channels on trunk ${leg.trunk} (tdm.rtp not available)`);
    }
    try {
      if (!this.#engineReady) {
        n.tdm.ensureEngine();
        this.#engineReady = true;
      }
      return new PriRtp(n.rtp, { address: where.address, law: s.cfg.type === 't1' ? 'ulaw' : 'alaw' });
    } catch (err) {
      this.#o.log.warn({ err, span: s.cfg.id, leg: leg.id, address: where.address }, 'RTP endpoint for the B-channel could not be opened');
      throw err instanceof MediaError ? err : new MediaError(`RTP endpoint on ${where.address}: ${(err as Error).message}`, { cause: err });
    }
  }

  #closeRtp(r: PriRtp): void {
    try {
      r.close();
    } catch (err) {
      this.#o.log.warn({ err, rtp: r.handle }, 'closing the B-channel RTP endpoint failed');
    }
  }

  #closeMedia(m: PriMedia): void {
    this.#mediaLegs.delete(m.handle);
    try {
      m.release();
    } catch (err) {
      this.#o.log.warn({ err, channel: m.handle }, 'releasing B-channel media failed');
    }
  }

  #dispatch(raw: NativeEvent): void {
    const dtmf = decodeDspEvent(raw);
    if (dtmf) {
      if (dtmf.kind === 'dtmf-end') this.#mediaLegs.get(dtmf.channel)?.handleInbandDtmf(dtmf.digit, dtmf.durationMs);
      return;
    }
    const ev = decodeTdmEvent(raw);
    if (!ev) return;
    const s = this.#spans.get(ev.span);
    // The event stream is process-wide: other managers' spans (tests, the simulator) are not ours.
    if (!s) return;
    if ('call' in ev) {
      if (ev.kind === 'pri.ring') this.#ring(ev);
      else this.#legs.get(ev.call)?.handleEvent(ev);
      return;
    }
    const log = this.#o.log;
    switch (ev.kind) {
      case 'pri.dchan-up':
        s.dchanUp = true;
        log.info({ span: s.cfg.id }, 'D-channel up');
        break;
      case 'pri.dchan-down':
        s.dchanUp = false;
        log.warn({ span: s.cfg.id }, 'D-channel down');
        break;
      case 'span.alarm':
        if (ev.alarms !== 0 && (ev.alarms & ~ev.previous) !== 0) s.alarmsRaised += 1;
        s.alarms = ev.alarms;
        if (ev.alarms === 0) log.info({ span: s.cfg.id, previous: alarmNames(ev.previous) }, 'span alarm cleared');
        else log.warn({ span: s.cfg.id, alarms: alarmNames(ev.alarms), rxLost: ev.rxLost, slips: ev.slips }, 'span alarm');
        break;
      case 'pri.restart':
        s.restarts += 1;
        log.warn({ span: s.cfg.id, channel: ev.channel || 'all', by: ev.ours ? 'us' : 'far end' }, 'RESTART');
        break;
      case 'pri.service':
        log.info({ span: s.cfg.id, channel: ev.channel, inService: ev.inService }, 'far end changed channel service state');
        break;
      default:
        break;
    }
    this.emit('span', ev);
  }

  #ring(ev: Extract<PriEvent, { kind: 'pri.ring' }>): void {
    const s = this.#spans.get(ev.span);
    const n = this.#n();
    if (!s || this.#draining || this.listenerCount('incoming') === 0) {
      const cause = this.#draining ? Cause.TEMPORARY_FAILURE : Cause.NO_ROUTE_DESTINATION;
      this.#o.log.info({ span: s?.cfg.id ?? ev.span, called: ev.called, cause }, 'incoming PRI call refused');
      try { n.pri.hangup(ev.call, cause); } catch { /* already gone */ }
      return;
    }
    let info;
    try {
      info = n.pri.callInfo(ev.call);
    } catch (err) {
      this.#o.log.warn({ err, span: s.cfg.id }, 'incoming call vanished before it was read');
      return;
    }
    const leg = PriLeg.inbound({ id: this.#legId(), trunk: s.cfg.trunk, host: this.#host }, ev.call, s.cfg.id, info);
    this.#o.log.info({ span: s.cfg.id, leg: leg.id, channel: leg.channel, calling: leg.calling, called: leg.called }, 'incoming PRI call');
    this.emit('incoming', leg);
  }

  #registerMetrics(m: Metrics): void {
    const each = (f: (s: SpanState, st: SpanStatsValues, p: PriStatusValues) => void): void => {
      const n = this.#native;
      if (!n) return;
      for (const s of this.#spans.values()) {
        try {
          f(s, n.span.stats(s.handle), n.pri.status(s.handle));
        } catch { /* the span closed during the scrape */ }
      }
    };
    m.gauge('spangate_tdm_span_channels_in_use', 'B-channels holding a call, per span.', ['span'], (g) =>
      each((s, _st, p) => g.set({ span: s.cfg.id }, p.calls)));
    m.gauge('spangate_tdm_span_dchannel_up', '1 while the span\'s D-channel (Q.921) is up.', ['span'], (g) =>
      each((s, _st, p) => g.set({ span: s.cfg.id }, p.dchanUp ? 1 : 0)));
    m.gauge('spangate_tdm_span_alarm', '1 while the span has this alarm (los red, ais blue, rai yellow).', ['span', 'alarm'], (g) =>
      each((s, st) => { for (const a of ['los', 'ais', 'rai']) g.set({ span: s.cfg.id, alarm: a }, alarmNames(st.alarms).includes(a) ? 1 : 0); }));
    m.gauge('spangate_tdm_span_alarms_raised', 'Alarms raised on the span since it opened (native counter).', ['span'], (g) =>
      each((s, st) => g.set({ span: s.cfg.id }, st.alarm_count)));
    m.gauge('spangate_tdm_span_slips', 'Controlled slips on the span since it opened (native counter).', ['span'], (g) =>
      each((s, st) => g.set({ span: s.cfg.id }, st.slips)));
    m.gauge('spangate_tdm_span_rx_lost_packets', 'CESoPSN packets lost on the span since it opened (native counter).', ['span'], (g) =>
      each((s, st) => g.set({ span: s.cfg.id }, st.rx_lost)));
    m.gauge('spangate_tdm_span_hdlc_errors', 'D-channel HDLC frames dropped since the span opened (native counter): bad FCS (crc), aborts, bad length.', ['span', 'kind'], (g) =>
      each((s, st) => {
        g.set({ span: s.cfg.id, kind: 'crc' }, st.hdlc_crc_errors);
        g.set({ span: s.cfg.id, kind: 'abort' }, st.hdlc_aborts);
        g.set({ span: s.cfg.id, kind: 'length' }, st.hdlc_length_errors);
      }));
    m.gauge('spangate_tdm_span_rx_malformed_packets', 'CESoPSN packets dropped as malformed (control word, length, payload size) since the span opened (native counter).', ['span'], (g) =>
      each((s, st) => g.set({ span: s.cfg.id }, st.rx_malformed)));
    m.gauge('spangate_tdm_span_restarts', 'RESTART messages seen on the span (sent or received, one per B-channel when a whole span restarts) since it opened.', ['span'], (g) =>
      each((s) => g.set({ span: s.cfg.id }, s.restarts)));
    m.gauge('spangate_tdm_span_protocol_errors', 'libpri errors (malformed Q.921/Q.931) on the span since it opened.', ['span'], (g) =>
      each((s, _st, p) => g.set({ span: s.cfg.id }, p.protocolErrors)));
  }
}
