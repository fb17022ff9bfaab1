// A SIP dialog as drachtio keeps it: id `<Call-ID>;from-tag=<tag of the creating request's From>`,
// route set, remote target, CSeq counters, and the owning app connection.

import type { ControlConnection } from '../control/control-server.js';
import type { Listener, Peer } from './net-adapter.js';
import { SipMsg, addrUri, getTag } from './sip-msg.js';
import type { ClientTxn, ServerTxn } from './context.js';
import type { TimerSet } from './timer-set.js';

export type DialogRole = 'uas' | 'uac';

export function dialogIdOf(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

export class Dialog {
  readonly id: string;
  readonly role: DialogRole;
  readonly kind: 'invite' | 'subscribe';
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  /** Our From (UAC) / To (UAS) header value, with tag. */
  localAddr: string;
  /** The peer's address header value, with tag. */
  remoteAddr: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number;
  remoteSeq: number;
  conn: ControlConnection | undefined;
  /** Where the peer's requests came from / our requests go first (NAT-safe). */
  peer: Peer;
  local: Listener;
  confirmed = false;
  terminated = false;
  /** UAC: CSeq number of the INVITE whose 2xx awaits the app's ACK. */
  ackPendingSeq = 0;
  /** UAC: the last ACK we sent, re-sent on retransmitted 2xx. */
  lastAck: { seq: number; raw: string; to: Peer } | undefined;
  /** UAC: a CANCEL crossed the 200; after the app's ACK, send BYE. */
  ackBye = false;
  /** UAS: the INVITE transaction whose 2xx awaits the peer's ACK. */
  pendingInvite: ServerTxn | undefined;
  /** UAS: the INVITE transaction that created the dialog with a reliable 1xx (PRACK stops its retransmission). */
  reliableInvite: ServerTxn | undefined;
  /** UAC: our INVITE (or re-INVITE) in this dialog still waiting for its final response. */
  pendingUacInvite: ClientTxn | undefined;
  /** The running RFC 4028 timer (refresh or expiry). */
  sessionTimer: unknown;
  /** The next hop of in-dialog requests as last resolved (reused while the URI is the same). */
  resolvedHop: { uri: string; peer: Peer } | undefined;
  /** Our last SDP in this dialog (for refresh re-INVITEs). */
  localSdp = '';
  /** Methods the peer allows (from its Allow header). */
  peerAllow = '';
  /** Timers owned by the dialog (session timer). */
  readonly timers: TimerSet;
  /** 2xx retransmission and Timer H, cleared by the ACK. */
  readonly ackTimers: TimerSet;

  constructor(init: {
    role: DialogRole;
    kind: 'invite' | 'subscribe';
    callId: string;
    localTag: string;
    remoteTag: string;
    localAddr: string;
    remoteAddr: string;
    remoteTarget: string;
    routeSet: string[];
    localSeq: number;
    remoteSeq: number;
    conn: ControlConnection | undefined;
    peer: Peer;
    local: Listener;
    /** Two empty timer sets on the edge's clock (UaContext.timerSet). */
    timers: [TimerSet, TimerSet];
  }) {
    this.role = init.role;
    this.kind = init.kind;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localAddr = init.localAddr;
    this.remoteAddr = init.remoteAddr;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.conn = init.conn;
    this.peer = init.peer;
    this.local = init.local;
    [this.timers, this.ackTimers] = init.timers;
    this.id = dialogIdOf(init.callId, init.role === 'uac' ? init.localTag : init.remoteTag);
  }

  /** Key for matching incoming requests: Call-ID + our tag. */
  get key(): string {
    return `${this.callId}|${this.localTag}`;
  }

  clearTimers(): void {
    this.timers.clear();
    this.sessionTimer = undefined;
    this.ackTimers.clear();
  }

  clearAckTimers(): void {
    this.ackTimers.clear();
  }

  /** Refreshes the remote target from a Contact header. */
  refreshTarget(m: SipMsg): void {
    const c = m.get('contact');
    if (c) this.remoteTarget = addrUri(c);
  }

  /** First hop URI for a request in this dialog (loose routing). */
  nextHopUri(): string {
    return this.routeSet.length > 0 ? addrUri(this.routeSet[0]) : this.remoteTarget;
  }

  static routeSetFrom(m: SipMsg, reverse: boolean): string[] {
    const rr = m.getValues('record-route');
    return reverse ? rr.reverse() : rr;
  }
}

export function fromTagOf(m: SipMsg): string {
  return getTag(m.get('from')) ?? '';
}

export function toTagOf(m: SipMsg): string | undefined {
  return getTag(m.get('to'));
}
