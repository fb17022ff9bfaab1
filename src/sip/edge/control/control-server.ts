// The control socket apps (drachtio-srf) connect to: authenticate with the shared secret,
// route/remove_route verbs, ping, and hand `sip`/`proxy` messages to the UA layer.
// Mirrors drachtio-server's client.cpp / client-controller.cpp behaviour.

import net from 'node:net';
import tls from 'node:tls';
import { timingSafeEqual, createHash } from 'node:crypto';
import { FrameDecoder, frameText, DEFAULT_MAX_FRAME_BYTES } from './framing.js';
import { parseAppMessage, buildResponse, failure, type ProxyArgs } from './messages.js';
import { RouteRegistry } from './registry.js';
import type { EdgeLogger } from '../logger.js';
import { nullLogger } from '../logger.js';

/** What the UA layer does with app messages the control layer does not own. */
export interface ControlHandler {
  appSip(conn: ControlConnection, m: { id: string; txnId: string; dialogId: string; routeUri: string; raw: string }): void;
  appProxy(conn: ControlConnection, m: { id: string; proxy: ProxyArgs; raw: string }): void;
  connectionClosed(conn: ControlConnection): void;
}

export interface ControlServerOptions {
  host: string;
  port: number;
  secret: string;
  /** TLS on the control socket (node TLS server options: key, cert, ca, requestCert…). */
  tls?: tls.TlsOptions;
  /** Also accept plain TCP on this port when tls is set (srf reconnects over plain TCP). */
  plainPort?: number;
  /** Reported in the authenticate reply. */
  version?: string;
  maxFrameBytes?: number;
  /** A connection whose unsent output passes this is dropped (a stuck app must not grow us). */
  maxWriteBacklogBytes?: number;
  /** An unauthenticated connection is closed after this long. */
  authTimeoutMs?: number;
  logger?: EdgeLogger;
}

export interface HostportLists {
  /** `proto/host:port,…` with external addresses. */
  hostports: string;
  /** Same with bind addresses. */
  localHostports: string;
}

let connSeq = 0;

export class ControlConnection {
  readonly id: string;
  tags: string[] = [];
  authenticated = false;
  closed = false;
  private readonly socket: net.Socket;
  private readonly maxBacklog: number;
  private corked = false;
  private readonly flush = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(socket: net.Socket, maxBacklog: number) {
    this.id = `c${++connSeq}`;
    this.socket = socket;
    this.maxBacklog = maxBacklog;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  /**
   * Sends one payload. Returns false (and drops the connection) when the app is stuck. Frames
   * written in one turn of the event loop leave in one write (corked until setImmediate): one
   * syscall for the many frames a burst of SIP messages produces.
   */
  send(payload: string): boolean {
    if (this.closed) return false;
    if (this.socket.writableLength > this.maxBacklog) {
      this.socket.destroy();
      return false;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.flush);
    }
    this.socket.write(frameText(payload));
    return true;
  }

  reply(appMsgId: string, tokens: string[], raw?: string): void {
    this.send(buildResponse(appMsgId, tokens, raw));
  }

  fail(appMsgId: string, reason: string): void {
    this.send(failure(appMsgId, reason));
  }

  /** Ends the connection after pending output (e.g. a NO reply) is written. */
  close(): void {
    if (this.closed) return;
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function secretMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export class ControlServer {
  readonly routes = new RouteRegistry<ControlConnection>();
  private readonly servers: net.Server[] = [];
  private readonly conns = new Set<ControlConnection>();
  private readonly opts: Required<Omit<ControlServerOptions, 'tls' | 'plainPort' | 'logger'>> &
    Pick<ControlServerOptions, 'tls' | 'plainPort'>;
  private readonly log: EdgeLogger;
  private handler: ControlHandler | undefined;
  private hostports: () => HostportLists = () => ({ hostports: '', localHostports: '' });

  constructor(opts: ControlServerOptions) {
    this.opts = {
      host: opts.host,
      port: opts.port,
      secret: opts.secret,
      tls: opts.tls,
      plainPort: opts.plainPort,
      version: opts.version ?? 'v1.0.0-spangate',
      maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxWriteBacklogBytes: opts.maxWriteBacklogBytes ?? 16 * 1024 * 1024,
      authTimeoutMs: opts.authTimeoutMs ?? 10_000,
    };
    this.log = opts.logger ?? nullLogger;
  }

  setHandler(h: ControlHandler): void {
    this.handler = h;
  }

  setHostports(fn: () => HostportLists): void {
    this.hostports = fn;
  }

  /** Authenticated connections. */
  connections(): ControlConnection[] {
    return [...this.conns].filter((c) => c.authenticated && !c.closed);
  }

  /** Starts listening; resolves with the bound ports (first: main, second: plain when TLS). */
  async listen(): Promise<number[]> {
    const ports: number[] = [];
    const main = this.opts.tls
      ? tls.createServer(this.opts.tls, (s) => this.accept(s))
      : net.createServer((s) => this.accept(s));
    ports.push(await this.bind(main, this.opts.port));
    if (this.opts.tls && this.opts.plainPort !== undefined) {
      const plain = net.createServer((s) => this.accept(s));
      ports.push(await this.bind(plain, this.opts.plainPort));
    }
    return ports;
  }

  private bind(srv: net.Server, port: number): Promise<number> {
    this.servers.push(srv);
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, this.opts.host, () => {
        srv.off('error', reject);
        srv.on('error', (err) => this.log.error({ err }, 'control server error'));
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.length = 0;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const conn = new ControlConnection(socket, this.opts.maxWriteBacklogBytes);
    const decoder = new FrameDecoder(this.opts.maxFrameBytes);
    this.conns.add(conn);
    const authTimer = setTimeout(() => {
      if (!conn.authenticated) socket.destroy();
    }, this.opts.authTimeoutMs);
    authTimer.unref();
    socket.on('data', (data: Buffer) => {
      let frames: string[];
      try {
        frames = decoder.push(data);
      } catch (err) {
        this.log.warn({ err, conn: conn.id }, 'bad control frame; dropping app connection');
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (conn.closed) return;
        try {
          this.onFrame(conn, f);
        } catch (err) {
          this.log.error({ err, conn: conn.id }, 'control message failed');
        }
      }
    });
    socket.on('error', (err) => this.log.debug({ err, conn: conn.id }, 'control socket error'));
    socket.on('close', () => {
      clearTimeout(authTimer);
      conn.closed = true;
      this.conns.delete(conn);
      this.routes.removeClient(conn);
      if (conn.authenticated) this.handler?.connectionClosed(conn);
    });
  }

  private onFrame(conn: ControlConnection, payload: string): void {
    let m;
    try {
      m = parseAppMessage(payload);
    } catch (err) {
      this.log.warn({ err, conn: conn.id }, 'unparsable control message; dropping app connection');
      conn.destroy();
      return;
    }
    if (m.kind === 'authenticate') {
      if (secretMatches(m.secret, this.opts.secret)) {
        conn.authenticated = true;
        conn.tags = m.tags;
        const hp = this.hostports();
        conn.reply(m.id, ['OK', hp.hostports, this.opts.version, hp.localHostports]);
      } else {
        conn.reply(m.id, ['NO', 'incorrect secret']);
        conn.close();
      }
      return;
    }
    if (!conn.authenticated) {
      conn.reply(m.id, ['NO', 'not authenticated']);
      conn.close();
      return;
    }
    switch (m.kind) {
      case 'route':
        this.routes.add(m.verb, conn);
        conn.reply(m.id, ['OK']);
        return;
      case 'remove_route':
        this.routes.remove(m.verb, conn);
        conn.reply(m.id, ['OK']);
        return;
      case 'ping':
        conn.reply(m.id, ['OK', 'pong']);
        return;
      case 'sip':
        if (!this.handler) return conn.fail(m.id, 'server not ready');
        this.handler.appSip(conn, m);
        return;
      case 'proxy':
        if (!this.handler) return conn.fail(m.id, 'server not ready');
        this.handler.appProxy(conn, m);
        return;
      case 'unknown':
        conn.reply(m.id, ['NO', 'Unknown message type']);
        conn.close();
        return;
    }
  }
}

