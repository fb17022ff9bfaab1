// The transaction layer: matches messages from the transport to transactions, creates server
// transactions for new requests (with merged-request detection, RFC 3261 §8.2.2.2, and CANCEL
// matching, §9.2), and runs client transactions for the TU.
import { Params, Via, serializeMessage, type SipRequest, type SipResponse } from '../message/index.js';
import { viaTransport, type InboundMessage } from '../transport/index.js';
import { buildCancel, buildResponse, newTag } from './builders.js';
import { ClientTransaction } from './client-transaction.js';
import { systemClock, type Clock } from './clock.js';
import type { TransactionStats, TxnContext } from './context.js';
import { clientKeyOfResponse, mergeKey, newBranch, serverKey } from './keys.js';
import { ServerTransaction } from './server-transaction.js';
import { timerConfig, type TimerConfig } from './timers.js';
import type { ClientTransactionHandler, Target, TransactionTransport, TransactionUser } from './types.js';

export interface TransactionLayerOptions {
  transport: TransactionTransport;
  tu: TransactionUser;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  /**
   * 100 Trying for a new INVITE: 'immediate' (drachtio's behaviour, the default), 'delayed'
   * (after 200 ms unless the TU answered, RFC 3261 §17.2.1) or 'none' (the TU sends it).
   */
  trying?: 'immediate' | 'delayed' | 'none';
  /** Answer merged requests (§8.2.2.2) with 482 instead of passing them up. Default true. */
  detectMergedRequests?: boolean;
  /**
   * Send requests larger than this many bytes over TCP instead of UDP (RFC 3261 §18.1.1 says
   * 1300), falling back to UDP if TCP fails. Default: off (many UDP-only peers never listen on TCP).
   */
  udpMaxBytes?: number;
  /** Told about exceptions TU callbacks throw when run from a timer (they are contained). */
  onTuError?: (err: unknown) => void;
}

export class TransactionLayer implements TxnContext {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  readonly transport: TransactionTransport;
  readonly tu: TransactionUser;
  readonly stats: TransactionStats = {
    clientTransactions: 0, serverTransactions: 0, retransmissionsSent: 0, retransmissionsAbsorbed: 0,
    timeouts: 0, transportErrors: 0, failovers: 0, mergedRequests: 0, strayResponses: 0, udpToTcp: 0, tuErrors: 0,
  };
  readonly udpMaxBytes: number | undefined;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly merged = new Map<string, ServerTransaction>();
  private readonly trying: 'immediate' | 'delayed' | 'none';
  private readonly detectMerged: boolean;

  constructor(opts: TransactionLayerOptions) {
    this.transport = opts.transport;
    this.tu = opts.tu;
    this.clock = opts.clock ?? systemClock;
    this.timers = timerConfig(opts.timers);
    this.trying = opts.trying ?? 'immediate';
    this.detectMerged = opts.detectMergedRequests ?? true;
    this.udpMaxBytes = opts.udpMaxBytes;
    this.onTuError = opts.onTuError;
  }

  private readonly onTuError: ((err: unknown) => void) | undefined;

  tuError(err: unknown): void {
    this.stats.tuErrors++;
    this.onTuError?.(err);
  }

  /** Live transactions (for tests and stats). */
  get size(): { client: number; server: number } {
    return { client: this.clients.size, server: this.servers.size };
  }

  /** Merged-request keys held (§8.2.2.2); one per live server transaction at most. */
  get mergeKeys(): number {
    return this.merged.size;
  }

  /** Feeds one message from the transport (wire `transport.on('message', m => layer.receive(m))`). */
  receive(inbound: InboundMessage): void {
    const msg = inbound.message;
    if (msg.isRequest) this.receiveRequest(msg, inbound);
    else this.receiveResponse(msg, inbound);
  }

  /**
   * Starts a client transaction for `req` (not ACK): adds our Via with a new branch, sends to
   * the first target, and fails over down the list on timeout or transport error before any
   * response (RFC 3263 §4.3). `timerC` (proxies, INVITE only) runs Timer C (RFC 3261 §16.6).
   */
  sendRequest(req: SipRequest, targets: Target | Target[], handler: ClientTransactionHandler, opts: { timerC?: boolean } = {}): ClientTransaction {
    if (req.method === 'ACK') throw new RangeError('ACK is not sent in a transaction; use sendAck');
    const txn = new ClientTransaction(this, req, Array.isArray(targets) ? targets : [targets], handler, { timerC: opts.timerC });
    txn.start();
    return txn;
  }

  /**
   * Sends a CANCEL for an INVITE client transaction (RFC 3261 §9.1). Held until the INVITE
   * has a provisional response; dropped (handler.onTerminated only) if the INVITE completes
   * first. `headers` are added to the CANCEL (e.g. Reason).
   */
  sendCancel(invite: ClientTransaction, handler: ClientTransactionHandler, headers: Array<[string, string]> = []): ClientTransaction {
    const req = buildCancel(invite.request);
    for (const [n, v] of headers) req.add(n, v);
    const c = new ClientTransaction(this, req, [invite.target], handler, { keepVia: true, cancels: invite });
    if (invite.state === 'calling') invite.holdCancel(c);
    else if (invite.state === 'proceeding') c.start();
    else queueMicrotask(() => c.terminate());
    return c;
  }

  /**
   * Sends an ACK for a 2xx (or any request outside a transaction): adds our Via with a new
   * branch and sends it once. Returns the branch.
   */
  sendAck(ack: SipRequest, target: Target, onError?: (err: Error) => void): string {
    const l = this.transport.listenerFor(target.protocol, target.address);
    const branch = newBranch();
    if (l === undefined) {
      onError?.(new Error(`no ${target.protocol} listener`));
      return branch;
    }
    const params = new Params([{ name: 'branch', value: branch }, { name: 'rport', value: null }]);
    ack.prepend('Via', new Via(viaTransport(target.protocol), l.host, l.hostPort, params).toString());
    this.transport.send(serializeMessage(ack), target, onError, { servername: target.servername });
    return branch;
  }

  /** Terminates every transaction and stops their timers (on shutdown). */
  close(): void {
    for (const c of [...this.clients.values()]) c.terminate();
    for (const s of [...this.servers.values()]) s.terminate();
  }

  // --- TxnContext --------------------------------------------------------------------

  registerClient(txn: ClientTransaction): void {
    this.clients.set(txn.key, txn);
    this.stats.clientTransactions = this.clients.size;
  }

  unregisterClient(txn: ClientTransaction): void {
    if (this.clients.get(txn.key) === txn) this.clients.delete(txn.key);
    this.stats.clientTransactions = this.clients.size;
  }

  unregisterServer(txn: ServerTransaction): void {
    if (this.servers.get(txn.key) === txn) this.servers.delete(txn.key);
    if (txn.mergeKey !== undefined && this.merged.get(txn.mergeKey) === txn) this.merged.delete(txn.mergeKey);
    this.stats.serverTransactions = this.servers.size;
    this.tu.onServerTerminated?.(txn);
  }

  // --- internals ---------------------------------------------------------------------

  private receiveRequest(req: SipRequest, inbound: InboundMessage): void {
    const key = serverKey(req);
    if (key === undefined) return;
    if (req.method === 'ACK') {
      const invite = this.servers.get(key);
      if (invite !== undefined && invite.receiveAck() === 'absorbed') return;
      this.tu.onAck(req, inbound, invite);
      return;
    }
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      existing.receiveRetransmission();
      return;
    }
    const txn = new ServerTransaction(this, inbound, key);
    this.servers.set(key, txn);
    this.stats.serverTransactions = this.servers.size;
    if (req.to.tag === undefined && req.method !== 'CANCEL') {
      const mk = mergeKey(req);
      const other = this.merged.get(mk);
      if (this.detectMerged && other !== undefined && other.state !== 'terminated') {
        // same From tag, Call-ID and CSeq as a live transaction, different branch: a fork that looped back
        this.stats.mergedRequests++;
        txn.respond(buildResponse(req, 482, undefined, newTag()));
        return;
      }
      txn.mergeKey = mk;
      this.merged.set(mk, txn);
    }
    let invite: ServerTransaction | undefined;
    if (req.method === 'CANCEL') {
      const ik = serverKey(req, 'INVITE');
      invite = ik === undefined ? undefined : this.servers.get(ik);
      if (invite !== undefined) invite.cancelled = true;
    } else if (req.method === 'INVITE') {
      if (this.trying === 'immediate') txn.sendTrying();
      else if (this.trying === 'delayed') txn.scheduleTrying(200);
    }
    this.tu.onRequest(txn, invite);
  }

  private receiveResponse(res: SipResponse, inbound: InboundMessage): void {
    const key = clientKeyOfResponse(res);
    const txn = key === undefined ? undefined : this.clients.get(key);
    if (txn !== undefined) {
      txn.receiveResponse(res);
      return;
    }
    this.stats.strayResponses++;
    this.tu.onStrayResponse(res, inbound);
  }
}
