// The transport layer: UDP, TCP and TLS listeners, a pool of stream connections reused by
// remote address (and Via alias), Via received/rport on requests received, response routing,
// and a stateless 400 for requests that do not parse.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import {
  parseMessage, serializeMessage, SipParseError, SipResponse, type AnySipMessage, type SipHeader,
} from '../message/index.js';
import { StreamConnection, type ConnectionOwner } from './connection.js';
import { FramingError } from './stream-framer.js';
import { TrafficCounters } from './traffic.js';
import type { BoundListener, Endpoint, InboundMessage, ListenSpec, SendErrorHandler, TlsOptions, TransportProtocol } from './types.js';
import { responseDestination, stampVia } from './via-routing.js';

export interface SipTransportOptions {
  listen: ListenSpec[];
  /** TLS material for outbound connections (client certificate for mutual TLS, CAs to trust). */
  tlsClient?: TlsOptions;
  /** Fill in `rport` on every request received, asked for or not (drachtio does). Default true. */
  forceRport?: boolean;
  /** Largest message accepted on any transport. Default 65535. */
  maxMessageBytes?: number;
  /** Outbound TCP/TLS connect (and TLS handshake) timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** Close stream connections idle this long; 0 keeps them. Default 15 min. */
  idleTimeoutMs?: number;
  /** Answer requests that fail to parse with 400/505 (never ACKs). Default true. */
  answerBadRequests?: boolean;
  /** Most inbound TCP/TLS connections per listener; more are refused. Default 10000. */
  maxConnections?: number;
}

/** Counters read at scrape time. */
export interface TransportStats {
  messagesIn: number;
  messagesOut: number;
  parseErrors: number;
  badRequestsAnswered: number;
  badResponsesDropped: number;
  framingErrors: number;
  tlsHandshakeFailures: number;
  connectionsOpened: number;
  connectionsClosed: number;
  sendErrors: number;
  /** Exceptions thrown by 'message' listeners (the TU), caught so the socket keeps serving. */
  handlerErrors: number;
  /** Bugs: non-SipParseError exceptions from the parser (the message is dropped). */
  internalErrors: number;
}

/** Emitted for every message that failed to parse or frame. */
export interface ParseErrorEvent {
  error: SipParseError | FramingError;
  source: Endpoint;
}

export interface SipTransportEvents {
  message: [InboundMessage];
  'parse-error': [ParseErrorEvent];
  'connection-closed': [{ id: number; remote: Endpoint }];
  /** A 'message' listener threw; the transport caught it and goes on. */
  'handler-error': [{ error: unknown; message: InboundMessage }];
}

interface Listener {
  bound: BoundListener;
  udp?: dgram.Socket;
  server?: net.Server | tls.Server;
}

// SO_RCVBUF/SO_SNDBUF asked for each UDP listener (the kernel caps it at net.core.rmem_max /
// wmem_max). The 208 KiB default holds ~400 INVITEs: when the process is off-CPU for a few tens
// of ms on a loaded host, bursts overflow it and every lost datagram costs a 500 ms retransmission.
const UDP_SOCKET_BUFFER = 4 * 1024 * 1024;

const key = (p: TransportProtocol, address: string, port: number): string => p + '|' + address + '|' + port;

/** Address family of an IP literal without net.isIPv6's regex (hot path: every send). */
const isV6 = (address: string): boolean => address.indexOf(':') >= 0;

/** True for a dotted-quad or a literal with ':' (an IPv6 address): no DNS needed. */
function isIpLiteral(a: string): boolean {
  if (a.indexOf(':') >= 0) return true;
  let dots = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0x2e) dots++;
    else if (c < 0x30 || c > 0x39) return false;
  }
  return dots === 3;
}

/**
 * dgram's lookup hook: IP literals (every destination the stack resolved itself) are answered
 * at once instead of through dns.lookup and a nextTick per datagram; names still go to DNS.
 */
function udpLookup(address: string, family: number, cb: (err: Error | null, address: string, family: number) => void): void {
  if (isIpLiteral(address)) cb(null, address, isV6(address) ? 6 : 4);
  else dns.lookup(address, family, cb);
}

export class SipTransport extends EventEmitter<SipTransportEvents> implements ConnectionOwner {
  readonly stats: TransportStats = {
    messagesIn: 0, messagesOut: 0, parseErrors: 0, badRequestsAnswered: 0, badResponsesDropped: 0,
    framingErrors: 0, tlsHandshakeFailures: 0, connectionsOpened: 0, connectionsClosed: 0, sendErrors: 0,
    handlerErrors: 0, internalErrors: 0,
  };
  /** Messages by direction and method/status, for metrics. */
  readonly traffic = new TrafficCounters();
  private readonly opts: Required<Omit<SipTransportOptions, 'tlsClient'>> & { tlsClient: TlsOptions };
  private readonly listenersList: Listener[] = [];
  private readonly conns = new Map<number, StreamConnection>();
  private readonly pool = new Map<string, StreamConnection>();
  private nextConnId = 1;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(opts: SipTransportOptions) {
    super();
    this.opts = {
      listen: opts.listen,
      tlsClient: opts.tlsClient ?? {},
      forceRport: opts.forceRport ?? true,
      maxMessageBytes: opts.maxMessageBytes ?? 65535,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10000,
      idleTimeoutMs: opts.idleTimeoutMs ?? 15 * 60 * 1000,
      answerBadRequests: opts.answerBadRequests ?? true,
      maxConnections: opts.maxConnections ?? 10000,
    };
  }

  /** Binds every listener; resolves with their actual addresses and ports. */
  async start(): Promise<BoundListener[]> {
    try {
      for (const spec of this.opts.listen) this.listenersList.push(await this.bind(spec));
    } catch (e) {
      await this.close();
      throw e;
    }
    if (this.opts.idleTimeoutMs > 0) {
      this.sweepTimer = setInterval(() => this.sweepIdle(), Math.min(this.opts.idleTimeoutMs, 30000));
      this.sweepTimer.unref();
    }
    return this.boundListeners;
  }

  /**
   * New TLS material (certificate rotation): TLS listeners hand it to every handshake from now
   * on and outbound connections opened from now on present it; established connections keep
   * theirs.
   */
  setTls(m: Pick<TlsOptions, 'cert' | 'key' | 'ca'>): void {
    this.opts.tlsClient = { ...this.opts.tlsClient, ...m };
    this.listenersList.forEach((l, i) => {
      if (!(l.server instanceof tls.Server)) return;
      const spec = this.opts.listen[i]?.tls ?? {};
      l.server.setSecureContext({ cert: m.cert ?? spec.cert, key: m.key ?? spec.key, ca: m.ca ?? spec.ca, minVersion: spec.minVersion });
    });
  }

  /** The bound listeners. */
  get boundListeners(): BoundListener[] {
    return this.listenersList.map((l) => l.bound);
  }

  /** The listener to use as the local side (Via sent-by) for a protocol and address family. */
  listenerFor(protocol: TransportProtocol, remoteAddress?: string): BoundListener | undefined {
    const v6 = remoteAddress !== undefined && isV6(remoteAddress);
    let any: BoundListener | undefined;
    for (const l of this.listenersList) {
      if (l.bound.protocol !== protocol) continue;
      if (remoteAddress === undefined || isV6(l.bound.address) === v6) return l.bound;
      any ??= l.bound;
    }
    return any;
  }

  /** Open stream connections (for tests and stats). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const c of [...this.conns.values()]) c.close();
    await Promise.all(
      this.listenersList.map(
        (l) =>
          new Promise<void>((resolve) => {
            if (l.udp) l.udp.close(() => resolve());
            else if (l.server) l.server.close(() => resolve());
            else resolve();
          }),
      ),
    );
    this.listenersList.length = 0;
  }

  /**
   * Sends a message to `dest`. Stream transports reuse a pooled connection to that address
   * (or `connectionId` when given and still open) and connect otherwise. Failures are reported
   * once through `onError`.
   */
  send(
    msg: AnySipMessage | Buffer,
    dest: Endpoint,
    onError?: SendErrorHandler,
    opts: { connectionId?: number; servername?: string; local?: BoundListener } = {},
  ): void {
    const data = Buffer.isBuffer(msg) ? msg : serializeMessage(msg);
    this.stats.messagesOut++;
    this.traffic.sent(msg);
    if (dest.protocol === 'udp') {
      const l = this.udpFor(dest.address, opts.local);
      if (!l?.udp) return this.sendFailed(onError, new Error('no UDP listener for ' + dest.address));
      l.udp.send(data, dest.port, dest.address, onError === undefined ? undefined : (err) => err && this.sendFailed(onError, err));
      return;
    }
    let conn = opts.connectionId !== undefined ? this.conns.get(opts.connectionId) : undefined;
    if (conn === undefined || !conn.isOpen) conn = this.pool.get(key(dest.protocol, dest.address, dest.port));
    if (conn === undefined || !conn.isOpen) conn = this.connect(dest, opts.servername);
    if (conn === undefined) return this.sendFailed(onError, new Error(`no ${dest.protocol} listener to connect from`));
    conn.write(data, onError === undefined ? undefined : (err) => this.sendFailed(onError, err));
  }

  /**
   * Sends a response to a request received as `inbound`: over its connection while that is
   * open, else to the top Via's received/rport address (RFC 3261 §18.2.2, RFC 3581).
   */
  sendResponse(
    res: SipResponse,
    inbound: Pick<InboundMessage, 'source' | 'connectionId'> & { local?: BoundListener },
    onError?: SendErrorHandler,
    wire?: Buffer,
  ): void {
    if (inbound.connectionId !== undefined) {
      const c = this.conns.get(inbound.connectionId);
      if (c?.isOpen) {
        this.stats.messagesOut++;
        this.traffic.sent(res);
        c.write(wire ?? serializeMessage(res), onError === undefined ? undefined : (err) => this.sendFailed(onError, err));
        return;
      }
    }
    const top = res.topVia;
    const dest = top ? responseDestination(top) : undefined;
    if (dest === undefined) return this.sendFailed(onError, new Error('response has no usable Via'));
    // UDP responses leave from the socket the request came in on (RFC 3581 §4)
    this.send(wire ?? res, dest, onError, { local: inbound.local });
  }

  // --- ConnectionOwner -------------------------------------------------------------

  onFrame(conn: StreamConnection, bytes: Buffer): void {
    this.receive(bytes, conn.remote, conn.local, conn.id, true, conn);
  }

  onFramingError(conn: StreamConnection, err: FramingError): void {
    this.stats.framingErrors++;
    this.stats.parseErrors++;
    this.emit('parse-error', { error: err, source: conn.remote });
  }

  onClosed(conn: StreamConnection): void {
    this.conns.delete(conn.id);
    for (const k of conn.keys) if (this.pool.get(k) === conn) this.pool.delete(k);
    this.stats.connectionsClosed++;
    if (!this.closing) this.emit('connection-closed', { id: conn.id, remote: conn.remote });
  }

  // --- internals --------------------------------------------------------------------

  private receive(bytes: Buffer, source: Endpoint, local: BoundListener, connectionId: number | undefined, stream: boolean, conn?: StreamConnection): void {
    let msg: AnySipMessage;
    try {
      msg = parseMessage(bytes, { stream });
    } catch (e) {
      if (e instanceof SipParseError) this.badMessage(e, source, connectionId);
      else this.stats.internalErrors++;
      return;
    }
    this.stats.messagesIn++;
    this.traffic.received(msg);
    try {
      if (msg.isRequest) {
        const top = stampVia(msg, source, this.opts.forceRport);
        // RFC 5923: a Via alias lets us reuse this connection for requests to its sent-by.
        if (conn !== undefined && top?.params.has('alias')) {
          this.addPoolKey(conn, key(conn.protocol, top.hostname, top.port ?? (conn.protocol === 'tls' ? 5061 : 5060)));
        }
      }
    } catch {
      this.stats.internalErrors++;
      return;
    }
    const inbound: InboundMessage = { message: msg, source, local, connectionId };
    try {
      this.emit('message', inbound);
    } catch (error) {
      // a TU bug must not take the socket (and every other call) down with it
      this.stats.handlerErrors++;
      if (this.listenerCount('handler-error') > 0) this.emit('handler-error', { error, message: inbound });
    }
  }

  private badMessage(err: SipParseError, source: Endpoint, connectionId: number | undefined): void {
    this.stats.parseErrors++;
    if (err.isRequest !== true) this.stats.badResponsesDropped++;
    this.emit('parse-error', { error: err, source });
    if (!this.opts.answerBadRequests || err.isRequest !== true || err.method === 'ACK' || err.headers === undefined) return;
    const res = badRequestResponse(err.headers, err.sipStatus ?? 400);
    if (res === undefined) return;
    this.stats.badRequestsAnswered++;
    if (connectionId !== undefined && this.conns.get(connectionId)?.isOpen) this.sendResponse(res, { source, connectionId });
    else this.send(res, source);
  }

  private udpFor(address: string, local?: BoundListener): Listener | undefined {
    if (local !== undefined && local.protocol === 'udp') {
      for (const l of this.listenersList) if (l.bound === local && l.udp !== undefined) return l;
    }
    const v6 = isV6(address);
    let any: Listener | undefined;
    for (const l of this.listenersList) {
      if (l.udp === undefined) continue;
      if (isV6(l.bound.address) === v6) return l;
      any ??= l;
    }
    return any;
  }

  private addPoolKey(conn: StreamConnection, k: string): void {
    conn.keys.add(k);
    this.pool.set(k, conn);
  }

  private adopt(socket: net.Socket, protocol: TransportProtocol, remote: Endpoint, local: BoundListener, inbound: boolean): StreamConnection {
    const conn = new StreamConnection(this.nextConnId++, socket, { protocol, remote, local, inbound, maxMessageBytes: this.opts.maxMessageBytes }, this);
    this.conns.set(conn.id, conn);
    this.addPoolKey(conn, key(protocol, remote.address, remote.port));
    this.stats.connectionsOpened++;
    return conn;
  }

  private connect(dest: Endpoint, servername: string | undefined): StreamConnection | undefined {
    const local = this.listenerFor(dest.protocol, dest.address);
    if (local === undefined) return undefined;
    const localAddress = local.address === '0.0.0.0' || local.address === '::' ? undefined : local.address;
    let socket: net.Socket;
    if (dest.protocol === 'tls') {
      const t = this.opts.tlsClient;
      const sni = servername ?? t.servername;
      // tls.connect passes localAddress on to the TCP connect; the typings omit it
      socket = tls.connect({
        host: dest.address,
        port: dest.port,
        ...({ localAddress } as object),
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        servername: sni !== undefined && !net.isIP(sni) ? sni : undefined,
        rejectUnauthorized: t.verifyServer ?? true,
        minVersion: t.minVersion,
      });
    } else {
      socket = net.connect({ host: dest.address, port: dest.port, localAddress });
    }
    const conn = this.adopt(socket, dest.protocol, { ...dest }, local, false);
    socket.setTimeout(this.opts.connectTimeoutMs);
    const onTimeout = (): void => {
      socket.destroy(new Error(`connect to ${dest.address}:${dest.port} timed out`));
    };
    socket.once('timeout', onTimeout);
    socket.once(dest.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      conn.markConnected();
    });
    return conn;
  }

  private sendFailed(onError: SendErrorHandler | undefined, err: Error): void {
    this.stats.sendErrors++;
    onError?.(err);
  }

  private sweepIdle(): void {
    const limit = Date.now() - this.opts.idleTimeoutMs;
    for (const c of this.conns.values()) if (c.lastActivity < limit) c.close();
  }

  private async bind(spec: ListenSpec): Promise<Listener> {
    const bound = (port: number): BoundListener => ({
      protocol: spec.protocol,
      address: spec.address,
      port,
      host: spec.advertisedHost ?? (net.isIPv6(spec.address) ? `[${spec.address}]` : spec.address),
      hostPort: spec.advertisedPort ?? port,
    });
    if (spec.protocol === 'udp') {
      const sock = dgram.createSocket({
        type: net.isIPv6(spec.address) ? 'udp6' : 'udp4',
        recvBufferSize: UDP_SOCKET_BUFFER,
        sendBufferSize: UDP_SOCKET_BUFFER,
        lookup: udpLookup as unknown as dgram.SocketOptions['lookup'],
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(spec.port, spec.address, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      const l: Listener = { bound: bound(sock.address().port), udp: sock };
      sock.on('error', () => {
        /* ICMP errors on send surface here; the datagram is simply lost (UDP semantics). */
      });
      sock.on('message', (buf, rinfo) => this.onDatagram(l, buf, rinfo));
      return l;
    }
    let server: net.Server | tls.Server;
    const protocol = spec.protocol;
    if (protocol === 'tls') {
      const t = spec.tls ?? {};
      if (t.cert === undefined || t.key === undefined) throw new Error(`TLS listener ${spec.address}:${spec.port} needs cert and key`);
      server = tls.createServer({
        cert: t.cert,
        key: t.key,
        ca: t.ca,
        requestCert: t.requireClientCert === true,
        rejectUnauthorized: t.requireClientCert === true,
        minVersion: t.minVersion,
      });
      server.on('tlsClientError', () => {
        this.stats.tlsHandshakeFailures++;
      });
    } else {
      server = net.createServer();
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port, spec.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as net.AddressInfo;
    const l: Listener = { bound: bound(addr.port), server };
    server.on(protocol === 'tls' ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      const remote: Endpoint = { protocol, address: stripV4Mapped(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
      this.adopt(socket, protocol, remote, l.bound, true);
    });
    server.maxConnections = this.opts.maxConnections;
    server.on('error', () => {
      /* accept errors (EMFILE ...) leave the listener running */
    });
    return l;
  }

  private onDatagram(l: Listener, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    // keep-alive datagrams (CRLF, CRLFCRLF) and empty ones are not messages
    let i = 0;
    while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a || buf[i] === 0x20)) i++;
    if (i === buf.length) return;
    if (buf.length > this.opts.maxMessageBytes) {
      this.stats.parseErrors++;
      return;
    }
    this.receive(buf, { protocol: 'udp', address: stripV4Mapped(rinfo.address), port: rinfo.port }, l.bound, undefined, false);
  }
}

function stripV4Mapped(a: string): string {
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 505: 'Version Not Supported' };

/** A stateless error response for a request that failed to parse, or undefined if no Via parses. */
export function badRequestResponse(headers: readonly SipHeader[], status: number): SipResponse | undefined {
  const res = new SipResponse(status, REASONS[status] ?? 'Bad Request');
  let haveVia = false;
  for (const h of headers) {
    if (h.key === 'via') {
      res.add(h.name, h.value);
      haveVia = true;
    } else if (h.key === 'from' || h.key === 'call-id' || h.key === 'cseq') {
      if (!res.has(h.key)) res.add(h.name, h.value);
    } else if (h.key === 'to' && !res.has('to')) {
      // RFC 3261 §8.2.6.2: a response without a To tag gets one
      res.add(h.name, /;\s*tag\s*=/i.test(h.value) ? h.value : h.value + ';tag=' + randomBytes(6).toString('hex'));
    }
  }
  if (!haveVia) return undefined;
  return res;
}
