export { Metrics, METRIC_NAME, type BuildInfo, type CounterHandle, type GaugeHandle, type HistogramHandle, type Labels } from './metrics.js';
export { MetricsServer, type HealthReport, type MetricsServerOptions } from './server.js';
