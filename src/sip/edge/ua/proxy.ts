// The stateful proxy behind `proxy|…` (srf.proxyRequest) and loose routing of in-dialog
// requests that carry our Route header. Serial or simultaneous forking, Record-Route when
// the app wants to stay in the dialog, CANCEL fan-out, best-response selection, 483 on
// Max-Forwards 0, and every final response reported to the app (`continue`, then `done`).

import type { ControlConnection } from '../control/control-server.js';
import { buildResponse, proxyResponse, type ProxyArgs } from '../control/messages.js';
import { serializeMessage } from '../message/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { ClientTxn, ServerTxn, UaContext } from './context.js';
import { newBranch } from './header-policy.js';
import { toWireResponse, type Inbound, type Listener, type Peer } from './net-adapter.js';
import { SipMsg, addrUri, parseUri, parseVia } from './sip-msg.js';
import type { TimerSet } from './timer-set.js';
import type { Uas } from './uas.js';

/** Branch prefix of requests we forward statelessly (loose routing). */
const STATELESS = 'z9hG4bKspx';

interface ProxyJob {
  conn: ControlConnection;
  msgId: string;
  args: ProxyArgs;
  txn: ServerTxn;
  pending: string[];
  branches: ClientTxn[];
  best: SipMsg | undefined;
  done: boolean;
  timers: TimerSet;
  /** The branch whose 2xx won (its retransmissions are relayed too). */
  winner: ClientTxn | undefined;
  redirects: number;
}

const MAX_REDIRECTS = 5;

export class Proxy {
  private readonly jobs = new Map<string, ProxyJob>();
  /** Call-ID → the target that challenged it (401/407), for the re-sent request with credentials. */
  private readonly pins = new Map<string, { uri: string; timer: unknown }>();
  private readonly pinTimers: TimerSet;

  constructor(private readonly ua: UaContext, private readonly uas: Uas) {
    this.pinTimers = ua.timerSet();
  }

  /** Remembers which target challenged a call, for 32 s (64×T1), so the retry goes there. */
  private pin(callId: string, uri: string): void {
    const old = this.pins.get(callId);
    if (old) this.pinTimers.cancel(old.timer);
    const timer = this.pinTimers.after(64 * this.ua.timers.t1, () => this.pins.delete(callId));
    this.pins.set(callId, { uri, timer });
  }

  close(): void {
    this.pinTimers.clear();
    this.pins.clear();
    for (const j of this.jobs.values()) j.timers.clear();
    this.jobs.clear();
  }

  /** Live state (for stats and tests). */
  get size(): { jobs: number; pins: number } {
    return { jobs: this.jobs.size, pins: this.pins.size };
  }

  ownsTxn(txnId: string): boolean {
    return this.jobs.has(txnId);
  }

  start(conn: ControlConnection, msgId: string, args: ProxyArgs, raw: string): void {
    const txn = this.ua.serverById.get(args.txnId);
    if (!txn || txn.finalStatus !== 0) return conn.fail(msgId, 'transaction not found');
    if (args.destinations.length === 0) return conn.fail(msgId, 'no destination');
    const mf = Number(txn.req.get('max-forwards') ?? '70');
    if (mf <= 0) {
      this.respondUpstream(txn, this.uas.stateless(txn.req, 483, 'prx'));
      return conn.fail(msgId, 'Too Many Hops');
    }
    void raw;
    const pin = this.pins.get(txn.req.callId);
    const credentials = txn.req.has('authorization') || txn.req.has('proxy-authorization');
    const destinations = pin && credentials ? [pin.uri] : [...args.destinations];
    const job: ProxyJob = {
      conn, msgId, args, txn, pending: destinations, branches: [], best: undefined, done: false, timers: this.ua.timerSet(), winner: undefined, redirects: 0,
    };
    this.jobs.set(txn.id, job);
    txn.timers.clear(); // the job answers it: no pending-request timeout
    if (args.simultaneous) while (job.pending.length > 0) void this.fork(job, job.pending.shift() as string);
    else void this.fork(job, job.pending.shift() as string);
    if (args.finalTimeoutMs > 0) job.timers.after(args.finalTimeoutMs, () => this.cancelAll(job));
  }

  private async fork(job: ProxyJob, dest: string): Promise<void> {
    const req = job.txn.req.clone();
    req.uri = dest;
    req.set('Max-Forwards', String(Number(req.get('max-forwards') ?? '70') - 1));
    this.stripOwnRoute(req);
    let peer: Peer;
    try {
      peer = await this.ua.resolveUri(req.get('route') ? addrUri(req.getValues('route')[0]) : dest);
    } catch (err) {
      this.ua.log.warn({ err, dest }, 'proxy destination unresolvable');
      return this.onBranchFinal(job, this.uas.stateless(job.txn.req, 503), undefined);
    }
    const local = this.ua.net.pickListener(peer.proto, peer.address) as Listener;
    if (job.args.remainInDialog) {
      const rrName = req.method === 'REGISTER' ? 'Path' : 'Record-Route';
      req.prepend(rrName, `<sip:${this.ua.hostport(local)};lr${local.proto === 'udp' ? '' : `;transport=${local.proto}`}>`);
    }
    req.prepend('Via', this.ua.viaHeader(local, newBranch()));
    const ct = this.uas.uac.send(req, peer, local, undefined, undefined, '', true);
    ct.onResponse = (res, rawRes, from) => this.onBranchResponse(job, ct, res, rawRes, from);
    job.branches.push(ct);
    if (job.args.provisionalTimeoutMs > 0) {
      job.timers.after(job.args.provisionalTimeoutMs, () => {
        if (!ct.provisional && ct.finalStatus === 0) this.cancelBranch(ct);
      });
    }
  }

  private stripOwnRoute(req: SipMsg): void {
    const routes = req.getValues('route');
    if (routes.length === 0) return;
    const u = parseUri(addrUri(routes[0]));
    if (u && this.isUs(u.host, u.port)) {
      req.remove('route');
      for (const r of routes.slice(1)) req.add('Route', r);
    }
  }

  private isUs(host: string, port: number | undefined): boolean {
    return this.ua.net.listeners().some((l) => (l.host === host || l.external === host) && l.port === (port ?? 5060));
  }

  private onBranchResponse(job: ProxyJob, ct: ClientTxn, res: SipMsg, raw: string, from: Peer): void {
    if (res.status < 200) {
      if (res.status > 100 && !job.done) this.relay(job.txn, res, false);
      return;
    }
    if (job.done && res.status < 300 && job.winner === ct) {
      // 2xx retransmission from the winning branch: upstream may have lost the first one.
      this.relay(job.txn, res, true);
      return;
    }
    if (res.status >= 300 && res.status < 400 && job.args.followRedirects && !job.done) {
      // Follow the redirect: its Contacts become the next destinations, tried in order.
      const contacts = res.getValues('contact').map((c) => addrUri(c)).filter((u) => /^sips?:/i.test(u));
      if (contacts.length > 0 && job.redirects < MAX_REDIRECTS) {
        job.redirects++;
        job.pending.unshift(...contacts);
        job.conn.send(proxyResponse(job.msgId, this.ua.meta('network', Buffer.byteLength(raw), from), raw));
        void this.fork(job, job.pending.shift() as string);
        return;
      }
    }
    job.conn.send(proxyResponse(job.msgId, this.ua.meta('network', Buffer.byteLength(raw), from), raw));
    this.onBranchFinal(job, res, ct);
  }

  private onBranchFinal(job: ProxyJob, res: SipMsg, ct: ClientTxn | undefined): void {
    if (job.done) return;
    void ct;
    if (res.status < 300) {
      job.winner = ct;
      this.finishJob(job, res);
      for (const b of job.branches) if (b.finalStatus === 0) this.cancelBranch(b);
      return;
    }
    if (!job.best || rank(res.status) < rank(job.best.status)) job.best = res;
    if ((res.status === 401 || res.status === 407) && ct) this.pin(job.txn.req.callId, ct.req.uri);
    if (!job.args.simultaneous && job.pending.length > 0 && res.status !== 487 && !job.txn.canceled) {
      void this.fork(job, job.pending.shift() as string);
      return;
    }
    if (job.branches.every((b) => b.finalStatus !== 0) && job.pending.length === 0) this.finishJob(job, job.best);
  }

  private finishJob(job: ProxyJob, res: SipMsg | undefined): void {
    job.done = true;
    job.timers.clear();
    if (res) this.relay(job.txn, res, true);
    job.conn.send(buildResponse(job.msgId, ['OK', 'done']));
    job.timers.after(64 * this.ua.timers.t1, () => this.jobs.delete(job.txn.id));
  }

  /** Sends a downstream response upstream: our Via removed. */
  private relay(txn: ServerTxn, res: SipMsg, final: boolean): void {
    if (final && txn.finalStatus >= 200 && res.status >= 300) return;
    const up = res.clone();
    const vias = up.getValues('via').slice(1);
    up.remove('via');
    for (const v of vias.reverse()) up.prepend('Via', v);
    this.respondUpstream(txn, up, final);
  }

  /** Through the upstream server transaction (Timer G for non-2xx); 2xx retransmissions after it ended go direct. */
  private respondUpstream(txn: ServerTxn, res: SipMsg, final = true): void {
    const wire = toWireResponse(res);
    if (!txn.st.respond(wire)) {
      if (res.status >= 200 && res.status < 300) this.ua.net.send(serializeMessage(wire), txn.peer, txn.local);
      return;
    }
    if (final) {
      txn.finalStatus = res.status;
      this.uas.answered(txn);
    }
  }

  private cancelBranch(ct: ClientTxn): void {
    if (ct.finalStatus !== 0) return;
    this.uas.uac.cancelInternal(ct);
  }

  private cancelAll(job: ProxyJob): void {
    job.pending.length = 0;
    for (const b of job.branches) this.cancelBranch(b);
  }

  /**
   * A CANCEL the transaction layer matched to `inv`, a proxied INVITE: 200 to it, CANCEL fanned
   * out downstream (the 487 comes back from there). False when `inv` is not being proxied.
   */
  cancel(inv: ServerTxn, cancelSt: ServerTransaction): boolean {
    const job = this.jobs.get(inv.id);
    if (job === undefined || job.done) return false;
    this.uas.respond(cancelSt, 200, 'prx');
    inv.canceled = true;
    this.cancelAll(job);
    return true;
  }

  /**
   * Loose routing: a request whose top Route is us is forwarded statelessly. `st` is its server
   * transaction (none for ACK), used for a 483/503 of ours and ended once the request is sent on.
   */
  claimsRequest(inb: Inbound, st?: ServerTransaction): boolean {
    const routes = inb.msg.getValues('route');
    if (routes.length === 0) return false;
    const u = parseUri(addrUri(routes[0]));
    if (!u || !this.isUs(u.host, u.port)) return false;
    void this.forwardStateless(inb, st).finally(() => {
      if (st !== undefined && st.lastResponse === undefined) st.terminate();
    });
    return true;
  }

  private async forwardStateless(inb: Inbound, st: ServerTransaction | undefined): Promise<void> {
    const req = inb.msg.clone();
    this.stripOwnRoute(req);
    const mf = Number(req.get('max-forwards') ?? '70');
    if (mf <= 0) {
      if (st !== undefined) this.uas.respond(st, 483);
      return;
    }
    req.set('Max-Forwards', String(mf - 1));
    const next = req.get('route') ? addrUri(req.getValues('route')[0]) : req.uri;
    let peer: Peer;
    try {
      peer = await this.ua.resolveUri(next);
    } catch {
      if (st !== undefined) this.uas.respond(st, 503);
      return;
    }
    const local = this.ua.net.pickListener(peer.proto, peer.address) as Listener;
    // Received/rport on the upstream Via, so the response finds its way back.
    const vias = req.getValues('via');
    vias[0] = `${vias[0]};received=${inb.peer.address}`.replace(/;rport(?=;|$)/, `;rport=${inb.peer.port}`);
    req.remove('via');
    for (const v of vias.reverse()) req.prepend('Via', v);
    req.prepend('Via', this.ua.viaHeader(local, `${STATELESS}${newBranch().slice(7)}`));
    this.ua.net.send(req.toString(), peer, local);
  }

  /** Responses to statelessly forwarded requests: pop our Via and send to the next one. */
  claimsResponse(inb: Inbound): boolean {
    const vias = inb.msg.getValues('via');
    const top = parseVia(vias[0] ?? '');
    if (!top?.branch.startsWith(STATELESS) || vias.length < 2) return false;
    const next = parseVia(vias[1]);
    if (!next) return true;
    const res = inb.msg.clone();
    res.remove('via');
    for (const v of vias.slice(1).reverse()) res.prepend('Via', v);
    const rport = next.params.get('rport');
    const to: Peer = {
      proto: next.proto === 'TCP' ? 'tcp' : next.proto === 'TLS' ? 'tls' : 'udp',
      address: next.params.get('received') ?? next.host,
      port: rport ? Number(rport) : (next.port ?? 5060),
    };
    this.ua.net.send(res.toString(), to, this.ua.net.pickListener(to.proto));
    return true;
  }
}

/** Best-response order of RFC 3261 §16.7: 6xx, then challenges, then the lowest class. */
function rank(status: number): number {
  if (status >= 600) return 0;
  if (status === 401 || status === 407) return 1;
  if (status >= 400 && status !== 408 && status !== 503) return 2;
  if (status >= 300 && status < 400) return 3;
  return 4;
}
