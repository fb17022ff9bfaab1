// The admin API server on a unix socket. Requests on one connection run concurrently; each has
// the configured time limit (admin.requestTimeoutMs). The socket is only ever removed after
// checking that nothing answers on it, so a second daemon cannot steal a live socket.
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { SpangateConfig } from '../config/index.js';
import type { Subsystem, SubsystemHealth } from '../daemon/subsystem.js';
import { DaemonError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { AdminMethods } from './methods.js';
import { errorBody, LineSplitter, parseRequest, type AdminRequest, type AdminResponse } from './protocol.js';

/** Connections idle this long (no request, nothing running) are closed. */
export const IDLE_TIMEOUT_MS = 300_000;

export interface AdminServerOptions {
  socket: string;
  socketMode: string;
  requestTimeoutMs: number;
  /** Connections beyond this are refused with an error line. */
  maxConnections?: number;
}

export class AdminServer implements Subsystem {
  readonly name = 'admin';
  private server: Server | undefined;
  private readonly conns = new Set<Socket>();
  private timeoutMs: number;

  constructor(
    private readonly opts: AdminServerOptions,
    private readonly methods: AdminMethods,
    private readonly log: Logger,
  ) {
    this.timeoutMs = opts.requestTimeoutMs;
  }

  get socketPath(): string {
    return this.opts.socket;
  }

  async start(): Promise<void> {
    const path = this.opts.socket;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (existsSync(path)) await this.removeStaleSocket(path);
    const server = createServer((sock) => this.accept(sock));
    server.maxConnections = this.opts.maxConnections ?? 64;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new DaemonError(`admin: cannot listen on ${path}: ${err.code ?? err.message}`, 'start-failed', { cause: err });
    });
    chmodSync(path, parseInt(this.opts.socketMode, 8));
    server.on('error', (err) => this.log.error({ err }, 'admin server error'));
    this.server = server;
    this.log.info({ event: 'admin-listening', socket: path }, 'admin API listening');
  }

  reload(config: SpangateConfig): void {
    this.timeoutMs = config.admin.requestTimeoutMs;
  }

  async drain(_deadline: number): Promise<void> {
    // Stays up while the daemon drains, so `spangate status` can watch it.
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // net.Server removes its socket file on close; make sure.
    try {
      unlinkSync(this.opts.socket);
    } catch {
      /* already gone */
    }
  }

  health(): SubsystemHealth {
    return this.server ? { status: 'ok', detail: this.opts.socket } : { status: 'down', detail: 'not listening' };
  }

  private async removeStaleSocket(path: string): Promise<void> {
    if (!lstatSync(path).isSocket()) {
      throw new DaemonError(`admin: ${path} exists and is not a socket; refusing to remove it`, 'socket-in-use');
    }
    const alive = await new Promise<boolean>((resolve) => {
      const probe = createConnection(path);
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (alive) {
      throw new DaemonError(`admin socket ${path} is in use by another process (another spangate daemon?)`, 'socket-in-use');
    }
    this.log.warn({ socket: path }, 'removing stale admin socket');
    unlinkSync(path);
  }

  private accept(sock: Socket): void {
    this.conns.add(sock);
    const splitter = new LineSplitter();
    const inflight = new Set<AbortController>();
    sock.setEncoding('utf8');
    // A client that holds a connection without using it is dropped.
    sock.setTimeout(IDLE_TIMEOUT_MS, () => {
      if (inflight.size === 0) sock.destroy();
    });
    sock.on('data', (chunk: string) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (err) {
        this.send(sock, { id: null, error: { code: 'EBADREQUEST', message: (err as Error).message } });
        sock.end();
        return;
      }
      for (const line of lines) {
        const parsed = parseRequest(line);
        if ('request' in parsed) void this.dispatch(sock, parsed.request, inflight);
        else this.send(sock, { id: parsed.id, error: parsed.error });
      }
    });
    sock.on('error', (err) => this.log.debug({ err }, 'admin connection error'));
    sock.on('close', () => {
      this.conns.delete(sock);
      for (const ac of inflight) ac.abort();
    });
  }

  private async dispatch(sock: Socket, req: AdminRequest, inflight: Set<AbortController>): Promise<void> {
    const handler = this.methods.get(req.method);
    if (!handler) {
      this.send(sock, { id: req.id, error: { code: 'ENOMETHOD', message: `no such method: ${req.method} (try "help")` } });
      return;
    }
    const ac = new AbortController();
    inflight.add(ac);
    const limit = this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(Object.assign(new Error(`${req.method} did not finish within ${limit} ms`), { timedOut: true }));
      }, limit);
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => handler(req.params, { signal: ac.signal })), timeout]);
      this.send(sock, { id: req.id, result: result ?? null });
    } catch (err) {
      const body = (err as { timedOut?: boolean }).timedOut
        ? { code: 'ETIMEOUT', message: (err as Error).message, data: { timeoutMs: limit } }
        : errorBody(err);
      if (body.code === 'EINTERNAL') this.log.error({ err, method: req.method }, 'admin method failed');
      this.send(sock, { id: req.id, error: body });
    } finally {
      clearTimeout(timer);
      inflight.delete(ac);
    }
  }

  private send(sock: Socket, res: AdminResponse): void {
    if (!sock.writable) return;
    sock.write(`${JSON.stringify(res)}\n`);
  }
}
