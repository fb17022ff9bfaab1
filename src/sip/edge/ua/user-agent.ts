// The UA layer behind the control socket: routes app `sip`/`proxy` messages to the UAC/UAS
// halves and network messages to them, and cleans up when an app connection goes away.

import type { ControlConnection, ControlHandler } from '../control/control-server.js';
import type { ProxyArgs } from '../control/messages.js';
import type { ServerTransaction } from '../transaction/index.js';
import { UaContext } from './context.js';
import type { Inbound, NetTu } from './net-adapter.js';
import { SipMsg } from './sip-msg.js';
import { Uac } from './uac.js';
import { Uas } from './uas.js';
import { Proxy } from './proxy.js';

export class UserAgent implements ControlHandler, NetTu {
  readonly uas: Uas;
  readonly uac: Uac;
  readonly proxy: Proxy;
  readonly stats = { badAppMessages: 0 };

  constructor(readonly ctx: UaContext) {
    this.uas = new Uas(ctx);
    this.uac = new Uac(ctx);
    this.uas.uac = this.uac;
    this.proxy = new Proxy(ctx, this.uas);
    ctx.net.setTu(this);
  }

  /** A new request from the network, in its server transaction. */
  onRequest(st: ServerTransaction, invite: ServerTransaction | undefined): void {
    try {
      const inb = this.ctx.net.inbound(st.inbound);
      if (st.method === 'CANCEL') {
        const inv = invite === undefined ? undefined : this.ctx.serverBySt.get(invite);
        if (inv !== undefined && this.proxy.cancel(inv, st)) return;
        this.uas.onCancel(st, inb, invite, inv);
        return;
      }
      if (this.proxy.claimsRequest(inb, st)) return;
      this.uas.onRequest(st, inb);
    } catch (err) {
      this.ctx.log.error({ err }, 'sip message handling failed');
      // never leave a transaction waiting for an answer nobody will give
      if (st.state !== 'terminated' && st.lastResponse === undefined && !this.ctx.serverBySt.has(st)) {
        try {
          this.uas.respond(st, 500);
        } catch {
          st.terminate();
        }
      }
    }
  }

  /** An ACK for a 2xx of ours, or one matching no transaction (loose routing). */
  onAck(inb: Inbound): void {
    try {
      if (this.proxy.claimsRequest(inb)) return;
      this.uas.onAck(inb);
    } catch (err) {
      this.ctx.log.error({ err }, 'sip message handling failed');
    }
  }

  onServerTerminated(st: ServerTransaction): void {
    this.uas.onServerTerminated(st);
  }

  /** Responses the transaction layer matched to nothing. */
  onStray(inb: Inbound): void {
    try {
      if (this.proxy.claimsResponse(inb)) return;
      this.uac.onStrayResponse(inb);
    } catch (err) {
      this.ctx.log.error({ err }, 'sip message handling failed');
    }
  }

  appSip(conn: ControlConnection, m: { id: string; txnId: string; dialogId: string; routeUri: string; raw: string }): void {
    let msg: SipMsg;
    try {
      msg = SipMsg.parse(m.raw);
    } catch (err) {
      this.stats.badAppMessages++;
      conn.fail(m.id, `invalid SIP message: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!msg.isRequest) {
      if (!m.txnId) return conn.fail(m.id, 'transaction id missing');
      if (this.proxy.ownsTxn(m.txnId)) return conn.fail(m.id, 'transaction is being proxied');
      this.uas.appResponse(conn, m.id, m.txnId, msg);
      return;
    }
    void this.uac.appRequest(conn, m.id, m.txnId, m.dialogId, m.routeUri, msg);
  }

  appProxy(conn: ControlConnection, m: { id: string; proxy: ProxyArgs; raw: string }): void {
    this.proxy.start(conn, m.id, m.proxy, m.raw);
  }

  /** Stops every timer (the edge is shutting down; nothing more goes out). */
  close(): void {
    for (const t of [...this.ctx.serverById.values()]) t.timers.clear();
    this.ctx.serverById.clear();
    this.ctx.serverBySt.clear();
    this.ctx.pendingRequests = 0;
    for (const c of this.ctx.clientById.values()) c.timers.clear();
    this.ctx.clientById.clear();
    for (const d of this.ctx.dialogs.values()) d.clearTimers();
    this.ctx.dialogs.clear();
    this.ctx.dialogByKey.clear();
    this.ctx.earlyUac.clear();
    this.proxy.close();
  }

  connectionClosed(conn: ControlConnection): void {
    // Dialogs outlive their app (in-dialog requests then get 481); pending requests the app
    // never answered are forgotten, as drachtio does.
    for (const t of [...this.ctx.serverById.values()]) {
      if (t.conn === conn && t.finalStatus === 0 && !t.dialog) this.uas.forget(t);
    }
  }
}
