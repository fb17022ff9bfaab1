// Client transactions (RFC 3261 §17.1 with RFC 6026): the INVITE machine (Calling,
// Proceeding, Completed, Accepted) and the non-INVITE one (Trying, Proceeding, Completed),
// retransmissions over UDP only, the ACK for non-2xx finals, held CANCELs and failover
// across resolved targets (RFC 3263 §4.3).
import { Params, Via, serializeMessage, type SipRequest, type SipResponse } from '../message/index.js';
import { viaTransport } from '../transport/index.js';
import { buildNon2xxAck } from './builders.js';
import type { TimerTarget } from './clock.js';
import type { TxnContext } from './context.js';
import { clientKey, newBranch } from './keys.js';
import { Timer } from './timers.js';
import type { ClientTransactionHandler, Target } from './types.js';

export type ClientState = 'held' | 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export class ClientTransaction implements TimerTarget {
  readonly isInvite: boolean;
  readonly method: string;
  /** The request as sent (with our Via on top). */
  readonly request: SipRequest;
  state: ClientState;
  branch = '';
  key = '';
  /** The target in use (changes on failover). */
  target: Target;
  lastResponse: SipResponse | undefined;
  /** For a CANCEL: the INVITE transaction it cancels. */
  readonly cancels: ClientTransaction | undefined;
  private readonly targets: Target[];
  private targetIndex = 0;
  private bytes: Buffer | undefined;
  private ackBytes: Buffer | undefined;
  private interval = 0;
  private retx: unknown;
  private timeout: unknown;
  private cancelWait: unknown;
  private timerC: unknown;
  private readonly useTimerC: boolean;
  private heldCancel: ClientTransaction | undefined;
  private readonly keepVia: boolean;
  private readonly onSendError = (err: Error): void => this.transportError(err);

  constructor(
    private readonly ctx: TxnContext,
    request: SipRequest,
    targets: Target[],
    readonly handler: ClientTransactionHandler,
    opts: { keepVia?: boolean; cancels?: ClientTransaction; timerC?: boolean } = {},
  ) {
    if (targets.length === 0) throw new RangeError('a client transaction needs at least one target');
    this.request = request;
    this.method = request.method;
    this.isInvite = request.method === 'INVITE';
    this.targets = [...targets];
    this.target = targets[0];
    this.keepVia = opts.keepVia === true;
    this.cancels = opts.cancels;
    this.useTimerC = opts.timerC === true && this.isInvite;
    this.state = this.isInvite ? 'calling' : 'trying';
  }

  /** The request as last sent, serialised (undefined until it is). */
  get wire(): Buffer | undefined {
    return this.bytes;
  }

  get reliable(): boolean {
    return this.target.protocol !== 'udp';
  }

  /** Sends the request and starts the timers. */
  start(): void {
    if (!this.prepare()) return;
    this.transmit();
  }

  /** Puts the transaction on hold (a CANCEL waiting for a provisional to its INVITE). */
  hold(): void {
    this.state = 'held';
  }

  /** Releases a held CANCEL. */
  release(): void {
    if (this.state !== 'held') return;
    this.state = 'trying';
    this.start();
  }

  /** Attaches a CANCEL to send once this INVITE gets a provisional. */
  holdCancel(c: ClientTransaction): void {
    this.heldCancel = c;
    c.hold();
  }

  /** Called by the CANCEL when it goes out: RFC 3261 §9.1, give up on the INVITE after 64·T1. */
  cancelSent(): void {
    if (this.cancelWait === undefined) this.cancelWait = this.ctx.clock.set(this.ctx.timers.t1x64, this, Timer.CancelWait);
  }

  /** Adds our Via with a new branch (or adopts the request's for CANCEL) and registers the key. */
  private prepare(): boolean {
    if (this.keepVia) {
      this.branch = this.request.topVia?.branch ?? '';
    } else {
      const l = this.ctx.transport.listenerFor(this.target.protocol, this.target.address);
      if (l === undefined) {
        queueMicrotask(() => this.transportError(new Error(`no ${this.target.protocol} listener`)));
        return false;
      }
      this.branch = newBranch();
      const params = new Params([{ name: 'branch', value: this.branch }, { name: 'rport', value: null }]);
      this.request.prepend('Via', new Via(viaTransport(this.target.protocol), l.host, l.hostPort, params).toString());
    }
    this.bytes = serializeMessage(this.request);
    if (this.tooBigForUdp()) {
      // RFC 3261 §18.1.1: too big for UDP, use TCP to the same place; UDP stays as the next try
      this.ctx.stats.udpToTcp++;
      const udp = this.target;
      this.target = { ...udp, protocol: 'tcp' };
      this.targets.splice(this.targetIndex, 1, this.target, udp);
      this.request.shift('via');
      return this.prepare();
    }
    this.key = clientKey(this.branch, this.method);
    this.ctx.registerClient(this);
    return true;
  }

  private tooBigForUdp(): boolean {
    const max = this.ctx.udpMaxBytes;
    return (
      max !== undefined && !this.keepVia && this.target.protocol === 'udp' && this.bytes!.length > max &&
      !this.triedUdpFallback() && this.ctx.transport.listenerFor('tcp', this.target.address) !== undefined
    );
  }

  /** True when this UDP target is the fallback after a TCP attempt to the same place. */
  private triedUdpFallback(): boolean {
    const prev = this.targets[this.targetIndex - 1];
    return prev !== undefined && prev.protocol === 'tcp' && prev.address === this.target.address && prev.port === this.target.port;
  }

  private transmit(): void {
    const t = this.ctx.timers;
    this.send();
    if (this.cancels !== undefined) this.cancels.cancelSent();
    if (!this.reliable) {
      this.interval = t.t1;
      this.retx = this.ctx.clock.set(t.t1, this, this.isInvite ? Timer.A : Timer.E);
    }
    this.timeout = this.ctx.clock.set(t.t1x64, this, this.isInvite ? Timer.B : Timer.F);
    if (this.useTimerC) this.restartTimerC();
  }

  private restartTimerC(): void {
    if (this.timerC !== undefined) this.ctx.clock.clear(this.timerC);
    this.timerC = this.ctx.clock.set(this.ctx.timers.timerC, this, Timer.C);
  }

  private stopTimerC(): void {
    if (this.timerC !== undefined) this.ctx.clock.clear(this.timerC);
    this.timerC = undefined;
  }

  private send(): void {
    this.ctx.transport.send(this.bytes!, this.target, this.onSendError, { servername: this.target.servername });
  }

  /** A response whose branch and method match this transaction. */
  receiveResponse(res: SipResponse): void {
    const s = res.status;
    switch (this.state) {
      case 'calling':
      case 'trying':
      case 'proceeding':
        if (s < 200) {
          if (this.isInvite) this.clearTimers();
          if (this.useTimerC) this.restartTimerC(); // every provisional resets Timer C (§16.7)
          this.state = 'proceeding';
          this.lastResponse = res;
          const c = this.heldCancel;
          this.heldCancel = undefined;
          c?.release();
          this.handler.onResponse(res, this);
          return;
        }
        this.lastResponse = res;
        this.clearTimers();
        this.stopTimerC();
        this.request.compact(); // held now only for the ACK and matching: drop the parsed views
        if (this.isInvite && s < 300) {
          // RFC 6026 Accepted: stay 64·T1 so further 2xx (retransmits, forks) reach the TU
          this.state = 'accepted';
          this.timeout = this.ctx.clock.set(this.ctx.timers.t1x64, this, Timer.M);
          this.dropHeldCancel();
          this.handler.onResponse(res, this);
          return;
        }
        this.state = 'completed';
        if (this.isInvite) {
          this.ackBytes = serializeMessage(buildNon2xxAck(this.request, res));
          this.sendAck();
          this.dropHeldCancel();
        }
        // arm D/K before the TU runs, so a throwing TU cannot leave the transaction behind
        if (!this.reliable) this.timeout = this.ctx.clock.set(this.isInvite ? this.ctx.timers.timerD : this.ctx.timers.t4, this, this.isInvite ? Timer.D : Timer.K);
        try {
          this.handler.onResponse(res, this);
        } finally {
          if (this.reliable) this.terminate();
        }
        return;
      case 'completed':
        if (this.isInvite && s >= 300) {
          this.ctx.stats.retransmissionsAbsorbed++;
          this.sendAck();
        }
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.handler.onResponse(res, this);
        return;
      default:
        return;
    }
  }

  onTimer(kind: number): void {
    try {
      this.timerFired(kind);
    } catch (e) {
      this.ctx.tuError(e); // a TU callback threw inside a timer: contain it
    }
  }

  private timerFired(kind: number): void {
    const t = this.ctx.timers;
    switch (kind) {
      case Timer.A:
        if (this.state !== 'calling') return;
        this.ctx.stats.retransmissionsSent++;
        this.send();
        this.interval *= 2;
        this.retx = this.ctx.clock.set(this.interval, this, Timer.A);
        return;
      case Timer.E:
        if (this.state !== 'trying' && this.state !== 'proceeding') return;
        this.ctx.stats.retransmissionsSent++;
        this.send();
        this.interval = this.state === 'proceeding' ? t.t2 : Math.min(2 * this.interval, t.t2);
        this.retx = this.ctx.clock.set(this.interval, this, Timer.E);
        return;
      case Timer.B:
        if (this.state === 'calling') this.timedOut();
        return;
      case Timer.F:
        if (this.state === 'trying' || this.state === 'proceeding') this.timedOut();
        return;
      case Timer.C:
        this.timerC = undefined;
        if (this.state !== 'calling' && this.state !== 'proceeding') return;
        this.ctx.stats.timeouts++;
        if (this.handler.onTimerC !== undefined) this.handler.onTimerC(this);
        else if (this.lastResponse === undefined) {
          try {
            this.handler.onTimeout(this);
          } finally {
            this.terminate();
          }
        } else this.handler.onTimeout(this);
        return;
      case Timer.CancelWait:
        this.cancelWait = undefined;
        if (this.state === 'proceeding' || this.state === 'calling') this.timedOut();
        return;
      case Timer.D:
      case Timer.K:
      case Timer.M:
        this.terminate();
        return;
    }
  }

  /** Ends the transaction now (e.g. the TU gives up); no callback but onTerminated. */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearTimers();
    if (this.cancelWait !== undefined) this.ctx.clock.clear(this.cancelWait);
    this.cancelWait = undefined;
    this.stopTimerC();
    if (this.key !== '') this.ctx.unregisterClient(this);
    this.dropHeldCancel();
    this.handler.onTerminated?.(this);
  }

  private sendAck(): void {
    if (this.ackBytes !== undefined) this.ctx.transport.send(this.ackBytes, this.target, undefined, { servername: this.target.servername });
  }

  private dropHeldCancel(): void {
    const c = this.heldCancel;
    this.heldCancel = undefined;
    c?.terminate();
  }

  private clearTimers(): void {
    if (this.retx !== undefined) this.ctx.clock.clear(this.retx);
    if (this.timeout !== undefined) this.ctx.clock.clear(this.timeout);
    this.retx = undefined;
    this.timeout = undefined;
  }

  private timedOut(): void {
    this.ctx.stats.timeouts++;
    if (this.failover()) return;
    try {
      this.handler.onTimeout(this);
    } finally {
      this.terminate();
    }
  }

  private transportError(err: Error): void {
    if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') return;
    this.ctx.stats.transportErrors++;
    if (this.failover()) return;
    try {
      this.handler.onTransportError(this, err);
    } finally {
      this.terminate();
    }
  }

  /** RFC 3263 §4.3: before any response, move to the next target with a new branch. */
  private failover(): boolean {
    if (this.keepVia || this.lastResponse !== undefined || this.targetIndex + 1 >= this.targets.length) return false;
    this.ctx.stats.failovers++;
    this.clearTimers();
    this.ctx.unregisterClient(this);
    this.request.shift('via');
    this.target = this.targets[++this.targetIndex];
    this.state = this.isInvite ? 'calling' : 'trying';
    if (this.prepare()) this.transmit();
    return true;
  }
}
