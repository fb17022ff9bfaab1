// Test doubles for the transaction layer: a recording transport and TU, and message makers.
import { parseMessage, serializeMessage, SipRequest, SipResponse, type AnySipMessage } from '../../../../../src/sip/edge/message/index.js';
import type { BoundListener, Endpoint, InboundMessage } from '../../../../../src/sip/edge/transport/index.js';
import {
  ManualClock, TransactionLayer, buildResponse, type ClientTransaction, type ClientTransactionHandler, type ServerTransaction,
  type TransactionTransport, type TransactionUser, type TimerConfig,
} from '../../../../../src/sip/edge/transaction/index.js';

export interface Sent {
  at: number;
  msg: AnySipMessage;
  dest: Endpoint;
}

export class FakeTransport implements TransactionTransport {
  sent: Sent[] = [];
  /** Destinations (address:port) whose sends fail. */
  failing = new Set<string>();
  constructor(private readonly clock: ManualClock) {}
  send(msg: SipRequest | SipResponse | Buffer, dest: Endpoint, onError?: (err: Error) => void): void {
    const m = Buffer.isBuffer(msg) ? parseMessage(msg) : parseMessage(serializeMessage(msg));
    this.sent.push({ at: this.clock.now(), msg: m, dest });
    if (this.failing.has(dest.address + ':' + dest.port)) queueMicrotask(() => onError?.(new Error('ECONNREFUSED')));
  }
  sendResponse(res: SipResponse, inbound: Pick<InboundMessage, 'source'>, onError?: (err: Error) => void): void {
    this.send(res, inbound.source, onError);
  }
  listenerFor(protocol: 'udp' | 'tcp' | 'tls'): BoundListener {
    return { protocol, address: '127.0.2.1', port: 5060, host: '127.0.2.1', hostPort: 5060 };
  }
  /** Times of sends matching a predicate. */
  times(pred: (m: AnySipMessage) => boolean): number[] {
    return this.sent.filter((s) => pred(s.msg)).map((s) => s.at);
  }
}

export class RecordingTu implements TransactionUser {
  requests: Array<{ txn: ServerTransaction; invite: ServerTransaction | undefined }> = [];
  acks: Array<{ ack: SipRequest; invite: ServerTransaction | undefined }> = [];
  stray: SipResponse[] = [];
  errors: Array<{ txn: ServerTransaction; reason: string }> = [];
  onRequest(txn: ServerTransaction, invite: ServerTransaction | undefined): void {
    this.requests.push({ txn, invite });
  }
  onAck(ack: SipRequest, _inbound: InboundMessage, invite: ServerTransaction | undefined): void {
    this.acks.push({ ack, invite });
  }
  onStrayResponse(res: SipResponse): void {
    this.stray.push(res);
  }
  onServerTransactionError(txn: ServerTransaction, reason: 'timeout' | 'transport-error'): void {
    this.errors.push({ txn, reason });
  }
}

export class RecordingHandler implements ClientTransactionHandler {
  responses: number[] = [];
  timeouts = 0;
  transportErrors = 0;
  terminated = 0;
  onResponse(res: SipResponse): void {
    this.responses.push(res.status);
  }
  onTimeout(): void {
    this.timeouts++;
  }
  onTransportError(): void {
    this.transportErrors++;
  }
  onTerminated(): void {
    this.terminated++;
  }
}

export function setup(timers: Partial<TimerConfig> = {}, opts: { trying?: 'immediate' | 'delayed' | 'none'; udpMaxBytes?: number } = {}) {
  const clock = new ManualClock();
  const transport = new FakeTransport(clock);
  const tu = new RecordingTu();
  const layer = new TransactionLayer({ transport, tu, clock, timers, trying: opts.trying, udpMaxBytes: opts.udpMaxBytes });
  return { clock, transport, tu, layer };
}

export const PEER: Endpoint = { protocol: 'udp', address: '127.0.2.50', port: 5070 };
export const PEER_TCP: Endpoint = { protocol: 'tcp', address: '127.0.2.50', port: 5070 };

let n = 0;
/** A request as a peer would send it (with the peer's Via and branch). */
export function peerRequest(method: string, opts: { branch?: string; callId?: string; fromTag?: string; cseq?: number; toTag?: string; transport?: string } = {}): SipRequest {
  n++;
  const branch = opts.branch ?? `z9hG4bKpeer${n}`;
  const cseqMethod = method;
  const text =
    `${method} sip:edge@127.0.2.1 SIP/2.0\r\nVia: SIP/2.0/${opts.transport ?? 'UDP'} 127.0.2.50:5070;branch=${branch}\r\nMax-Forwards: 70\r\n` +
    `From: <sip:peer@example.com>;tag=${opts.fromTag ?? 'ft' + n}\r\nTo: <sip:edge@example.com>${opts.toTag ? ';tag=' + opts.toTag : ''}\r\n` +
    `Call-ID: ${opts.callId ?? 'call' + n}\r\nCSeq: ${opts.cseq ?? 1} ${cseqMethod}\r\nContent-Length: 0\r\n\r\n`;
  return parseMessage(Buffer.from(text)) as SipRequest;
}

/** The same request bytes again (a retransmission). */
export function copy<T extends AnySipMessage>(m: T): T {
  return parseMessage(serializeMessage(m)) as T;
}

export function inbound(message: AnySipMessage, source: Endpoint = PEER): InboundMessage {
  return {
    message,
    source,
    local: { protocol: source.protocol, address: '127.0.2.1', port: 5060, host: '127.0.2.1', hostPort: 5060 },
    connectionId: source.protocol === 'udp' ? undefined : 1,
  };
}

/** A request we will send (no Via yet). */
export function ourRequest(method: string, callId = 'ours' + ++n): SipRequest {
  const text =
    `${method} sip:peer@127.0.2.50:5070 SIP/2.0\r\nVia: SIP/2.0/UDP placeholder;branch=z9hG4bKx\r\nMax-Forwards: 70\r\nFrom: <sip:edge@example.com>;tag=ourtag\r\n` +
    `To: <sip:peer@example.com>\r\nCall-ID: ${callId}\r\nCSeq: 7 ${method}\r\nRoute: <sip:proxy.example.com;lr>\r\nContent-Length: 0\r\n\r\n`;
  const r = parseMessage(Buffer.from(text)) as SipRequest;
  r.remove('via');
  return r;
}

/** A response from the peer to the request a client transaction sent. */
export function answer(txn: ClientTransaction, status: number, toTag = 'peertag'): SipResponse {
  return copy(buildResponse(txn.request, status, undefined, toTag));
}
