// The contract between the daemon and each part it runs (admin API, metrics, and later SIP,
// media and TDM). The daemon starts subsystems in order, stops them in reverse order.
import type { SpangateConfig } from '../config/index.js';

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface SubsystemHealth {
  status: HealthStatus;
  /** Short human-readable detail, e.g. "2 of 3 trunks up". */
  detail?: string;
}

export interface Subsystem {
  /** Lower-case name; also the logger and log-level name (log.subsystems.<name>). */
  readonly name: string;
  /** Opens sockets, starts threads. Throwing aborts daemon start-up. */
  start(): Promise<void>;
  /**
   * Takes a new config after a reload. Only reloadable keys differ from the running config
   * (restart-required keys keep their old values). Throwing rejects the whole reload.
   */
  reload(config: SpangateConfig): Promise<void> | void;
  /**
   * Stops accepting new work (calls) and resolves when active work has ended or at
   * `deadline` (epoch milliseconds, as Date.now()), whichever comes first.
   */
  drain(deadline: number): Promise<void>;
  /** Releases everything; active work left after draining is cut off. */
  stop(): Promise<void>;
  /** Current health, for /health and `spangate status`. */
  health?(): SubsystemHealth;
  /** Work in progress (e.g. active calls), reported while draining. */
  activeWork?(): number;
}
