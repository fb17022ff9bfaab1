export { Metrics, METRIC_NAME, type BuildInfo, type CounterHandle, type CounterTotals, type GaugeHandle, type HistogramHandle, type Labels } from './metrics.js';
export { MetricsServer, type HealthReport, type MetricsServerOptions } from './server.js';
