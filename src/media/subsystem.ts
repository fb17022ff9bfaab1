// The media subsystem owns both media relays for calls with a SIP leg: it runs (managed) or
// watches (external) rtpengine, and runs the native engine's relay (native-host.ts). Each is
// started only when something can use it: a SIP trunk whose relay (its mediaRelay, else
// media.relay) names it. A TDM-only gateway, and `spangate demo` on its defaults, run without
// either; a reload that adds the first such trunk starts it then. relayFor() picks the relay
// per call (relay-choice.ts). Health, up gauges, session counts, restarts and the native
// engine's relayed packets (user space and kernel) go to /health and /metrics.

import type { SpangateConfig } from '../config/index.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { resolveTrunk, type TrunkInput } from '../sip/trunk-profiles.js';
import { NativeHost, type NativeHostLike, type NativeHostOptions } from './native-host.js';
import type { LegMediaOptions, MediaRelay } from './relay.js';
import { chooseRelay, type RelayName } from './relay-choice.js';
import { RtpengineRelay } from './rtpengine-relay.js';
import { RtpengineDtmfLog } from './rtpengine-dtmf-log.js';
import { optionsFromConfig, RtpengineSupervisor, type RtpengineOptions } from './rtpengine-supervisor.js';

/** What the subsystem needs from a supervisor (the real one, or a fake in unit tests). */
export interface SupervisorLike {
  readonly up: boolean;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly ng: RtpengineSupervisor['ng'];
  start(): Promise<void>;
  stop(): Promise<void>;
  on(event: 'up', listener: () => void): unknown;
  on(event: 'down', listener: (reason: string) => void): unknown;
}

export interface MediaSubsystemOptions {
  config: SpangateConfig;
  log: Logger;
  metrics: Metrics;
  /** Builds the supervisor; the default spawns/pings the real rtpengine. */
  makeSupervisor?: (o: RtpengineOptions, log: Logger) => SupervisorLike;
  /** Builds the native relay's host; the default starts the real engine. */
  makeNative?: (o: NativeHostOptions, log: Logger) => NativeHostLike;
}

/** The relay a trunk asks for: its mediaRelay, else media.relay (TDM span groups: media.relay). */
export function trunkRelay(cfg: SpangateConfig, trunk: string): RelayName {
  const input = (cfg.sip.trunks as unknown as Record<string, TrunkInput>)[trunk];
  const own = input ? resolveTrunk(trunk, input).mediaRelay : 'default';
  return own === 'default' ? cfg.media.relay : own;
}

function relaysUsed(cfg: SpangateConfig): Set<RelayName> {
  return new Set(Object.keys(cfg.sip.trunks).map((id) => trunkRelay(cfg, id)));
}

/** True when this config gives rtpengine something to do: a SIP trunk uses it. */
export function rtpengineNeeded(cfg: SpangateConfig): boolean {
  return relaysUsed(cfg).has('rtpengine');
}

/** True when a SIP trunk uses the native relay. */
export function nativeNeeded(cfg: SpangateConfig): boolean {
  return relaysUsed(cfg).has('native');
}

function nativeOptions(m: SpangateConfig['media']): NativeHostOptions {
  return { ...m.native, mediaTimeoutMs: m.timeoutMs };
}

export class MediaSubsystem implements Subsystem {
  readonly name = 'media';
  #cfg: SpangateConfig;
  readonly #log: Logger;
  readonly #make: (o: RtpengineOptions, log: Logger) => SupervisorLike;
  readonly #makeNative: (o: NativeHostOptions, log: Logger) => NativeHostLike;
  #native: NativeHostLike | undefined;
  #nativeError = '';
  /** Trunk → the relay it asks for, resolved once per config. */
  #prefers = new Map<string, RelayName>();
  #sup: SupervisorLike | undefined;
  #relay: RtpengineRelay | undefined;
  #dtmfLog: RtpengineDtmfLog | undefined;
  #downReason = '';
  #countedRestarts = 0;
  /** Restarts of every supervisor this subsystem ran (a reload may replace the supervisor). */
  #restartTotal = 0;

  constructor(o: MediaSubsystemOptions) {
    this.#cfg = o.config;
    this.#log = o.log;
    this.#make = o.makeSupervisor ?? ((opts, log) => new RtpengineSupervisor(opts, log));
    this.#makeNative = o.makeNative ?? ((opts, log) => new NativeHost(opts, log));
    this.#resolvePrefs();
    // The gauges and the restart counter are computed at scrape time.
    o.metrics.gauge('spangate_rtpengine_up', 'rtpengine answers NG ping (1) or not (0); 0 also while it is not in use.', [], (g) => {
      g.set(this.#sup?.up ? 1 : 0);
    });
    o.metrics.gauge('spangate_rtpengine_sessions', 'Media sessions spangate holds on rtpengine.', [], (g) => {
      g.set(this.#relay?.sessionCount ?? 0);
    });
    o.metrics.counterFrom('spangate_rtpengine_restarts_total', 'Restarts of the managed rtpengine after it died or hung.', [], (c) => {
      this.#syncRestarts();
      c.set(this.#restartTotal);
    });
    o.metrics.counterFrom('spangate_rtpengine_dtmf_events_total', 'Datagrams from rtpengine\'s DTMF log (RFC 4733 → INFO) by result: received, malformed, foreign (not from rtpengine).', ['result'], (c) => {
      const n = this.#dtmfLog?.counters;
      if (!n) return;
      c.set({ result: 'received' }, n.events);
      c.set({ result: 'malformed' }, n.malformed);
      c.set({ result: 'foreign' }, n.foreign);
    });
    o.metrics.gauge('spangate_native_relay_up', 'The native relay\'s media engine runs (1) or not (0); 0 also while it is not in use.', [], (g) => {
      g.set(this.#native?.running ? 1 : 0);
    });
    o.metrics.gauge('spangate_native_relay_sessions', 'Media sessions on the native relay.', [], (g) => {
      g.set(this.#native?.relay ? this.#nativeSessions() : 0);
    });
    o.metrics.gauge('spangate_native_kfwd_attached', 'In-kernel forwarding of pass-through streams is attached (1) or not (0).', [], (g) => {
      g.set(this.#native?.kernelForwarding.startsWith('on') ? 1 : 0);
    });
    o.metrics.gauge('spangate_native_kfwd_flows', 'Relay directions forwarded in the kernel now.', [], (g) => {
      g.set(this.#native?.counters()?.kfwd_active ?? 0);
    });
    // Engine counters are process-wide: the same engine carries PRI B-channel endpoints.
    o.metrics.counterFrom('spangate_native_relayed_packets_total', 'Packets the native engine relayed between two endpoints (passed through or transcoded), kernel-forwarded ones included once the engine has folded them in (every ≈ 0.5 s).', [], (c) => {
      const n = this.#native?.counters();
      if (n) c.set(n.relay_forwarded + n.relay_transcoded);
    });
    o.metrics.counterFrom('spangate_native_kfwd_packets_total', 'Packets of pass-through streams the kernel forwarded (tc program), exact at scrape time.', [], (c) => {
      const n = this.#native?.counters();
      if (n) c.set(n.kfwd_packets);
    });
  }

  /** The rtpengine relay; undefined while rtpengine is not in use. */
  get relay(): MediaRelay | undefined {
    return this.#relay;
  }

  /** The native relay; undefined while it is not in use. */
  get nativeRelay(): MediaRelay | undefined {
    return this.#native?.relay;
  }

  /**
   * The relay for a call whose legs are on these trunks (relay-choice.ts has the rule). When
   * neither relay can take it but rtpengine is in use, rtpengine's relay is returned all the same:
   * while it is down it refuses the session with a MediaError, as it always did.
   */
  relayFor(legs: readonly { trunk: string; options: LegMediaOptions }[]): MediaRelay | undefined {
    const native = this.#native?.running ? this.#native.relay : undefined;
    const choice = chooseRelay(
      legs.map((l) => ({ ...l, prefers: this.#prefers.get(l.trunk) ?? this.#cfg.media.relay })),
      { rtpengine: this.#sup?.up ? this.#relay : undefined, native },
    );
    this.#log.debug({ trunks: legs.map((l) => l.trunk), relay: choice.relay?.name ?? null, reason: choice.reason }, 'media relay chosen');
    return choice.relay ?? this.#relay;
  }

  async start(): Promise<void> {
    if (nativeNeeded(this.#cfg)) this.#startNative();
    if (!rtpengineNeeded(this.#cfg)) {
      this.#log.info({ relay: this.#cfg.media.relay, sipTrunks: Object.keys(this.#cfg.sip.trunks).length }, 'rtpengine not started: no SIP trunk uses it');
      return;
    }
    await this.#startRtpengine();
  }

  async reload(config: SpangateConfig): Promise<void> {
    this.#cfg = config;
    this.#resolvePrefs();
    // media.rtpengine.* and media.native.* need a restart; a first SIP trunk using a relay
    // arriving by reload starts it. A relay no trunk uses any more runs on until restart.
    // TODO(next): media.timeoutMs and checkIntervalMs are reloadable but RtpengineRelay takes
    // them at construction; new values apply to the relay only after a restart for now.
    if (!this.#native && nativeNeeded(config)) this.#startNative();
    if (!this.#sup && rtpengineNeeded(config)) await this.#startRtpengine();
  }

  #resolvePrefs(): void {
    this.#prefers = new Map(Object.keys(this.#cfg.sip.trunks).map((id) => [id, trunkRelay(this.#cfg, id)]));
  }

  /** A native engine that cannot start leaves its trunks to rtpengine; health says why. */
  #startNative(): void {
    const host = this.#makeNative(nativeOptions(this.#cfg.media), this.#log);
    try {
      host.start();
      this.#native = host;
      this.#nativeError = '';
    } catch (err) {
      this.#nativeError = (err as Error).message;
      this.#log.error({ err: this.#nativeError }, 'native media relay did not start: its trunks use rtpengine when it runs');
    }
  }

  #nativeSessions(): number {
    return this.#native?.relay?.sessionCount ?? 0;
  }

  async drain(_deadline: number): Promise<void> {
    // Media follows the calls: the calls subsystem drains them; sessions close with their calls.
  }

  async stop(): Promise<void> {
    const native = this.#native;
    this.#native = undefined;
    if (native) await native.stop();
    const sup = this.#sup;
    const relay = this.#relay;
    this.#relay = undefined;
    if (relay) await relay.close();
    if (sup) {
      await sup.stop();
      this.#syncRestarts();
    }
    this.#dtmfLog?.close();
    this.#dtmfLog = undefined;
  }

  health(): SubsystemHealth {
    const parts: string[] = [];
    let down = false;
    const n = this.#native;
    if (n) {
      if (n.running) parts.push(`native relay up (${this.#cfg.media.native.address}), ${this.#nativeSessions()} sessions, kernel forwarding ${n.kernelForwarding}, receive steering ${n.receiveSteering}`);
      else {
        down = true;
        parts.push('native relay down: engine stopped');
      }
    } else if (this.#nativeError) {
      down = true;
      parts.push(`native relay down: ${this.#nativeError}`);
    }
    const sup = this.#sup;
    const r = this.#cfg.media.rtpengine;
    if (!sup) {
      if (parts.length === 0) parts.push('rtpengine idle: not started (no SIP trunk uses it)');
      else parts.push('rtpengine not used');
    } else {
      const where = `${r.mode} at ${r.ngHost}:${r.ngPort}${sup.pid !== undefined ? `, pid ${sup.pid}` : ''}`;
      if (!sup.up) {
        down = true;
        parts.push(`rtpengine down (${where}): ${this.#downReason || 'not answering'}`);
      } else parts.push(`rtpengine up (${where}), ${this.#relay?.sessionCount ?? 0} sessions, ${sup.restarts} restarts`);
    }
    return { status: down ? 'down' : 'ok', detail: parts.join('; ') };
  }

  async #startRtpengine(): Promise<void> {
    const m = this.#cfg.media;
    const dtmfLog = await this.#openDtmfLog();
    const sup = this.#make(optionsFromConfig(m.rtpengine, m.timeoutMs, m.rtpengine.mode === 'managed' ? dtmfLog?.dest : undefined), this.#log);
    sup.on('down', (reason) => {
      this.#downReason = reason;
      this.#syncRestarts();
    });
    sup.on('up', () => this.#syncRestarts());
    this.#log.info({ mode: m.rtpengine.mode, ng: `${m.rtpengine.ngHost}:${m.rtpengine.ngPort}` }, 'starting media relay rtpengine');
    try {
      await sup.start();
    } catch (err) {
      await sup.stop().catch(() => undefined);
      dtmfLog?.close();
      this.#dtmfLog = undefined;
      throw err;
    }
    this.#sup = sup;
    this.#countedRestarts = 0; // a new supervisor counts from 0; #restartTotal keeps the sum
    this.#relay = new RtpengineRelay(sup, {
      mediaCheckIntervalMs: m.checkIntervalMs,
      mediaTimeoutMs: m.timeoutMs,
      // A managed rtpengine that went down was restarted empty; an external one may still hold them.
      sessionsLostOnDown: m.rtpengine.mode === 'managed',
      log: this.#log,
      ...(dtmfLog ? { dtmfLog } : {}),
    });
  }

  /**
   * The listener for rtpengine's DTMF events (RFC 4733 → INFO). Managed: on ngHost (loopback),
   * any free port unless dtmfLogPort says; accepts loopback senders (rtpengine's socket may
   * leave from 127.0.0.1 whatever ngHost is). External: only with a port, from ngHost only.
   */
  async #openDtmfLog(): Promise<RtpengineDtmfLog | undefined> {
    const r = this.#cfg.media.rtpengine;
    if (r.mode === 'external' && r.dtmfLogPort === 0) return undefined;
    const managed = r.mode === 'managed';
    const isLoopback = (a: string): boolean => a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');
    this.#dtmfLog = await RtpengineDtmfLog.open({
      address: managed ? r.ngHost : r.ngHost.includes(':') ? '::' : '0.0.0.0',
      port: r.dtmfLogPort,
      acceptFrom: managed ? (a) => isLoopback(a) || a === r.ngHost : (a) => a === r.ngHost || a === `::ffff:${r.ngHost}`,
      onEvent: (ev) => this.#relay?.handleDtmf(ev),
      log: this.#log,
    });
    this.#log.info({ listen: this.#dtmfLog.dest }, 'receiving rtpengine DTMF events');
    return this.#dtmfLog;
  }

  #syncRestarts(): void {
    const n = this.#sup?.restarts ?? 0;
    if (n > this.#countedRestarts) {
      this.#restartTotal += n - this.#countedRestarts;
      this.#countedRestarts = n;
    }
  }
}
