// Shared state and helpers of the UA layer: transactions, dialogs, sending, and the frames
// that tell the app what happened. uas.ts and uac.ts both work on one UaContext.

import type { ControlConnection, ControlServer } from '../control/control-server.js';
import { buildSipEvent, buildCdr, wireTime, newId, type WireMeta, type CdrKind } from '../control/messages.js';
import type { EdgeLogger } from '../logger.js';
import type { ClientTransaction, Clock, ServerTransaction } from '../transaction/index.js';
import { Dialog } from './dialog.js';
import type { Listener, Peer, SipNet } from './net-adapter.js';
import { SipMsg, parseUri } from './sip-msg.js';
import { TimerSet } from './timer-set.js';

export interface UaTimers {
  /** RFC 3261 T1 (ms) for transactions. */
  t1: number;
  t2: number;
  /** T1 used for 2xx retransmission and Timer H (drachtio keeps sofia's 500 ms). */
  t1For2xx: number;
  /** Min-SE (seconds): smaller Session-Expires offers get 422 (RFC 4028; 90 by default). */
  minSessionExpires: number;
  /** An incoming request the app never answers is forgotten after this long. */
  pendingRequestMs: number;
}

export interface OverloadLimits {
  /** New INVITEs per second accepted; above it they get 503. 0 = no limit. */
  maxInviteRate: number;
  /** Incoming requests waiting for the app; above it new INVITEs get 503. */
  maxPendingRequests: number;
  /** Retry-After seconds in the 503. */
  retryAfterSec: number;
}

/**
 * The UA's side of an incoming request: what the app knows it by (`id`), the app connection,
 * tags and dialog. The RFC 3261 §17.2 machine (`st`: retransmission absorption, Timers G/H/I/J/L)
 * lives in the transaction layer; this record goes when that transaction ends.
 */
export interface ServerTxn {
  id: string;
  st: ServerTransaction;
  req: SipMsg;
  peer: Peer;
  local: Listener;
  method: string;
  conn: ControlConnection | undefined;
  toTag: string | undefined;
  finalStatus: number;
  /** Delivered to an app that has not answered yet (counted for overload). */
  pending: boolean;
  canceled: boolean;
  dialog: Dialog | undefined;
  /** The pending-request timeout and reliable-provisional retransmissions. */
  timers: TimerSet;
  /** Reliable provisional waiting for PRACK. */
  rseq: number;
  reliablePending: unknown;
}

export interface ClientTxn {
  id: string;
  method: string;
  /** The request as sent (with the transaction layer's Via). */
  req: SipMsg;
  raw: string;
  dest: Peer;
  local: Listener;
  conn: ControlConnection | undefined;
  dialog: Dialog | undefined;
  /** Set for UAC INVITE/SUBSCRIBE: the id reported to the app before a dialog exists. */
  dialogId: string;
  provisional: boolean;
  finalStatus: number;
  cancelSent: boolean;
  /** The transaction in sip-wire's transaction layer. */
  ct: ClientTransaction | undefined;
  timers: TimerSet;
  /** Internal requests (CANCEL, server BYE) whose responses the app never sees. */
  internal: boolean;
  /** Absorbs the final response of an internal request. */
  onFinal?: (res: SipMsg) => void;
  /** Takes every response of the transaction instead of the app (proxy branches). */
  onResponse?: (res: SipMsg, raw: string, from: Peer) => void;
}

export class UaContext {
  readonly serverById = new Map<string, ServerTxn>();
  /** The UA record of each live server transaction of the transaction layer. */
  readonly serverBySt = new Map<ServerTransaction, ServerTxn>();
  /** Requests delivered to apps and not answered yet (overload limit). */
  pendingRequests = 0;
  readonly clientById = new Map<string, ClientTxn>();
  readonly dialogs = new Map<string, Dialog>();
  readonly dialogByKey = new Map<string, Dialog>();
  /** UAC INVITE/SUBSCRIBE transactions by the dialog id the app was given. */
  readonly earlyUac = new Map<string, ClientTxn>();
  readonly preserveHeaderNames: ReadonlySet<string>;

  constructor(
    readonly net: SipNet,
    readonly control: ControlServer,
    readonly timers: UaTimers,
    readonly overload: OverloadLimits,
    readonly log: EdgeLogger,
    preserve: string[],
    readonly clock: Clock,
  ) {
    this.preserveHeaderNames = new Set(preserve.map((s) => s.toLowerCase()));
  }

  private readonly onTimerError = (err: unknown): void => this.log.error({ err }, 'ua timer failed');

  /** A new group of timers on the edge's clock. */
  timerSet(): TimerSet {
    return new TimerSet(this.clock, this.onTimerError);
  }

  /** Contact/Record-Route host:port of a listener (external address if configured). */
  hostport(l: Listener): string {
    return `${l.external ?? l.host}:${l.port}`;
  }

  contactUri(l: Listener): string {
    return `sip:${this.hostport(l)}${l.proto === 'udp' ? '' : `;transport=${l.proto}`}`;
  }

  viaHeader(l: Listener, branch: string): string {
    return `SIP/2.0/${l.proto.toUpperCase()} ${this.hostport(l)};rport;branch=${branch}`;
  }

  meta(source: 'network' | 'application', bytes: number, peer: Peer): WireMeta {
    return { source, bytes, proto: peer.proto, address: peer.address, port: peer.port, time: wireTime() };
  }

  /** Sends a `sip` frame with a network message to an app. */
  toApp(conn: ControlConnection | undefined, raw: string, bytes: number, peer: Peer, txnId: string, dialogId: string, recv?: Listener): void {
    if (!conn || conn.closed) return;
    conn.send(buildSipEvent(this.meta('network', bytes, peer), txnId, dialogId, raw, recv ? { host: recv.host, port: recv.port } : undefined));
  }

  /** Emits a CDR event to every app that routed it. */
  cdr(kind: CdrKind, source: 'network' | 'application', extra: string | undefined, raw: string): void {
    const conns = this.control.routes.all(`cdr:${kind}`);
    if (conns.length === 0) return;
    const frame = buildCdr(kind, source, extra, raw);
    for (const c of conns) c.send(frame);
  }

  /** RFC 3263 targets of a URI (host map first) that we have a listener for, in order. */
  async resolveTargets(uri: string): Promise<Peer[]> {
    if (!parseUri(uri)) throw new Error(`invalid request uri: ${uri}`);
    const targets = await this.net.resolveUri(uri);
    const usable = targets.filter((t) => this.net.pickListener(t.proto, t.address) !== undefined);
    if (usable.length === 0) throw new Error('requested protocol/transport not available');
    return usable;
  }

  /** The first target of a URI (in-dialog requests and proxy branches use one target). */
  async resolveUri(uri: string): Promise<Peer> {
    return (await this.resolveTargets(uri))[0];
  }

  addDialog(d: Dialog): void {
    this.dialogs.set(d.id, d);
    this.dialogByKey.set(d.key, d);
  }

  removeDialog(d: Dialog): void {
    d.terminated = true;
    d.clearTimers();
    if (this.dialogs.get(d.id) === d) this.dialogs.delete(d.id);
    if (this.dialogByKey.get(d.key) === d) this.dialogByKey.delete(d.key);
  }

  newTxnId(): string {
    return newId();
  }
}
