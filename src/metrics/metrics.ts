// The metrics registry: process metrics, spangate_build_info, and the counters, gauges and
// histograms other modules ask for. The only prom-client user; others see the small handle
// interfaces below.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Labels = Record<string, string | number>;

export interface CounterHandle {
  inc(labels: Labels, value?: number): void;
  inc(value?: number): void;
}

export interface GaugeHandle {
  set(labels: Labels, value: number): void;
  set(value: number): void;
  inc(labels: Labels, value?: number): void;
  inc(value?: number): void;
  dec(labels: Labels, value?: number): void;
  dec(value?: number): void;
  /** Drops every label set (a collect callback then sets only what exists now). */
  reset(): void;
}

/** Sets a counter read from elsewhere at scrape time (a total kept by another thread or process). */
export interface CounterTotals {
  set(labels: Labels, total: number): void;
  set(total: number): void;
}

export interface HistogramHandle {
  observe(labels: Labels, value: number): void;
  observe(value: number): void;
}

export interface BuildInfo {
  version: string;
  node: string;
  nativeAbi: string;
}

/** Metric names: spangate_<subsystem>_<what>_<unit> (STYLE.md). */
export const METRIC_NAME = /^spangate_[a-z][a-z0-9_]*$/;

type Kind = 'counter' | 'gauge' | 'histogram';

export class Metrics {
  readonly registry = new Registry();
  private readonly owned = new Map<string, { kind: Kind; metric: unknown }>();

  constructor(build: BuildInfo, opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const info = this.gauge('spangate_build_info', 'Build of the running daemon; the value is always 1.', [
      'version', 'node', 'native_abi',
    ]);
    info.set({ version: build.version, node: build.node, native_abi: build.nativeAbi }, 1);
  }

  counter(name: string, help: string, labelNames: string[] = []): CounterHandle {
    return this.make(name, 'counter', () => new Counter({ name, help, labelNames, registers: [this.registry] }));
  }

  /**
   * A counter whose totals are read at scrape time (`collect` may be async): each scrape sets
   * every label set it reports; label sets it leaves out are dropped from that scrape.
   */
  counterFrom(name: string, help: string, labelNames: string[], collect: (c: CounterTotals) => void | Promise<void>): void {
    this.make(name, 'counter', () => new Counter({
      name, help, labelNames, registers: [this.registry],
      async collect(this: Counter) {
        const totals: [Labels | undefined, number][] = [];
        await collect({
          set: (a: Labels | number, b?: number) => void totals.push(typeof a === 'number' ? [undefined, a] : [a, b ?? 0]),
        });
        this.reset();
        for (const [labels, v] of totals) {
          if (!(v >= 0)) continue;
          if (labels) this.inc(labels, v);
          else this.inc(v);
        }
      },
    }));
  }

  /** A gauge; with `collect`, its value is computed at scrape time (e.g. native counters); it may be async. */
  gauge(name: string, help: string, labelNames: string[] = [], collect?: (g: GaugeHandle) => void | Promise<void>): GaugeHandle {
    return this.make(name, 'gauge', () => new Gauge({
      name, help, labelNames, registers: [this.registry],
      ...(collect ? { collect(this: Gauge) { return collect(this); } } : {}),
    }));
  }

  histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): HistogramHandle {
    return this.make(name, 'histogram', () => new Histogram({
      name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}),
    }));
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private make<T>(name: string, kind: Kind, create: () => T): T {
    if (!METRIC_NAME.test(name)) throw new Error(`metric name ${name} must match ${METRIC_NAME.source}`);
    const have = this.owned.get(name);
    if (have) {
      if (have.kind !== kind) throw new Error(`metric ${name} already registered as a ${have.kind}`);
      return have.metric as T;
    }
    const metric = create();
    this.owned.set(name, { kind, metric });
    return metric;
  }
}
