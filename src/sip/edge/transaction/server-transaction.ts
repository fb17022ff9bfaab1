// Server transactions (RFC 3261 §17.2 with RFC 6026): the INVITE machine (Proceeding,
// Completed, Confirmed, Accepted) and the non-INVITE one (Trying, Proceeding, Completed).
// Request retransmissions are absorbed here; final non-2xx responses are retransmitted
// over UDP until the ACK (Timer G/H).
import { serializeMessage, type SipRequest, type SipResponse } from '../message/index.js';
import type { InboundMessage } from '../transport/index.js';
import { buildResponse } from './builders.js';
import type { TimerTarget } from './clock.js';
import type { TxnContext } from './context.js';
import { Timer } from './timers.js';

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export class ServerTransaction implements TimerTarget {
  readonly request: SipRequest;
  readonly inbound: InboundMessage;
  readonly isInvite: boolean;
  readonly method: string;
  readonly key: string;
  state: ServerState;
  lastResponse: SipResponse | undefined;
  /** `lastResponse` as sent on the wire (retransmitted as is; the TU echoes it). */
  lastWire: Buffer | undefined;
  /** Set when a CANCEL matched this INVITE transaction. */
  cancelled = false;
  /** Merged-request key, when the request had no To tag. */
  mergeKey: string | undefined;
  private interval = 0;
  private retx: unknown;
  private timeout: unknown;
  private readonly onSendError = (err: Error): void => this.transportError(err);

  constructor(
    private readonly ctx: TxnContext,
    inbound: InboundMessage,
    key: string,
  ) {
    this.inbound = inbound;
    this.request = inbound.message as SipRequest;
    this.method = this.request.method;
    this.isInvite = this.method === 'INVITE';
    this.key = key;
    this.state = this.isInvite ? 'proceeding' : 'trying';
  }

  get reliable(): boolean {
    return this.inbound.source.protocol !== 'udp';
  }

  /** Sends 100 Trying now (INVITE, before any other response). */
  sendTrying(): void {
    if (this.lastResponse === undefined && this.state === 'proceeding') this.respond(buildResponse(this.request, 100));
  }

  /** Sends 100 Trying after `ms` unless the TU has answered by then (RFC 3261 §17.2.1: 200 ms). */
  scheduleTrying(ms: number): void {
    this.retx = this.ctx.clock.set(ms, this, Timer.Trying);
  }

  /**
   * Sends a response through the transaction. Returns false (and sends nothing) when the state
   * does not allow it: after a final response, except further 2xx to an INVITE in Accepted.
   */
  respond(res: SipResponse): boolean {
    const s = res.status;
    if (s < 100 || s > 699) throw new RangeError(`bad status ${s}`);
    const t = this.ctx.timers;
    if (this.isInvite) {
      if (this.state === 'accepted') {
        if (s < 200 || s >= 300) return false;
        this.send(res);
        return true;
      }
      if (this.state !== 'proceeding') return false;
      if (this.retx !== undefined) this.clearTimers(); // a pending delayed 100
      this.send(res);
      if (s < 200) return true;
      if (s < 300) {
        this.state = 'accepted';
        this.timeout = this.ctx.clock.set(t.t1x64, this, Timer.L);
        return true;
      }
      this.state = 'completed';
      if (!this.reliable) {
        this.interval = t.t1;
        this.retx = this.ctx.clock.set(t.t1, this, Timer.G);
      }
      this.timeout = this.ctx.clock.set(t.t1x64, this, Timer.H);
      return true;
    }
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    this.send(res);
    if (s < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    if (this.reliable) this.terminate();
    else this.timeout = this.ctx.clock.set(t.t1x64, this, Timer.J);
    return true;
  }

  /** The same request arrived again: absorb it, re-sending the last response where the RFC says so. */
  receiveRetransmission(): void {
    this.ctx.stats.retransmissionsAbsorbed++;
    switch (this.state) {
      case 'proceeding':
      case 'completed':
        this.transmit();
        return;
      default:
        return; // trying: nothing sent yet; confirmed/accepted/terminated: absorb
    }
  }

  /** An ACK for this INVITE. 'absorbed' for a non-2xx ACK, 'tu' when the TU must see it (2xx). */
  receiveAck(): 'absorbed' | 'tu' {
    if (this.state === 'completed') {
      this.clearTimers();
      this.state = 'confirmed';
      if (this.reliable) this.terminate();
      else this.timeout = this.ctx.clock.set(this.ctx.timers.t4, this, Timer.I);
      return 'absorbed';
    }
    if (this.state === 'confirmed') {
      this.ctx.stats.retransmissionsAbsorbed++;
      return 'absorbed';
    }
    return 'tu';
  }

  onTimer(kind: number): void {
    try {
      this.timerFired(kind);
    } catch (e) {
      this.ctx.tuError(e); // a TU callback threw inside a timer: contain it
    }
  }

  private timerFired(kind: number): void {
    switch (kind) {
      case Timer.Trying:
        this.retx = undefined;
        this.sendTrying();
        return;
      case Timer.G:
        if (this.state !== 'completed' || this.lastResponse === undefined) return;
        this.ctx.stats.retransmissionsSent++;
        this.transmit();
        this.interval = Math.min(2 * this.interval, this.ctx.timers.t2);
        this.retx = this.ctx.clock.set(this.interval, this, Timer.G);
        return;
      case Timer.H:
        if (this.state !== 'completed') return;
        this.ctx.stats.timeouts++;
        this.terminate();
        this.ctx.tu.onServerTransactionError?.(this, 'timeout');
        return;
      case Timer.I:
      case Timer.J:
      case Timer.L:
        this.terminate();
        return;
    }
  }

  /** Ends the transaction now. */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearTimers();
    this.ctx.unregisterServer(this);
  }

  private send(res: SipResponse): void {
    this.lastResponse = res;
    this.lastWire = serializeMessage(res);
    this.transmit();
    if (res.status >= 200) {
      // from here on the transaction only absorbs and retransmits: keep the text, not the views
      res.compact();
      this.request.compact();
    }
  }

  /** (Re)sends the last response, serialised once. */
  private transmit(): void {
    if (this.lastResponse === undefined) return;
    this.ctx.transport.sendResponse(this.lastResponse, this.inbound, this.onSendError, this.lastWire);
  }

  private clearTimers(): void {
    if (this.retx !== undefined) this.ctx.clock.clear(this.retx);
    if (this.timeout !== undefined) this.ctx.clock.clear(this.timeout);
    this.retx = undefined;
    this.timeout = undefined;
  }

  private transportError(err: Error): void {
    if (this.state === 'terminated') return;
    this.ctx.stats.transportErrors++;
    this.terminate();
    this.ctx.tu.onServerTransactionError?.(this, 'transport-error', err);
  }
}
