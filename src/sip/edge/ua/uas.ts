// Requests from the network and the app's answers to them (drachtio's UAS duties):
// stateless 100 Trying, app choice, lazy server transaction on the first app response,
// tags and Contact, 2xx retransmission until ACK and BYE after Timer H, CANCEL races, PRACK.

import type { ControlConnection } from '../control/control-server.js';
import { responseEcho } from '../control/messages.js';
import { Dialog, dialogIdOf, fromTagOf, toTagOf } from './dialog.js';
import { applyAppHeaders, ensureContentType, randomToken, substituteLocalhost } from './header-policy.js';
import type { Inbound } from './net-adapter.js';
import { SipMsg, parseVia, toNameAddr } from './sip-msg.js';
import { answerSessionExpires, parseSessionExpires } from './session-timer.js';
import type { ServerTxn, UaContext } from './context.js';
import type { Uac } from './uac.js';

const REASONS: Record<number, string> = {
  100: 'Trying', 200: 'OK', 400: 'Bad Request', 408: 'Request Timeout', 481: 'Call/Transaction Does Not Exist',
  422: 'Session Interval Too Small', 487: 'Request Terminated', 491: 'Request Pending', 500: 'Server Internal Error', 503: 'Service Unavailable',
};

export class Uas {
  private inviteStamps: number[] = [];
  uac!: Uac;

  constructor(private readonly ua: UaContext) {}

  /** Builds a response to `req` carrying its Via/From/To/Call-ID/CSeq. */
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

  reply(inb: Inbound, status: number, toTag?: string, extra: Array<[string, string]> = []): string {
    const raw = this.stateless(inb.msg, status, toTag, extra).toString();
    this.ua.net.send(raw, this.responseDest(inb), inb.local);
    return raw;
  }

  /** RFC 3261 §18.2.2 with rport (RFC 3581): reply to the packet's source. */
  private responseDest(inb: Inbound): Inbound['peer'] {
    return inb.peer;
  }

  private branchKey(m: SipMsg, method = m.method): string {
    const via = parseVia(m.getValues('via')[0] ?? '');
    return `${via?.branch ?? ''}|${via?.host ?? ''}|${method === 'ACK' ? 'INVITE' : method}`;
  }

  /** A request arrived from the network. */
  onRequest(inb: Inbound): void {
    const m = inb.msg;
    if (!m.get('via') || !m.callId || !m.get('from') || !m.get('to') || m.cseq.method !== m.method) {
      if (m.method !== 'ACK') this.reply(inb, 400);
      return;
    }
    const key = this.branchKey(m);
    const existing = this.ua.serverByBranch.get(key);
    if (existing && m.method !== 'ACK') {
      // Retransmission: repeat our last response, or drop it while the app decides.
      if (existing.lastResponse) this.ua.net.send(existing.lastResponse, inb.peer, inb.local);
      return;
    }
    switch (m.method) {
      case 'ACK':
        return this.onAck(inb, existing);
      case 'CANCEL':
        return this.onCancel(inb);
    }
    const toTag = toTagOf(m);
    if (toTag !== undefined) return this.onInDialog(inb, toTag);
    if (m.method === 'BYE' || m.method === 'UPDATE' || m.method === 'PRACK') {
      this.reply(inb, 481);
      return;
    }
    this.onNewRequest(inb, key);
  }

  private overloaded(): boolean {
    const o = this.ua.overload;
    if (o.maxPendingRequests > 0) {
      let pending = 0;
      for (const t of this.ua.serverById.values()) if (t.finalStatus === 0) pending++;
      if (pending >= o.maxPendingRequests) return true;
    }
    if (o.maxInviteRate > 0) {
      const now = Date.now();
      while (this.inviteStamps.length > 0 && now - this.inviteStamps[0] >= 1000) this.inviteStamps.shift();
      if (this.inviteStamps.length >= o.maxInviteRate) return true;
      this.inviteStamps.push(now);
    }
    return false;
  }

  /** RFC 4028 §8.1: a Session-Expires below our Min-SE gets 422. */
  private tooSmallSessionExpires(inb: Inbound): boolean {
    const m = inb.msg;
    if (m.method !== 'INVITE' && m.method !== 'UPDATE') return false;
    const se = parseSessionExpires(m.get('session-expires'));
    if (!se || se.seconds >= this.ua.timers.minSessionExpires) return false;
    this.reply(inb, 422, randomToken(), [['Min-SE', String(this.ua.timers.minSessionExpires)]]);
    return true;
  }

  private onNewRequest(inb: Inbound, key: string): void {
    const m = inb.msg;
    if (this.tooSmallSessionExpires(inb)) return;
    if (m.method === 'INVITE') {
      if (this.overloaded()) {
        this.reply(inb, 503, randomToken(), [['Retry-After', String(this.ua.overload.retryAfterSec)]]);
        return;
      }
      this.reply(inb, 100);
    }
    const conn = this.ua.control.routes.pick(m.method.toLowerCase());
    if (!conn) {
      this.reply(inb, 503, randomToken());
      return;
    }
    const txn = this.newTxn(inb, key, conn);
    if (m.method === 'INVITE') this.ua.cdr('attempt', 'network', undefined, inb.raw);
    this.ua.toApp(conn, inb.raw, inb.bytes, inb.peer, txn.id, '', inb.local);
  }

  private newTxn(inb: Inbound, key: string, conn: ControlConnection | undefined, dialog?: Dialog): ServerTxn {
    const txn: ServerTxn = {
      id: this.ua.newTxnId(), req: inb.msg, peer: inb.peer, local: inb.local, branch: key, method: inb.msg.method,
      conn, toTag: dialog?.localTag, finalStatus: 0, lastResponse: undefined, canceled: false, dialog,
      timers: new Set(), rseq: 0, reliablePending: undefined,
    };
    this.ua.serverById.set(txn.id, txn);
    this.ua.serverByBranch.set(key, txn);
    // drachtio forgets a request the app never answers after 64 s.
    this.ua.after(txn.timers, this.ua.timers.pendingRequestMs, () => this.dropTxn(txn));
    return txn;
  }

  dropTxn(txn: ServerTxn): void {
    for (const t of txn.timers) clearTimeout(t);
    txn.timers.clear();
    this.stopReliable(txn);
    if (this.ua.serverById.get(txn.id) === txn) this.ua.serverById.delete(txn.id);
    if (this.ua.serverByBranch.get(txn.branch) === txn) this.ua.serverByBranch.delete(txn.branch);
  }

  private onAck(inb: Inbound, txn: ServerTxn | undefined): void {
    if (txn && txn.finalStatus >= 300) {
      // ACK for our non-2xx: absorbed, stops retransmission.
      this.dropTxn(txn);
      return;
    }
    const d = this.ua.dialogByKey.get(`${inb.msg.callId}|${toTagOf(inb.msg) ?? ''}`);
    if (!d) return;
    const inv = d.pendingInvite;
    if (inv && inb.msg.cseq.seq === inv.req.cseq.seq) {
      this.dropTxn(inv);
      d.pendingInvite = undefined;
      d.clearAckTimers();
      d.confirmed = true;
      this.ua.toApp(d.conn, inb.raw, inb.bytes, inb.peer, this.ua.newTxnId(), d.id);
    }
  }

  private onCancel(inb: Inbound): void {
    const key = this.branchKey(inb.msg, 'INVITE');
    const inv = this.ua.serverByBranch.get(key);
    if (!inv) {
      this.reply(inb, 481);
      return;
    }
    if (inv.finalStatus >= 200 && inv.finalStatus < 300) {
      // CANCEL crossed our 200: 481 to it, then BYE the dialog (drachtio behaviour).
      this.reply(inb, 481);
      if (inv.dialog && !inv.dialog.terminated) this.uac.serverBye(inv.dialog, 'CANCEL after 200 OK');
      return;
    }
    this.reply(inb, 200, inv.toTag);
    if (inv.finalStatus !== 0) return;
    inv.canceled = true;
    inv.toTag ??= randomToken();
    this.sendFinal(inv, this.stateless(inv.req, 487, inv.toTag));
    this.ua.cdr('stop', 'application', 'call-canceled', inb.raw);
    this.ua.toApp(inv.conn, inb.raw, inb.bytes, inb.peer, inv.id, '');
  }

  private sendFinal(txn: ServerTxn, res: SipMsg): string {
    const raw = res.toString();
    txn.finalStatus = res.status;
    txn.lastResponse = raw;
    this.stopReliable(txn);
    this.ua.net.send(raw, txn.peer, txn.local);
    for (const t of txn.timers) clearTimeout(t);
    txn.timers.clear();
    if (txn.method === 'INVITE' && res.status >= 300 && txn.peer.proto === 'udp') this.retransmit(txn, raw, this.ua.timers.t1);
    // Keep the transaction to absorb retransmissions (Timer H/J: 64×T1).
    this.ua.after(txn.timers, 64 * this.ua.timers.t1, () => this.dropTxn(txn));
    return raw;
  }

  private retransmit(txn: ServerTxn, raw: string, interval: number): void {
    this.ua.after(txn.timers, interval, () => {
      this.ua.net.send(raw, txn.peer, txn.local);
      this.retransmit(txn, raw, Math.min(interval * 2, this.ua.timers.t2));
    });
  }

  private stopReliable(txn: ServerTxn): void {
    if (txn.reliablePending) clearTimeout(txn.reliablePending);
    txn.reliablePending = undefined;
  }

  private onInDialog(inb: Inbound, toTag: string): void {
    const m = inb.msg;
    const d = this.ua.dialogByKey.get(`${m.callId}|${toTag}`);
    if (!d && this.earlyRequest(inb, toTag)) return;
    if (!d || d.terminated) {
      this.reply(inb, 481);
      return;
    }
    const seq = m.cseq.seq;
    if (m.method !== 'PRACK' && seq <= d.remoteSeq && d.remoteSeq !== 0) {
      this.reply(inb, m.method === 'INVITE' ? 491 : 500);
      return;
    }
    if (m.method !== 'PRACK') d.remoteSeq = seq;
    if (this.tooSmallSessionExpires(inb)) return;
    if (m.method === 'INVITE') this.reply(inb, 100);
    if (m.method === 'PRACK') {
      const inv = d.pendingInvite ?? [...this.ua.serverById.values()].find((t) => t.dialog === d && t.method === 'INVITE');
      if (inv) this.stopReliable(inv);
    }
    if (!d.conn || d.conn.closed) {
      if (m.method === 'BYE' || (m.method === 'NOTIFY' && /terminated/i.test(m.get('subscription-state') ?? ''))) {
        this.reply(inb, 200);
        this.ua.removeDialog(d);
      } else {
        this.reply(inb, 481);
      }
      return;
    }
    if (m.method === 'INVITE' || m.method === 'UPDATE') d.refreshTarget(m);
    const txn = this.newTxn(inb, this.branchKey(m), d.conn, d);
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
  private earlyRequest(inb: Inbound, toTag: string): boolean {
    const m = inb.msg;
    if (m.method !== 'UPDATE' && m.method !== 'INFO') return false;
    let inv: ServerTxn | undefined;
    for (const t of this.ua.serverById.values()) {
      if (t.method === 'INVITE' && t.finalStatus === 0 && t.toTag === toTag && t.req.callId === m.callId) inv = t;
    }
    if (!inv?.conn || inv.conn.closed) return false;
    const txn = this.newTxn(inb, this.branchKey(m), inv.conn);
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
    const reliable = req.method === 'INVITE' && status > 100 && status < 200 && /\b100rel\b/i.test(app.get('require') ?? '');
    if (reliable) {
      const offered = /\b100rel\b/i.test(`${req.get('supported') ?? ''},${req.get('require') ?? ''}`);
      if (!offered) return conn.fail(msgId, 'Remote endpoint does not support 100rel');
      txn.rseq = txn.rseq === 0 ? 1 + Math.floor(Math.random() * 1000) : txn.rseq + 1;
      res.add('RSeq', String(txn.rseq));
    }

    let dialog = txn.dialog;
    if (!dialog && creates && (status >= 200 || reliable)) dialog = this.createDialog(txn, res, conn);
    const dialogId = dialog?.id ?? (dialogMethod ? dialogIdOf(req.callId, fromTagOf(req)) : '');
    let raw: string;
    if (status >= 200) {
      raw = res.toString();
      txn.finalStatus = status;
      txn.lastResponse = raw;
      this.stopReliable(txn);
      for (const t of txn.timers) clearTimeout(t);
      txn.timers.clear();
      this.ua.net.send(raw, txn.peer, txn.local);
      if (req.method === 'INVITE' && status < 300 && dialog && !txn.dialog) this.start2xxTimers(txn, dialog, raw);
      else if (req.method === 'INVITE' && status < 300 && dialog) {
        // 2xx to a re-INVITE: also retransmitted until ACK.
        this.start2xxTimers(txn, dialog, raw);
      } else if (req.method === 'INVITE' && txn.peer.proto === 'udp') {
        this.retransmit(txn, raw, this.ua.timers.t1);
        this.ua.after(txn.timers, 64 * this.ua.timers.t1, () => this.dropTxn(txn));
      } else {
        this.ua.after(txn.timers, 64 * this.ua.timers.t1, () => this.dropTxn(txn));
      }
      if (refreshable && dialog) {
        if (req.method === 'INVITE' && res.body) dialog.localSdp = res.body;
        dialog.peerAllow = req.get('allow') ?? dialog.peerAllow;
        this.uac.armTimer(dialog, res, true);
      }
      this.afterFinal(txn, status, raw);
    } else {
      raw = res.toString();
      txn.lastResponse = raw;
      this.ua.net.send(raw, txn.peer, txn.local);
      if (reliable) this.retransmitReliable(txn, raw, this.ua.timers.t1, 0);
    }
    conn.send(responseEcho(msgId, this.ua.meta('application', Buffer.byteLength(raw), txn.peer), txn.id, dialogId, raw));
  }

  private createDialog(txn: ServerTxn, res: SipMsg, conn: ControlConnection): Dialog {
    const req = txn.req;
    const d = new Dialog({
      role: 'uas', kind: req.method === 'SUBSCRIBE' ? 'subscribe' : 'invite', callId: req.callId,
      localTag: txn.toTag ?? randomToken(), remoteTag: fromTagOf(req), localAddr: res.get('to') ?? '',
      remoteAddr: req.get('from') ?? '', remoteTarget: '', routeSet: Dialog.routeSetFrom(req, false),
      localSeq: Math.floor(Math.random() * 10000) + 1, remoteSeq: req.cseq.seq, conn, peer: txn.peer, local: txn.local,
    });
    d.refreshTarget(req);
    txn.dialog = d;
    this.ua.addDialog(d);
    return d;
  }

  /** Retransmit the 2xx (T1 doubling to T2) until ACK; at Timer H, BYE the dialog. */
  private start2xxTimers(txn: ServerTxn, d: Dialog, raw: string): void {
    d.pendingInvite = txn;
    const t1 = this.ua.timers.t1For2xx;
    if (txn.peer.proto === 'udp') {
      const tick = (interval: number): void => {
        this.ua.after(d.ackTimers, interval, () => {
          this.ua.net.send(raw, txn.peer, txn.local);
          tick(Math.min(interval * 2, this.ua.timers.t2));
        });
      };
      tick(t1);
    }
    this.ua.after(d.ackTimers, 64 * t1, () => {
      d.pendingInvite = undefined;
      this.dropTxn(txn);
      this.uac.serverBye(d, 'ACK timeout');
    });
  }

  private retransmitReliable(txn: ServerTxn, raw: string, interval: number, elapsed: number): void {
    if (elapsed >= 64 * this.ua.timers.t1) {
      // No PRACK: RFC 3262 §3 says reject the INVITE with 5xx.
      if (txn.finalStatus === 0) this.sendFinal(txn, this.stateless(txn.req, 500, txn.toTag));
      return;
    }
    txn.reliablePending = setTimeout(() => {
      if (txn.finalStatus !== 0) return;
      if (txn.peer.proto === 'udp') this.ua.net.send(raw, txn.peer, txn.local);
      this.retransmitReliable(txn, raw, Math.min(interval * 2, this.ua.timers.t2), elapsed + interval);
    }, interval);
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
    else if (m === 'NOTIFY' && d.kind === 'subscribe' && /terminated/i.test(txn.req.get('subscription-state') ?? '')) this.ua.removeDialog(d);
    else if (m === 'SUBSCRIBE' && status < 300 && /^\s*0\s*$/.test(txn.req.get('expires') ?? '')) this.ua.removeDialog(d);
    else if (m === 'INVITE' && status >= 300 && !d.confirmed && d.pendingInvite === undefined) {
      // failed initial INVITE after a reliable 1xx: the early dialog ends.
      this.ua.removeDialog(d);
    }
  }
}
