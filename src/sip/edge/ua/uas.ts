// Requests from the network and the app's answers to them (drachtio's UAS duties) on top of
// the transaction layer's server transactions (RFC 3261 §17.2, RFC 6026): 100 Trying once a
// request is accepted, app choice, tags and Contact, 2xx retransmission until ACK and BYE after
// Timer H, CANCEL races, PRACK. Retransmission absorption, merged requests (482), CANCEL
// matching and the non-2xx Timers G/H/I/J are the layer's.

import type { ControlConnection } from '../control/control-server.js';
import { responseEcho } from '../control/messages.js';
import { buildResponse, type ServerTransaction } from '../transaction/index.js';
import { Dialog, dialogIdOf, fromTagOf, toTagOf } from './dialog.js';
import { applyAppHeaders, ensureContentType, randomToken, substituteLocalhost } from './header-policy.js';
import { toWireResponse, type Inbound } from './net-adapter.js';
import { SipMsg, toNameAddr } from './sip-msg.js';
import { answerSessionExpires, parseSessionExpires } from './session-timer.js';
import type { ServerTxn, UaContext } from './context.js';
import type { Uac } from './uac.js';

const REASONS: Record<number, string> = {
  100: 'Trying', 200: 'OK', 400: 'Bad Request', 408: 'Request Timeout', 481: 'Call/Transaction Does Not Exist',
  422: 'Session Interval Too Small', 483: 'Too Many Hops', 487: 'Request Terminated', 491: 'Request Pending',
  500: 'Server Internal Error', 503: 'Service Unavailable',
};

const RE_100REL = /\b100rel\b/i;
const RE_TERMINATED = /terminated/i;
const RE_ZERO = /^\s*0\s*$/;

export class Uas {
  private inviteStamps: number[] = [];
  uac!: Uac;

  constructor(private readonly ua: UaContext) {}

  /** Builds a response to `req` carrying its Via/From/To/Call-ID/CSeq (the proxy's local answers). */
  stateless(req: SipMsg, status: number, toTag?: string, extra: Array<[string, string]> = []): SipMsg {
    const r = SipMsg.response(status, REASONS[status] ?? 'Unknown');
    for (const v of req.getAll('via')) r.add('Via', v);
    r.add('From', req.get('from') ?? '');
    const to = req.get('to') ?? '';
    r.add('To', toTag && toTagOf(req) === undefined ? `${to};tag=${toTag}` : to);
    r.add('Call-ID', req.callId);
    r.add('CSeq', req.get('cseq') ?? '');
    for (const [n, v] of extra) r.add(n, v);
    return r;
  }

  /** Answers the request of `st` from the stack (not the app), through its transaction. */
  respond(st: ServerTransaction, status: number, toTag?: string, extra: Array<[string, string]> = []): void {
    const res = buildResponse(st.request, status, REASONS[status], toTag);
    for (const [n, v] of extra) res.add(n, v);
    st.respond(res);
  }

  /** A request from the network in a new server transaction (not ACK, not CANCEL). */
  onRequest(st: ServerTransaction, inb: Inbound): void {
    const toTag = toTagOf(inb.msg);
    if (toTag !== undefined) return this.onInDialog(st, inb, toTag);
    const method = st.method;
    if (method === 'BYE' || method === 'UPDATE' || method === 'PRACK') return this.respond(st, 481);
    this.onNewRequest(st, inb);
  }

  private overloaded(): boolean {
    const o = this.ua.overload;
    if (o.maxPendingRequests > 0 && this.ua.pendingRequests >= o.maxPendingRequests) return true;
    if (o.maxInviteRate > 0) {
      const now = this.ua.clock.now();
      while (this.inviteStamps.length > 0 && now - this.inviteStamps[0] >= 1000) this.inviteStamps.shift();
      if (this.inviteStamps.length >= o.maxInviteRate) return true;
      this.inviteStamps.push(now);
    }
    return false;
  }

  /** RFC 4028 §8.1: a Session-Expires below our Min-SE gets 422. */
  private tooSmallSessionExpires(st: ServerTransaction, m: SipMsg): boolean {
    if (m.method !== 'INVITE' && m.method !== 'UPDATE') return false;
    const se = parseSessionExpires(m.get('session-expires'));
    if (!se || se.seconds >= this.ua.timers.minSessionExpires) return false;
    this.respond(st, 422, randomToken(), [['Min-SE', String(this.ua.timers.minSessionExpires)]]);
    return true;
  }

  private onNewRequest(st: ServerTransaction, inb: Inbound): void {
    const m = inb.msg;
    if (this.tooSmallSessionExpires(st, m)) return;
    if (m.method === 'INVITE') {
      if (this.overloaded()) {
        this.respond(st, 503, randomToken(), [['Retry-After', String(this.ua.overload.retryAfterSec)]]);
        return;
      }
      st.sendTrying();
    }
    const conn = this.ua.control.routes.pick(m.method.toLowerCase());
    if (!conn) {
      this.respond(st, 503, randomToken());
      return;
    }
    const txn = this.newTxn(st, inb, conn);
    if (m.method === 'INVITE') this.ua.cdr('attempt', 'network', undefined, inb.raw);
    this.ua.toApp(conn, inb.raw, inb.bytes, inb.peer, txn.id, '', inb.local);
  }

  private newTxn(st: ServerTransaction, inb: Inbound, conn: ControlConnection | undefined, dialog?: Dialog): ServerTxn {
    const txn: ServerTxn = {
      id: this.ua.newTxnId(), st, req: inb.msg, peer: inb.peer, local: inb.local, method: inb.msg.method,
      conn, toTag: dialog?.localTag, finalStatus: 0, pending: true, canceled: false, dialog,
      timers: this.ua.timerSet(), rseq: 0, reliablePending: undefined,
    };
    this.ua.serverById.set(txn.id, txn);
    this.ua.serverBySt.set(st, txn);
    this.ua.pendingRequests++;
    // drachtio forgets a request the app never answers after 64 s.
    txn.timers.after(this.ua.timers.pendingRequestMs, () => this.forget(txn));
    return txn;
  }

  /** Drops a request the app never answered (drachtio: silently, after 64 s). */
  forget(txn: ServerTxn): void {
    if (txn.method === 'BYE' && txn.dialog) this.ua.removeDialog(txn.dialog);
    txn.st.terminate();
    this.release(txn);
  }

  /** The transaction layer ended `st`: its UA record goes too. */
  onServerTerminated(st: ServerTransaction): void {
    const txn = this.ua.serverBySt.get(st);
    if (txn !== undefined) this.release(txn);
  }

  private release(txn: ServerTxn): void {
    this.answered(txn);
    txn.timers.clear();
    txn.reliablePending = undefined;
    if (this.ua.serverBySt.get(txn.st) === txn) this.ua.serverBySt.delete(txn.st);
    if (this.ua.serverById.get(txn.id) === txn) this.ua.serverById.delete(txn.id);
    if (txn.dialog?.reliableInvite === txn) txn.dialog.reliableInvite = undefined;
  }

  /** The request is no longer waiting for its app. */
  answered(txn: ServerTxn): void {
    if (!txn.pending) return;
    txn.pending = false;
    this.ua.pendingRequests--;
  }

  /** A final response of our own to a request the app was handling. */
  private finalByStack(txn: ServerTxn, status: number): void {
    txn.finalStatus = status;
    this.answered(txn);
    this.stopReliable(txn);
    txn.timers.clear();
    this.respond(txn.st, status, txn.toTag);
  }

  /** An ACK the transaction layer passed up: for a 2xx of ours (else ignored). */
  onAck(inb: Inbound): void {
    const d = this.ua.dialogByKey.get(`${inb.msg.callId}|${toTagOf(inb.msg) ?? ''}`);
    if (!d) return;
    const inv = d.pendingInvite;
    if (inv && inb.msg.cseq.seq === inv.req.cseq.seq) {
      d.pendingInvite = undefined;
      d.clearAckTimers();
      d.confirmed = true;
      this.ua.toApp(d.conn, inb.raw, inb.bytes, inb.peer, this.ua.newTxnId(), d.id);
    }
  }

  /**
   * A CANCEL in its own server transaction; `invite` is the INVITE transaction the layer matched
   * (RFC 3261 §9.2), `inv` its UA record when the app has it.
   */
  onCancel(st: ServerTransaction, inb: Inbound, invite: ServerTransaction | undefined, inv: ServerTxn | undefined): void {
    if (invite === undefined) return this.respond(st, 481);
    if (inv === undefined) {
      // answered by the stack already (422, 503, 482...): the CANCEL has no effect (§9.2)
      const final = invite.lastResponse !== undefined && invite.lastResponse.status >= 200;
      return this.respond(st, final ? 200 : 481, final ? invite.lastResponse?.to.tag : undefined);
    }
    if (inv.finalStatus >= 200 && inv.finalStatus < 300) {
      // CANCEL crossed our 200: 481 to it, then BYE the dialog (drachtio behaviour).
      this.respond(st, 481);
      if (inv.dialog && !inv.dialog.terminated && !inv.dialog.confirmed) this.uac.serverBye(inv.dialog, 'CANCEL after 200 OK');
      return;
    }
    this.respond(st, 200, inv.toTag);
    if (inv.finalStatus !== 0) return;
    inv.canceled = true;
    inv.toTag ??= randomToken();
    this.finalByStack(inv, 487);
    this.ua.cdr('stop', 'application', 'call-canceled', inb.raw);
    this.ua.toApp(inv.conn, inb.raw, inb.bytes, inb.peer, inv.id, '');
  }

  private stopReliable(txn: ServerTxn): void {
    if (txn.reliablePending !== undefined) txn.timers.cancel(txn.reliablePending);
    txn.reliablePending = undefined;
  }

  private onInDialog(st: ServerTransaction, inb: Inbound, toTag: string): void {
    const m = inb.msg;
    const d = this.ua.dialogByKey.get(`${m.callId}|${toTag}`);
    if (!d && this.earlyRequest(st, inb, toTag)) return;
    if (!d || d.terminated) return this.respond(st, 481);
    const seq = m.cseq.seq;
    if (m.method !== 'PRACK' && seq <= d.remoteSeq && d.remoteSeq !== 0) return this.respond(st, m.method === 'INVITE' ? 491 : 500);
    if (m.method !== 'PRACK') d.remoteSeq = seq;
    if (this.tooSmallSessionExpires(st, m)) return;
    if (m.method === 'INVITE') st.sendTrying();
    if (m.method === 'PRACK') {
      const inv = d.pendingInvite ?? d.reliableInvite;
      if (inv) this.stopReliable(inv);
    }
    if (!d.conn || d.conn.closed) {
      if (m.method === 'BYE' || (m.method === 'NOTIFY' && RE_TERMINATED.test(m.get('subscription-state') ?? ''))) {
        this.respond(st, 200);
        this.ua.removeDialog(d);
      } else {
        this.respond(st, 481);
      }
      return;
    }
    if (m.method === 'INVITE' || m.method === 'UPDATE') d.refreshTarget(m);
    const txn = this.newTxn(st, inb, d.conn, d);
    if (m.method === 'BYE') {
      d.clearTimers();
      d.terminated = true;
      this.ua.cdr('stop', 'network', 'normal-release', inb.raw);
    }
    this.ua.toApp(d.conn, inb.raw, inb.bytes, inb.peer, txn.id, d.id);
  }

  /**
   * UPDATE/INFO in the early dialog of an INVITE still being answered (after an unreliable 1xx,
   * so no dialog exists yet): delivered to the INVITE's app with its own transaction id and the
   * INVITE's dialog id; srf matches it to the INVITE by Call-ID (spec §2.5 UAS step 7).
   */
  private earlyRequest(st: ServerTransaction, inb: Inbound, toTag: string): boolean {
    const m = inb.msg;
    if (m.method !== 'UPDATE' && m.method !== 'INFO') return false;
    let inv: ServerTxn | undefined;
    for (const t of this.ua.serverById.values()) {
      if (t.method === 'INVITE' && t.finalStatus === 0 && t.toTag === toTag && t.req.callId === m.callId) inv = t;
    }
    if (!inv?.conn || inv.conn.closed) return false;
    const txn = this.newTxn(st, inb, inv.conn);
    txn.toTag = toTag;
    this.ua.toApp(inv.conn, inb.raw, inb.bytes, inb.peer, txn.id, dialogIdOf(m.callId, fromTagOf(m)));
    return true;
  }

  /** The app answered a request we delivered: `sip|<txnId>|` + response. */
  appResponse(conn: ControlConnection, msgId: string, txnId: string, app: SipMsg): void {
    const txn = this.ua.serverById.get(txnId);
    if (!txn) return conn.fail(msgId, 'unknown transaction id');
    if (txn.finalStatus >= 200) return conn.fail(msgId, txn.canceled ? 'transaction canceled' : 'final response already sent');
    const req = txn.req;
    const status = app.status;
    const res = SipMsg.response(status, app.reason || REASONS[status] || 'Unknown');
    for (const v of req.getAll('via')) res.add('Via', v);
    res.add('From', req.get('from') ?? '');
    const appTag = toTagOf(app);
    if (status > 100 && txn.toTag === undefined) txn.toTag = appTag ?? randomToken();
    const to = req.get('to') ?? '';
    res.add('To', txn.toTag && toTagOf(req) === undefined && status > 100 ? `${to};tag=${txn.toTag}` : to);
    res.add('Call-ID', req.callId);
    res.add('CSeq', req.get('cseq') ?? '');
    const dialogMethod = req.method === 'INVITE' || req.method === 'SUBSCRIBE';
    const creates = dialogMethod && status > 100 && status < 300;
    if (creates && !txn.dialog) for (const rr of req.getAll('record-route')) res.add('Record-Route', rr);
    applyAppHeaders(app, res, new Set(['from', 'to', 'call-id', 'cseq']), this.ua.preserveHeaderNames);
    res.body = app.body;
    if (!ensureContentType(res)) return conn.fail(msgId, 'missing content-type');
    const hp = this.ua.hostport(txn.local);
    const c = res.get('contact');
    if (c) res.set('Contact', toNameAddr(substituteLocalhost(c, hp)));
    else if (creates) res.add('Contact', `<${this.ua.contactUri(txn.local)}>`);
    const refreshable = (req.method === 'INVITE' || req.method === 'UPDATE') && status >= 200 && status < 300;
    if (refreshable && !res.has('session-expires')) {
      const se = answerSessionExpires(req);
      if (se) {
        res.add('Session-Expires', se.value);
        if (se.requireTimer) res.add('Require', 'timer');
      }
    }
    const reliable = req.method === 'INVITE' && status > 100 && status < 200 && RE_100REL.test(app.get('require') ?? '');
    if (reliable) {
      const offered = RE_100REL.test(`${req.get('supported') ?? ''},${req.get('require') ?? ''}`);
      if (!offered) return conn.fail(msgId, 'Remote endpoint does not support 100rel');
      txn.rseq = txn.rseq === 0 ? 1 + Math.floor(Math.random() * 1000) : txn.rseq + 1;
      res.add('RSeq', String(txn.rseq));
    }

    let dialog = txn.dialog;
    if (!dialog && creates && (status >= 200 || reliable)) dialog = this.createDialog(txn, res, conn);
    const dialogId = dialog?.id ?? (dialogMethod ? dialogIdOf(req.callId, fromTagOf(req)) : '');
    if (!txn.st.respond(toWireResponse(res))) return conn.fail(msgId, 'transaction no longer accepts responses');
    const wire = txn.st.lastWire as Buffer;
    const raw = wire.toString('utf8');
    if (status >= 200) {
      txn.finalStatus = status;
      this.answered(txn);
      this.stopReliable(txn);
      txn.timers.clear();
      // 2xx to an INVITE (initial or re-INVITE): retransmitted by us until ACK (RFC 6026: TU's job).
      if (req.method === 'INVITE' && status < 300 && dialog) this.start2xxTimers(txn, dialog, wire);
      if (refreshable && dialog) {
        if (req.method === 'INVITE' && res.body) dialog.localSdp = res.body;
        dialog.peerAllow = req.get('allow') ?? dialog.peerAllow;
        this.uac.armTimer(dialog, res, true);
      }
      this.afterFinal(txn, status, raw);
    } else if (reliable) {
      this.retransmitReliable(txn, wire, this.ua.timers.t1, 0);
    }
    conn.send(responseEcho(msgId, this.ua.meta('application', wire.length, txn.peer), txn.id, dialogId, raw));
  }

  private createDialog(txn: ServerTxn, res: SipMsg, conn: ControlConnection): Dialog {
    const req = txn.req;
    const d = new Dialog({
      role: 'uas', kind: req.method === 'SUBSCRIBE' ? 'subscribe' : 'invite', callId: req.callId,
      localTag: txn.toTag ?? randomToken(), remoteTag: fromTagOf(req), localAddr: res.get('to') ?? '',
      remoteAddr: req.get('from') ?? '', remoteTarget: '', routeSet: Dialog.routeSetFrom(req, false),
      localSeq: Math.floor(Math.random() * 10000) + 1, remoteSeq: req.cseq.seq, conn, peer: txn.peer, local: txn.local,
      timers: [this.ua.timerSet(), this.ua.timerSet()],
    });
    d.refreshTarget(req);
    txn.dialog = d;
    if (res.status < 200) d.reliableInvite = txn;
    this.ua.addDialog(d);
    return d;
  }

  /** Retransmit the 2xx (T1 doubling to T2) until ACK; at Timer H, BYE the dialog. */
  private start2xxTimers(txn: ServerTxn, d: Dialog, wire: Buffer): void {
    d.pendingInvite = txn;
    d.ackTimers.clear();
    const t1 = this.ua.timers.t1For2xx;
    if (txn.peer.proto === 'udp') {
      const tick = (interval: number): void => {
        d.ackTimers.after(interval, () => {
          this.ua.net.send(wire, txn.peer, txn.local);
          tick(Math.min(interval * 2, this.ua.timers.t2));
        });
      };
      tick(t1);
    }
    d.ackTimers.after(64 * t1, () => {
      d.ackTimers.clear();
      d.pendingInvite = undefined;
      this.uac.serverBye(d, 'ACK timeout');
    });
  }

  /** RFC 3262 §3: a reliable 1xx is retransmitted (T1 doubling to T2) until PRACK, for 64·T1. */
  private retransmitReliable(txn: ServerTxn, wire: Buffer, interval: number, elapsed: number): void {
    if (elapsed >= 64 * this.ua.timers.t1) {
      // No PRACK: RFC 3262 §3 says reject the INVITE with 5xx.
      txn.reliablePending = undefined;
      if (txn.finalStatus === 0) this.finalByStack(txn, 500);
      return;
    }
    txn.reliablePending = txn.timers.after(interval, () => {
      txn.reliablePending = undefined;
      if (txn.finalStatus !== 0) return;
      if (txn.peer.proto === 'udp') this.ua.net.send(wire, txn.peer, txn.local);
      this.retransmitReliable(txn, wire, Math.min(interval * 2, this.ua.timers.t2), elapsed + interval);
    });
  }

  private afterFinal(txn: ServerTxn, status: number, raw: string): void {
    const m = txn.req.method;
    const d = txn.dialog;
    if (m === 'INVITE' && !d?.confirmed) {
      if (status < 300) this.ua.cdr('start', 'application', 'uas', raw);
      else if (!txn.canceled) this.ua.cdr('stop', 'application', 'call-rejected', raw);
    }
    if (!d) return;
    if (m === 'BYE') this.ua.removeDialog(d);
    else if (m === 'NOTIFY' && d.kind === 'subscribe' && RE_TERMINATED.test(txn.req.get('subscription-state') ?? '')) this.ua.removeDialog(d);
    else if (m === 'SUBSCRIBE' && status < 300 && RE_ZERO.test(txn.req.get('expires') ?? '')) this.ua.removeDialog(d);
    else if (m === 'INVITE' && status >= 300 && !d.confirmed && d.pendingInvite === undefined) {
      // failed initial INVITE after a reliable 1xx: the early dialog ends.
      this.ua.removeDialog(d);
    }
  }
}
