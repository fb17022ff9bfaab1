// The CDR subsystem: opens the CDR store at start, writes one row per finished call, deletes
// rows older than cdr.retentionDays at start and every hour, closes the store last.
// A failed write is logged and counted; it never disturbs a call.

import { cdrFile } from '../config/schema/cdr.js';
import type { SpangateConfig } from '../config/index.js';
import type { CallRecord } from '../call/call.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import type { Logger } from '../log/index.js';
import type { CounterHandle, Metrics } from '../metrics/index.js';
import { CdrStore } from './store.js';

export const PRUNE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface CdrSubsystemOptions {
  config: SpangateConfig;
  log: Logger;
  metrics: Metrics;
  /** Opens the store (tests pass ':memory:' or a fake). */
  open?: (path: string) => Pick<CdrStore, 'record' | 'prune' | 'close'>;
  now?: () => number;
}

export class CdrSubsystem implements Subsystem {
  readonly name = 'cdr';
  #cfg: SpangateConfig;
  readonly #log: Logger;
  readonly #open: NonNullable<CdrSubsystemOptions['open']>;
  readonly #now: () => number;
  #store: Pick<CdrStore, 'record' | 'prune' | 'close'> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastError = '';
  readonly #written: CounterHandle;
  readonly #failed: CounterHandle;
  readonly #pruned: CounterHandle;

  constructor(o: CdrSubsystemOptions) {
    this.#cfg = o.config;
    this.#log = o.log;
    this.#open = o.open ?? ((path) => new CdrStore(path));
    this.#now = o.now ?? Date.now;
    this.#written = o.metrics.counter('spangate_cdr_records_total', 'CDR rows written.');
    this.#failed = o.metrics.counter('spangate_cdr_write_errors_total', 'CDR rows that could not be written.');
    this.#pruned = o.metrics.counter('spangate_cdr_pruned_total', 'CDR rows deleted by retention.');
  }

  get path(): string {
    return cdrFile(this.#cfg);
  }

  async start(): Promise<void> {
    if (!this.#cfg.cdr.enabled) {
      this.#log.info('CDRs disabled (cdr.enabled is false)');
      return;
    }
    this.#store = this.#open(this.path);
    this.#log.info({ event: 'cdr-open', path: this.path, retentionDays: this.#cfg.cdr.retentionDays }, 'CDR store open');
    this.prune();
    this.#timer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.#timer.unref();
  }

  reload(config: SpangateConfig): void {
    const before = this.#cfg.cdr.retentionDays;
    this.#cfg = config;
    if (config.cdr.retentionDays !== before) this.prune();
  }

  async drain(_deadline: number): Promise<void> {
    // Stays open while calls drain so their rows are written.
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#store?.close();
    this.#store = undefined;
  }

  health(): SubsystemHealth {
    if (!this.#cfg.cdr.enabled) return { status: 'ok', detail: 'disabled' };
    if (!this.#store) return { status: 'down', detail: 'store not open' };
    if (this.#lastError) return { status: 'degraded', detail: `last write failed: ${this.#lastError}` };
    return { status: 'ok', detail: this.path };
  }

  /** Writes one finished call; wired to the call registry's onEnded in main.ts. */
  record(r: CallRecord): void {
    if (!this.#store) return;
    try {
      this.#store.record(r);
      this.#written.inc();
      this.#lastError = '';
    } catch (err) {
      this.#failed.inc();
      this.#lastError = (err as Error).message;
      this.#log.error({ err, callId: r.id }, 'cannot write CDR');
    }
  }

  /** Deletes rows older than the retention; returns how many (0 when retention is off). */
  prune(): number {
    const days = this.#cfg.cdr.retentionDays;
    if (!this.#store || days === 0) return 0;
    try {
      const n = this.#store.prune(this.#now() - days * DAY_MS);
      if (n > 0) {
        this.#pruned.inc(n);
        this.#log.info({ event: 'cdr-pruned', rows: n, retentionDays: days }, 'old CDRs deleted');
      }
      return n;
    } catch (err) {
      this.#log.error({ err }, 'cannot prune CDRs');
      return 0;
    }
  }
}
