// The UA's view of the SIP transports, over sip-wire's transport layer (src/sip/edge/transport):
// received messages arrive as the UA's editable SipMsg with their source, raw text goes out
// to an address, and names resolve through RFC 3263 with the static host map first.

import {
  SipResolver, SipTransport, type BoundListener, type InboundMessage, type ParseErrorEvent, type TlsOptions,
} from '../transport/index.js';
import {
  SipResponse, headerKey, parseMessage, serializeMessage, parseUri as parseWireUri, type AnySipMessage, type SipRequest,
} from '../message/index.js';
import { TransactionLayer, type Clock, type ServerTransaction } from '../transaction/index.js';
import type { EdgeLogger } from '../logger.js';
import { SipMsg } from './sip-msg.js';

export type Proto = 'udp' | 'tcp' | 'tls';

export interface Listener {
  proto: Proto;
  /** Bound address. */
  host: string;
  port: number;
  /** Address to advertise (Contact, Via, hostports); defaults to host. */
  external?: string;
  /** Certificate, key, CA and client verification for a TLS listener. */
  tls?: TlsOptions;
}

export interface Peer {
  proto: Proto;
  address: string;
  port: number;
  /** Host name TLS should verify, when the target came from a name. */
  servername?: string;
}

export interface Inbound {
  msg: SipMsg;
  raw: string;
  bytes: number;
  peer: Peer;
  local: Listener;
}

export interface SipNetOptions {
  listeners: Listener[];
  /** Host name → IP address(es), answered before DNS; several addresses are tried in order. */
  hostMap?: Record<string, string | string[]>;
  /** Client certificate and trusted CAs for outbound TLS. */
  tlsClient?: TlsOptions;
  maxMessageBytes?: number;
  /** T1/T2 (ms) for the client transactions of the transaction layer. */
  t1?: number;
  t2?: number;
  /** The clock of every SIP timer (tests inject a ManualClock); default: the real one. */
  clock?: Clock;
  logger: EdgeLogger;
}

/** What the UA implements above the transaction layer. */
export interface NetTu {
  /** A new request in its server transaction (CANCEL: `invite` is the INVITE's, if any). */
  onRequest(st: ServerTransaction, invite: ServerTransaction | undefined): void;
  /** An ACK the layer does not absorb (for a 2xx, or matching no transaction). */
  onAck(inb: Inbound, invite: ServerTransaction | undefined): void;
  /** Responses matching no client transaction (2xx retransmissions, statelessly proxied requests). */
  onStray(inb: Inbound): void;
  /** A server transaction ended. */
  onServerTerminated(st: ServerTransaction): void;
}

/** Converts the wire model into the UA's editable message (header text kept as received). */
export function fromWire(m: AnySipMessage): SipMsg {
  const out = m.isRequest ? SipMsg.request(m.method, m.uri.toString()) : SipMsg.response(m.status, m.reason);
  for (const h of m.headers) out.headers.push([h.name, h.value]);
  out.body = m.body.toString('utf8');
  return out;
}

export class SipNet {
  private readonly transport: SipTransport;
  private readonly resolver: SipResolver;
  private bound: Listener[] = [];
  private readonly byBound = new Map<BoundListener, Listener>();
  private tu: NetTu | undefined;
  /**
   * sip-wire's transaction layer runs every transaction: client (RFC 3261 §17.1: retransmission,
   * Timer B/F, non-2xx ACK, held CANCEL, RFC 3263 failover) and server (§17.2 and RFC 6026:
   * retransmission absorption, Timers G/H/I/J/L, merged requests, CANCEL matching). 100 Trying
   * is left to the UA (drachtio sends it only once the request is accepted).
   */
  readonly layer: TransactionLayer;
  readonly stats = { received: 0, sent: 0, malformed: 0, sendErrors: 0 };

  constructor(private readonly opts: SipNetOptions) {
    this.transport = new SipTransport({
      listen: opts.listeners.map((l) => ({ protocol: l.proto, address: l.host, port: l.port, tls: l.tls, advertisedHost: l.external })),
      tlsClient: opts.tlsClient,
      maxMessageBytes: opts.maxMessageBytes,
    });
    const hosts: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(opts.hostMap ?? {})) hosts[k] = Array.isArray(v) ? v : [v];
    this.resolver = new SipResolver({ hosts });
    this.layer = new TransactionLayer({
      transport: this.transport,
      clock: opts.clock,
      timers: { ...(opts.t1 ? { t1: opts.t1 } : {}), ...(opts.t2 ? { t2: opts.t2 } : {}) },
      trying: 'none',
      onTuError: (err) => opts.logger.error({ err }, 'sip transaction user failed in a timer'),
      tu: {
        onRequest: (txn: ServerTransaction, invite: ServerTransaction | undefined) => this.tu?.onRequest(txn, invite),
        onAck: (ack: SipRequest, inbound: InboundMessage, invite: ServerTransaction | undefined) => this.tu?.onAck(this.inbound(inbound, ack), invite),
        onStrayResponse: (res: SipResponse, inbound: InboundMessage) => this.tu?.onStray(this.inbound(inbound, res)),
        onServerTerminated: (txn: ServerTransaction) => this.tu?.onServerTerminated(txn),
      },
    });
    this.transport.on('message', (m) => {
      if (m.message.isRequest) this.stats.received++;
      this.layer.receive(m);
    });
    this.transport.on('parse-error', (e: ParseErrorEvent) => {
      this.stats.malformed++;
      opts.logger.debug({ err: e.error, source: e.source }, 'malformed SIP message');
    });
  }

  /** The UA above the transaction layer. */
  setTu(tu: NetTu): void {
    this.tu = tu;
  }

  get clock(): Clock {
    return this.layer.clock;
  }

  /** The bound listeners (ports filled in when 0 was asked). */
  listeners(): Listener[] {
    return this.bound;
  }

  async start(): Promise<void> {
    const bl = await this.transport.start();
    this.bound = bl.map((b, i) => {
      const l: Listener = { proto: b.protocol, host: b.address, port: b.port, external: this.opts.listeners[i]?.external };
      this.byBound.set(b, l);
      return l;
    });
  }

  async stop(): Promise<void> {
    this.layer.close();
    await this.transport.close();
  }

  private localOf(b: BoundListener): Listener {
    return this.byBound.get(b) ?? this.bound.find((l) => l.proto === b.protocol && l.host === b.address && l.port === b.port) ?? {
      proto: b.protocol, host: b.address, port: b.port,
    };
  }

  /** The UA's view of a received message. */
  inbound(m: InboundMessage, message: AnySipMessage = m.message): Inbound {
    const msg = fromWire(message);
    const raw = msg.toString();
    return {
      msg, raw, bytes: message.raw?.length ?? Buffer.byteLength(raw),
      peer: { proto: m.source.protocol, address: m.source.address, port: m.source.port }, local: this.localOf(m.local),
    };
  }

  /** RFC 3263 targets of a URI, in the order to try them. */
  async resolveUri(uri: string): Promise<Peer[]> {
    const targets = await this.resolver.resolve(parseWireUri(uri));
    return targets.map((t) => ({ proto: t.protocol, address: t.address, port: t.port, servername: t.servername }));
  }

  /** The listener to send from toward a peer. */
  pickListener(proto: Proto, remoteAddress?: string): Listener | undefined {
    const b = this.transport.listenerFor(proto, remoteAddress);
    return b ? this.localOf(b) : this.bound.find((l) => l.proto === proto);
  }

  isLocal(address: string, port: number): boolean {
    return this.bound.some((l) => l.port === port && (l.host === address || l.external === address));
  }

  /** New TLS material for handshakes from now on (see SipTransport.setTls). */
  setTls(m: Pick<TlsOptions, 'cert' | 'key' | 'ca'>): void {
    this.transport.setTls(m);
  }

  /** Sends raw text (connection reuse and TLS handled by the transport). */
  send(raw: string | Buffer, to: Peer, _from?: Listener): void {
    this.stats.sent++;
    this.transport.send(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, { protocol: to.proto, address: to.address, port: to.port }, this.onSendError, {
      servername: to.servername,
    });
  }

  private readonly onSendError = (err: Error): void => {
    this.stats.sendErrors++;
    this.opts.logger.debug({ err }, 'SIP send failed');
  };
}

/**
 * The wire form of a request built by the UA, without its top Via: the transaction layer adds
 * its own. The UA's message carries a Via line on top (the strict parser wants one) that is
 * dropped here; any Via lines below it (a proxied request) are kept.
 */
export function toWireRequest(m: SipMsg): SipRequest {
  const parsed = parseMessage(Buffer.from(m.toString(), 'utf8'));
  if (!parsed.isRequest) throw new Error('not a request');
  const below = m.getAll('via').slice(1);
  parsed.remove('Via');
  for (const v of below.reverse()) parsed.prepend('Via', v);
  return parsed;
}

/** Text of a wire message as it goes out. */
export function wireText(m: AnySipMessage): string {
  return serializeMessage(m).toString('utf8');
}

/** The wire form of a response the UA built (headers and body as they are; no re-parse). */
export function toWireResponse(m: SipMsg): SipResponse {
  const res = new SipResponse(m.status, m.reason);
  for (const [name, value] of m.headers) res.headers.push({ name, key: headerKey(name), value });
  if (m.body !== '') res.body = Buffer.from(m.body, 'utf8');
  return res;
}
