// The media subsystem: runs (managed) or watches (external) rtpengine for SIP⇄SIP calls and
// offers the MediaRelay the SIP legs use. rtpengine is only started when something can use it:
// media.relay is "rtpengine" and at least one SIP trunk is configured. A TDM-only gateway, and
// `spangate demo` on its defaults, run without it; a reload that adds the first SIP trunk
// starts it then. Health, the up gauge, session count and restarts go to /health and /metrics.

import type { SpangateConfig } from '../config/index.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { MediaRelay } from './relay.js';
import { RtpengineRelay } from './rtpengine-relay.js';
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
}

/** True when this config gives rtpengine something to do. */
export function rtpengineNeeded(cfg: SpangateConfig): boolean {
  return cfg.media.relay === 'rtpengine' && Object.keys(cfg.sip.trunks).length > 0;
}

export class MediaSubsystem implements Subsystem {
  readonly name = 'media';
  #cfg: SpangateConfig;
  readonly #log: Logger;
  readonly #make: (o: RtpengineOptions, log: Logger) => SupervisorLike;
  #sup: SupervisorLike | undefined;
  #relay: RtpengineRelay | undefined;
  #downReason = '';
  #countedRestarts = 0;
  /** Restarts of every supervisor this subsystem ran (a reload may replace the supervisor). */
  #restartTotal = 0;

  constructor(o: MediaSubsystemOptions) {
    this.#cfg = o.config;
    this.#log = o.log;
    this.#make = o.makeSupervisor ?? ((opts, log) => new RtpengineSupervisor(opts, log));
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
  }

  /** The relay for SIP⇄SIP calls; undefined while rtpengine is not in use. */
  get relay(): MediaRelay | undefined {
    return this.#relay;
  }

  async start(): Promise<void> {
    if (!rtpengineNeeded(this.#cfg)) {
      this.#log.info({ relay: this.#cfg.media.relay, sipTrunks: 0 }, 'rtpengine not started: no SIP trunk configured');
      return;
    }
    await this.#startRtpengine();
  }

  async reload(config: SpangateConfig): Promise<void> {
    this.#cfg = config;
    // media.rtpengine.* needs a restart; a first SIP trunk arriving by reload starts rtpengine.
    // TODO(next): media.timeoutMs and checkIntervalMs are reloadable but RtpengineRelay takes
    // them at construction; new values apply to the relay only after a restart for now.
    if (!this.#sup && rtpengineNeeded(config)) await this.#startRtpengine();
  }

  async drain(_deadline: number): Promise<void> {
    // Media follows the calls: the calls subsystem drains them; sessions close with their calls.
  }

  async stop(): Promise<void> {
    const sup = this.#sup;
    const relay = this.#relay;
    this.#relay = undefined;
    if (relay) await relay.close();
    if (sup) {
      await sup.stop();
      this.#syncRestarts();
    }
  }

  health(): SubsystemHealth {
    const sup = this.#sup;
    const r = this.#cfg.media.rtpengine;
    if (!sup) {
      return this.#cfg.media.relay === 'native'
        ? { status: 'ok', detail: 'native relay; rtpengine not used' }
        : { status: 'ok', detail: 'rtpengine idle: not started (no SIP trunk configured)' };
    }
    const where = `${r.mode} at ${r.ngHost}:${r.ngPort}${sup.pid !== undefined ? `, pid ${sup.pid}` : ''}`;
    if (!sup.up) return { status: 'down', detail: `rtpengine down (${where}): ${this.#downReason || 'not answering'}` };
    return { status: 'ok', detail: `rtpengine up (${where}), ${this.#relay?.sessionCount ?? 0} sessions, ${sup.restarts} restarts` };
  }

  async #startRtpengine(): Promise<void> {
    const m = this.#cfg.media;
    const sup = this.#make(optionsFromConfig(m.rtpengine, m.timeoutMs), this.#log);
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
    });
  }

  #syncRestarts(): void {
    const n = this.#sup?.restarts ?? 0;
    if (n > this.#countedRestarts) {
      this.#restartTotal += n - this.#countedRestarts;
      this.#countedRestarts = n;
    }
  }
}
