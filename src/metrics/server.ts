// The HTTP endpoint for Prometheus (/metrics) and health checks (/health).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpangateConfig } from '../config/index.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import { DaemonError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from './metrics.js';

export interface HealthReport {
  /** ok/degraded answer 200; down/draining/starting answer 503. */
  status: 'ok' | 'degraded' | 'down' | 'draining' | 'starting';
  subsystems: Record<string, SubsystemHealth>;
  [extra: string]: unknown;
}

export interface MetricsServerOptions {
  enabled: boolean;
  address: string;
  port: number;
}

export class MetricsServer implements Subsystem {
  readonly name = 'metrics';
  private server: Server | undefined;

  constructor(
    private readonly opts: MetricsServerOptions,
    private readonly metrics: Metrics,
    private readonly healthReport: () => HealthReport,
    private readonly log: Logger,
  ) {}

  /** Where it listens (the real port when configured with 0), or undefined when off. */
  address(): { address: string; port: number } | undefined {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { address: a.address, port: a.port } : undefined;
  }

  async start(): Promise<void> {
    if (!this.opts.enabled) {
      this.log.info('metrics endpoint disabled (metrics.enabled=false)');
      return;
    }
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new DaemonError(`metrics: cannot listen on ${this.opts.address}:${this.opts.port}: ${err.code ?? err.message}`, 'start-failed', { cause: err });
    });
    server.on('error', (err) => this.log.error({ err }, 'metrics server error'));
    this.server = server;
    this.log.info({ event: 'metrics-listening', ...this.address() }, 'metrics endpoint listening');
  }

  reload(_config: SpangateConfig): void {
    // metrics.* keys are restart-required; nothing to apply.
  }

  async drain(_deadline: number): Promise<void> {
    // Keeps serving while the daemon drains, so /health can say "draining".
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  health(): SubsystemHealth {
    if (!this.opts.enabled) return { status: 'ok', detail: 'disabled' };
    const a = this.address();
    return a ? { status: 'ok', detail: `http://${a.address}:${a.port}/metrics` } : { status: 'down', detail: 'not listening' };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (path === '/metrics') {
        const { contentType, body } = await this.metrics.render();
        res.writeHead(200, { 'content-type': contentType }).end(req.method === 'HEAD' ? undefined : body);
      } else if (path === '/health') {
        const report = this.healthReport();
        const code = report.status === 'ok' || report.status === 'degraded' ? 200 : 503;
        const body = `${JSON.stringify(report)}\n`;
        res.writeHead(code, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : body);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
      }
    } catch (err) {
      this.log.error({ err, path }, 'metrics request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  }
}
