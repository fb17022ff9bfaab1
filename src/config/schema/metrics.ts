// metrics: the Prometheus /metrics and /health HTTP endpoint.
import { key } from './key.js';

export const metricsSchema = {
  enabled: key<boolean>({
    doc: 'Serve /metrics (Prometheus text format) and /health over HTTP.',
    format: 'boolean',
    default: true,
    env: 'SPANGATE_METRICS_ENABLED',
    reloadable: false,
  }),
  address: key<string>({
    doc: 'Address the metrics HTTP server listens on.',
    format: 'ip-address',
    default: '127.0.0.1',
    env: 'SPANGATE_METRICS_ADDRESS',
    reloadable: false,
  }),
  port: key<number>({
    doc: 'TCP port of the metrics HTTP server (0 picks a free port, reported in the log and status).',
    format: 'tcp-port',
    default: 9478,
    env: 'SPANGATE_METRICS_PORT',
    reloadable: false,
  }),
};
