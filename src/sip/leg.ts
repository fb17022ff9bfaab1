// A SIP leg on drachtio-srf: the call core's Leg for one side of a B2BUA call.
// Inbound legs wrap an INVITE the gateway received (UAS: 18x, 200 through createUAS, final
// failures with a Reason header, CANCEL from the caller). Outbound legs place an INVITE on a
// trunk (UAC: the trunk's next hops in order, failing over on timeout/transport error/503,
// digest auth, CANCEL when hung up before answer). Once answered both kinds share the dialog
// handling in SipDialogBinding (BYE, re-INVITE/UPDATE, INFO, REFER).

import { randomUUID } from 'node:crypto';
import {
  LegBase, type Leg, type LegDirection, type MediaDescription, type OriginateRequest, type ProgressInfo,
} from '../call/leg.js';
import { causeFromSipFailure, formatReasonQ850, q850ToSip, Cause } from '../call/causes.js';
import type { RouteTarget } from '../call/router.js';
import { ClosedError, SignalingError } from '../errors.js';
import type { NumberingPlan } from '../routing/numbers.js';
import { hasOptionTag, outboundAddressing, uriUser } from './addressing.js';
import { checkSrtpAnswer } from './offer-check.js';
import { SipDialogBinding, type DialogHost } from './dialog-binding.js';
import type { SipDialogIndex } from './dialog-index.js';
import { lateAnswerFromAck, refusingAnswer } from './late-offer.js';
import { parseMaxForwards } from './loop-check.js';
import {
  isSrfLateAnswer, isSrfSipError, type SrfApi, type SrfDialog, type SrfInviteReq, type SrfLateAnswer, type SrfMessage, type SrfRes, type SrfSentInvite,
} from './srf-api.js';
import type { SipTarget, TrunkDirectory } from './trunk-directory.js';
import type { Transport, TrunkSettings } from './trunk-profiles.js';

export interface SipLegLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** What every SIP leg needs, whichever way it goes. */
export interface SipLegContext {
  srf: SrfApi;
  trunk: string;
  settings: TrunkSettings;
  log: SipLegLogger;
  /** Our host as a Warning agent ("spangate" when nothing better is known). */
  agent?: string;
  /** The port our edge listens on per transport (for a Contact built on contactFqdn). */
  localPorts?: Partial<Record<Transport, number>>;
  /** Every SIP leg's dialog by Call-ID, for Replaces (attended transfer). */
  dialogs?: SipDialogIndex;
}

export interface InboundSipLegOptions extends SipLegContext {
  req: SrfInviteReq;
  res: SrfRes;
}

export interface OutboundSipLegOptions extends SipLegContext {
  directory: Pick<TrunkDirectory, 'targets' | 'credentials' | 'report'>;
  plan: NumberingPlan;
  target: RouteTarget;
  /** Our id in X-Spangate-Via (loop detection). */
  instanceId?: string;
}

type Failure = { status: number; cause: number; detail: string };

/** How long an inbound late-offer leg waits for the ACK to its 200 (64·T1, RFC 3261 §13.3.1.4). */
export const LATE_ACK_WAIT_MS = 32_000;

export class SipLeg extends LegBase implements Leg, DialogHost {
  readonly id: string;
  readonly kind = 'sip' as const;
  readonly direction: LegDirection;
  readonly trunk: string;
  readonly ctx: SipLegContext;
  remoteMedia: MediaDescription | undefined;
  maxForwards: number | undefined;
  #calling: string;
  #called: string;
  readonly #inbound: InboundSipLegOptions | undefined;
  readonly #outbound: OutboundSipLegOptions | undefined;
  #binding: SipDialogBinding | undefined;
  /** The SDP we sent in early media (inbound): the 200 must repeat it when no new one is given. */
  #earlySdp: string | undefined;
  #lastEarly: string | undefined;
  #sent: SrfSentInvite | undefined;
  /** hangup() was called before answer: CANCEL whatever is in flight, drop a late 200. */
  #closing = false;
  /** INFO DTMF sent so far: the next waits for it (digits in order). */
  #infoQueue: Promise<void> = Promise.resolve();
  /** Outbound late offer: the far end's 200 (with its offer) waits for our ACK. */
  #unacked: SrfLateAnswer | undefined;

  private constructor(direction: LegDirection, ctx: SipLegContext, calling: string, called: string, id: string) {
    super();
    this.id = id;
    this.direction = direction;
    this.ctx = ctx;
    this.trunk = ctx.trunk;
    this.#calling = calling;
    this.#called = called;
    if (direction === 'inbound') this.#inbound = ctx as InboundSipLegOptions;
    else this.#outbound = ctx as OutboundSipLegOptions;
    const dialogs = ctx.dialogs;
    if (dialogs) this.once('hangup', () => dialogs.remove(this));
  }

  /** A leg for an INVITE the gateway received and admitted. */
  static inbound(o: InboundSipLegOptions): SipLeg {
    const { req } = o;
    let calling = uriUser(req.get('From'));
    if ((calling === '' || calling.toLowerCase() === 'anonymous') && req.has('P-Asserted-Identity')) {
      calling = uriUser(req.get('P-Asserted-Identity'));
    }
    if (calling.toLowerCase() === 'anonymous') calling = '';
    const called = uriUser(req.uri) || uriUser(req.get('To'));
    const leg = new SipLeg('inbound', o, calling, called, `sip-in-${req.get('Call-ID') ?? randomUUID()}`);
    const callId = req.get('Call-ID');
    if (o.dialogs && callId) o.dialogs.add(leg, callId, { uac: false, ...tagOf(req.get('From'), 'remoteTag') });
    if (req.body && req.body.trim() !== '') leg.remoteMedia = { sdp: req.body };
    const mf = parseMaxForwards(req.get('Max-Forwards'));
    if (typeof mf === 'number') leg.maxForwards = mf;
    leg.setState('proceeding');
    req.on('cancel', (cancel: SrfMessage) => {
      if (leg.state === 'answered') return;
      leg.ctx.log.info({ leg: leg.id }, 'caller cancelled');
      leg.ended({ cause: causeFromSipFailure(487, cancel.get('Reason')), sipStatus: 487, by: 'remote', detail: 'CANCEL' });
    });
    return leg;
  }

  /** A not yet placed leg toward a trunk target (the LegProvider's createLeg). */
  static outbound(o: OutboundSipLegOptions): SipLeg {
    return new SipLeg('outbound', o, o.target.calling, o.target.called, `sip-out-${randomUUID()}`);
  }

  get calling(): string {
    return this.#calling;
  }

  get called(): string {
    return this.#called;
  }

  get dialog(): SrfDialog | undefined {
    return this.#binding?.dialog;
  }

  // --- DialogHost: what the dialog binding calls back into -------------------------------

  remoteEnded(cause: number, detail: string): void {
    this.ended({ cause, by: 'remote', detail });
  }

  isAnswered(): boolean {
    return this.state === 'answered';
  }

  // --- inbound (UAS) ----------------------------------------------------------------------

  async progress(info: ProgressInfo, media?: MediaDescription): Promise<void> {
    const ib = this.#requireInbound('progress');
    if (this.isEnded || this.state === 'answered' || ib.res.finalResponseSent) return;
    const sdp = media?.sdp;
    const status = sdp !== undefined ? 183 : info.sipStatus === 180 || info.sipStatus === 183 ? info.sipStatus : info.ringing ? 180 : 183;
    const headers: Record<string, string> = {};
    // A caller that requires 100rel gets reliable provisionals (the edge adds RSeq and waits for PRACK).
    if (hasOptionTag(ib.req.get('Require'), '100rel')) headers.Require = '100rel';
    this.#contactHeader(headers);
    this.#send(ib.res, status, sdp === undefined ? { headers } : { headers, body: sdp });
    if (sdp !== undefined) {
      this.#earlySdp = sdp;
      this.setState('early');
    }
  }

  async answer(media?: MediaDescription): Promise<void> {
    const ib = this.#requireInbound('answer');
    if (this.isEnded || this.state === 'answered') return;
    const sdp = media?.sdp ?? this.#earlySdp;
    if (sdp === undefined) throw new SignalingError('cannot answer an INVITE offer without an SDP answer', { q850Cause: Cause.RESOURCE_UNAVAILABLE });
    const headers: Record<string, string> = {};
    this.#contactHeader(headers);
    let dialog: SrfDialog;
    try {
      dialog = await this.ctx.srf.createUAS(ib.req, ib.res, { localSdp: sdp, headers });
    } catch (e) {
      if (this.isEnded) return; // CANCEL won the race: the cancel handler ended the leg
      this.ended({ cause: Cause.TEMPORARY_FAILURE, by: 'local', detail: `answer failed: ${(e as Error).message}` });
      throw new SignalingError(`200 OK could not be sent: ${(e as Error).message}`, { q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    }
    this.#bind(dialog, sdp);
    if (this.isEnded || this.#closing) {
      await this.#binding!.bye(Cause.NORMAL_CLEARING);
      return;
    }
    this.setState('answered');
  }

  /**
   * Late offer: 200 OK with our offer to an INVITE that had none, then the ACK's SDP is the
   * answer. Rejects (leg left up for the call to end) when the ACK has no or a bad SDP, or
   * does not come within LATE_ACK_WAIT_MS.
   */
  async answerWithOffer(offer: MediaDescription): Promise<MediaDescription> {
    const ib = this.#requireInbound('answer');
    if (this.remoteMedia?.sdp !== undefined) throw new SignalingError('the INVITE carried an offer: it takes an answer', { q850Cause: Cause.INTERWORKING });
    if (this.isEnded) throw new ClosedError(`late offer: leg ${this.id} has ended`);
    if (offer.sdp === undefined) throw new SignalingError('late offer: no SDP to offer', { q850Cause: Cause.INTERWORKING });
    const headers: Record<string, string> = {};
    this.#contactHeader(headers);
    let dialog: SrfDialog;
    try {
      dialog = await this.ctx.srf.createUAS(ib.req, ib.res, { localSdp: offer.sdp, headers });
    } catch (e) {
      if (!this.isEnded) this.ended({ cause: Cause.TEMPORARY_FAILURE, by: 'local', detail: `answer failed: ${(e as Error).message}` });
      throw new SignalingError(`200 OK could not be sent: ${(e as Error).message}`, { q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    }
    const ack = this.#waitAck(dialog);
    this.#bind(dialog, offer.sdp);
    this.setState('answered');
    const req = await ack;
    const answer = lateAnswerFromAck(req.get('Content-Type'), req.body, this.ctx.settings);
    if (answer instanceof SignalingError) throw answer;
    this.remoteMedia = { sdp: answer };
    this.#binding!.remoteAnswered(answer);
    return { sdp: answer };
  }

  /** The ACK to our 200 on `dialog`; rejects when the leg ends first or it never comes. */
  #waitAck(dialog: SrfDialog): Promise<SrfMessage> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.off('hangup', onHangup);
        fn();
      };
      const onHangup = (): void => finish(() => reject(new ClosedError(`late offer: leg ${this.id} ended before its ACK`)));
      const timer = setTimeout(() => finish(() => reject(new SignalingError(
        `late offer: no ACK to our 200 OK in ${LATE_ACK_WAIT_MS / 1000} s`, { q850Cause: Cause.RECOVERY_ON_TIMER_EXPIRY },
      ))), LATE_ACK_WAIT_MS);
      this.on('hangup', onHangup);
      dialog.on('ack', (req) => finish(() => resolve(req)));
    });
  }

  async reject(cause: number, sipStatus?: number): Promise<void> {
    await this.rejectWith(sipStatus ?? q850ToSip(cause), cause);
  }

  /** Refuses the INVITE with this status (and extra headers such as Retry-After or Warning). */
  async rejectWith(status: number, cause: number, extra: Record<string, string> = {}): Promise<void> {
    if (this.direction === 'outbound') return this.hangup(cause);
    const ib = this.#inbound!;
    if (this.isEnded) return;
    if (this.state === 'answered') return this.hangup(cause);
    const st = status >= 300 && status <= 699 ? status : q850ToSip(cause);
    if (!ib.res.finalResponseSent) this.#send(ib.res, st, { headers: { Reason: formatReasonQ850(cause), ...extra } });
    this.ended({ cause, sipStatus: st, by: 'local' });
  }

  // --- outbound (UAC) ---------------------------------------------------------------------

  async originate(req: OriginateRequest): Promise<void> {
    const ob = this.#outbound;
    if (!ob) throw new SignalingError('originate on an inbound SIP leg', { q850Cause: Cause.INTERWORKING });
    if (this.state !== 'idle') throw new SignalingError('leg already placed', { q850Cause: Cause.INTERWORKING });
    this.setState('calling');
    let targets: SipTarget[];
    try {
      targets = await ob.directory.targets(this.trunk);
    } catch (e) {
      throw new SignalingError(`trunk ${this.trunk}: no next hop: ${(e as Error).message}`, { q850Cause: Cause.NETWORK_OUT_OF_ORDER, cause: e });
    }
    if (targets.length === 0) throw new SignalingError(`trunk ${this.trunk} has no reachable address`, { q850Cause: Cause.NETWORK_OUT_OF_ORDER });
    const first = outboundAddressing({ ...this.#addressingInput(req), target: targets[0]! });
    this.#called = first.called;
    this.#calling = first.calling;
    void this.#dial(targets, req).catch((e: unknown) => {
      this.ctx.log.warn({ leg: this.id, err: (e as Error).message }, 'outbound INVITE failed');
      this.ended({ cause: Cause.TEMPORARY_FAILURE, by: 'local', detail: (e as Error).message });
    });
  }

  #addressingInput(req: OriginateRequest): Omit<Parameters<typeof outboundAddressing>[0], 'target'> {
    const ob = this.#outbound!;
    return {
      called: req.called, calling: req.calling, settings: ob.settings, plan: ob.plan,
      ...(req.callingPresentation ? { callingPresentation: req.callingPresentation } : {}),
      ...(ob.instanceId ? { instanceId: ob.instanceId } : {}),
    };
  }

  async #dial(targets: SipTarget[], req: OriginateRequest): Promise<void> {
    const ob = this.#outbound!;
    const auth = ob.directory.credentials(this.trunk);
    let last: Failure | undefined;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (this.#closing || this.isEnded) return;
      const port = this.ctx.localPorts?.[target.transport];
      const addr = outboundAddressing({ ...this.#addressingInput(req), target, ...(port ? { localPort: port } : {}) });
      let heard = false;
      let reported = false;
      this.ctx.log.debug({ leg: this.id, uri: addr.requestUri }, 'sending INVITE');
      try {
        const headers: Record<string, string> = req.maxForwards !== undefined ? { ...addr.headers, 'Max-Forwards': String(req.maxForwards) } : { ...addr.headers };
        if (req.replaces !== undefined) {
          // Attended transfer (RFC 3891 §4): the target must understand Replaces or refuse (420),
          // never ring as a new call.
          headers.Replaces = req.replaces;
          headers.Require = 'replaces';
        }
        if (req.referredBy !== undefined) headers['Referred-By'] = req.referredBy;
        const dialog = await this.ctx.srf.createUAC(addr.requestUri, {
          headers, ...(req.media?.sdp !== undefined ? { localSdp: req.media.sdp } : { noAck: true }), ...(auth ? { auth } : {}),
          ...(addr.proxy ? { proxy: addr.proxy } : {}),
        }, {
          cbRequest: (err, sent) => {
            if (err) return;
            this.#sent = sent;
            const callId = sent.get?.('Call-ID');
            if (this.ctx.dialogs && callId && !this.isEnded) this.ctx.dialogs.add(this, callId, { uac: true, ...tagOf(sent.get?.('From'), 'localTag') });
            if (this.#closing) this.#cancelSent(Cause.NORMAL_CLEARING);
          },
          cbProvisional: (res) => {
            if (!reported) ob.directory.report(this.trunk, target, 'ok');
            reported = true;
            // A 100 only says the hop is alive; after 18x the call is the callee's, no failover.
            if (res.status > 100) heard = true;
            this.#onProvisional(res);
          },
        });
        this.#sent = undefined;
        if (!reported) ob.directory.report(this.trunk, target, 'ok');
        if (isSrfLateAnswer(dialog)) {
          // Late offer: the 200 carries the far end's offer; the ACK waits for confirmAnswer().
          this.#unacked = dialog;
          if (this.#closing || this.isEnded) {
            await this.#refuseUnacked(Cause.NORMAL_CLEARING);
            return;
          }
          this.remoteMedia = { sdp: dialog.sdp };
          this.setState('answered');
          this.emit('answer', { sdp: dialog.sdp });
          return;
        }
        if (this.#closing || this.isEnded) {
          // A 200 crossed our CANCEL: the dialog exists, so end it with BYE.
          await dialog.destroy({ headers: { Reason: formatReasonQ850(Cause.NORMAL_CLEARING) } }).catch(() => undefined);
          return;
        }
        const insecure = checkSrtpAnswer(dialog.remote.sdp, ob.settings);
        if (insecure) {
          // The trunk requires SRTP: a plain answer would send the call's media in the clear.
          this.ctx.log.warn({ leg: this.id, trunk: this.trunk, problem: insecure.text }, 'answer refused: SRTP required');
          // Cause 65 (bearer capability not implemented) is what a 488 maps to (RFC 3398).
          await dialog.destroy({ headers: { Reason: formatReasonQ850(Cause.BEARER_NOT_IMPLEMENTED) } }).catch(() => undefined);
          this.ended({ cause: Cause.BEARER_NOT_IMPLEMENTED, sipStatus: 488, by: 'local', detail: insecure.text });
          return;
        }
        this.remoteMedia = dialog.remote.sdp ? { sdp: dialog.remote.sdp } : this.remoteMedia;
        this.#bind(dialog, req.media?.sdp ?? '');
        this.setState('answered');
        this.emit('answer', dialog.remote.sdp ? { sdp: dialog.remote.sdp } : undefined);
        return;
      } catch (e) {
        this.#sent = undefined;
        if (this.#closing || this.isEnded) return;
        if (isSrfSipError(e)) {
          const st = e.status;
          const overloaded = st === 503 || st === 408;
          ob.directory.report(this.trunk, target, st === 408 ? 'timeout' : st === 503 ? 'overloaded' : 'ok');
          last = { status: st, cause: causeFromSipFailure(st, e.res?.get('Reason')), detail: `${st} ${e.reason ?? ''}`.trim() };
          if (overloaded && !heard && i < targets.length - 1) {
            this.ctx.log.info({ leg: this.id, target: `${target.host}:${target.port}`, status: st }, 'next hop failed; trying the next one');
            continue;
          }
          break;
        }
        ob.directory.report(this.trunk, target, 'unreachable');
        last = { status: 503, cause: Cause.NETWORK_OUT_OF_ORDER, detail: `INVITE not sent: ${(e as Error).message}` };
        this.ctx.log.info({ leg: this.id, target: `${target.host}:${target.port}`, err: (e as Error).message }, 'next hop unreachable');
      }
    }
    const f = last ?? { status: 503, cause: Cause.NETWORK_OUT_OF_ORDER, detail: 'no next hop' };
    this.ended({ cause: f.cause, sipStatus: f.status, by: 'remote', detail: f.detail });
  }

  #onProvisional(res: SrfMessage & { status: number }): void {
    if (this.isEnded || this.#closing || res.status <= 100) return;
    let body = res.body && /^\s*v=0/.test(res.body) ? res.body : undefined;
    const insecure = body === undefined ? undefined : checkSrtpAnswer(body, this.ctx.settings);
    if (insecure) {
      // Early media in the clear toward a trunk that requires SRTP: taken as progress only.
      this.ctx.log.warn({ leg: this.id, trunk: this.trunk, problem: insecure.text }, 'early media ignored: SRTP required');
      body = undefined;
    }
    if (body !== undefined) {
      if (body === this.#lastEarly) return;
      this.#lastEarly = body;
      this.remoteMedia = { sdp: body };
      this.setState('early');
      this.emit('early-media', { sdp: body });
      return;
    }
    if (this.state === 'calling') this.setState('proceeding');
    this.emit('progress', { sipStatus: res.status, ringing: res.status === 180 });
  }

  /** Late offer: the ACK to the far end's 200, carrying our answer to its offer. */
  async confirmAnswer(answer: MediaDescription): Promise<void> {
    const pending = this.#unacked;
    if (!pending) throw new SignalingError(`leg ${this.id} has no answered late offer waiting for an ACK`, { q850Cause: Cause.INTERWORKING });
    if (answer.sdp === undefined) throw new SignalingError('late offer: no SDP answer for the ACK', { q850Cause: Cause.INTERWORKING });
    this.#unacked = undefined;
    let dialog: SrfDialog;
    try {
      dialog = await pending.ack(answer.sdp);
    } catch (e) {
      this.ended({ cause: Cause.TEMPORARY_FAILURE, by: 'local', detail: `ACK failed: ${(e as Error).message}` });
      throw new SignalingError(`late offer: ACK not sent: ${(e as Error).message}`, { q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    }
    this.#bind(dialog, answer.sdp);
    if (this.isEnded) await this.#binding!.bye(Cause.NORMAL_CLEARING);
  }

  /** Ends an answered-but-not-ACKed late offer: ACK with every stream refused, then BYE. */
  async #refuseUnacked(cause: number): Promise<void> {
    const pending = this.#unacked;
    if (!pending) return;
    this.#unacked = undefined;
    try {
      const dialog = await pending.ack(refusingAnswer(pending.sdp));
      await dialog.destroy({ headers: { Reason: formatReasonQ850(cause) } });
    } catch (e) {
      this.ctx.log.debug({ leg: this.id, err: (e as Error).message }, 'late-offer leg: ACK/BYE failed');
    }
  }

  #cancelSent(cause: number): void {
    const sent = this.#sent;
    if (!sent) return;
    try {
      sent.cancel({ headers: { Reason: formatReasonQ850(cause) } }, () => undefined);
    } catch (e) {
      this.ctx.log.debug({ leg: this.id, err: (e as Error).message }, 'CANCEL not sent');
    }
  }

  // --- both ------------------------------------------------------------------------------

  async hangup(cause: number): Promise<void> {
    if (this.isEnded) return;
    if (this.#unacked) {
      this.ended({ cause, by: 'local' });
      await this.#refuseUnacked(cause);
      return;
    }
    if (this.#binding) {
      this.ended({ cause, by: 'local' });
      await this.#binding.bye(cause);
      return;
    }
    if (this.direction === 'inbound') {
      await this.rejectWith(q850ToSip(cause), cause);
      return;
    }
    this.#closing = true;
    this.#cancelSent(cause);
    this.ended({ cause, by: 'local' });
  }

  async hold(on: boolean): Promise<void> {
    await this.#requireDialog('hold').hold(on);
  }

  async updateMedia(offer: MediaDescription): Promise<MediaDescription> {
    return this.#requireDialog('re-INVITE').reinvite(offer);
  }

  async refer(r: { referTo: string; referredBy?: string }, onNotify: (sipfrag: string, state: string) => void): Promise<{ status: number; reason: string }> {
    return this.#requireDialog('REFER').sendRefer(r, onNotify);
  }

  async sendDtmf(digit: string, durationMs: number): Promise<void> {
    // RFC 4733 and in-band digits travel in the media relay (INFO digits toward an RFC 4733
    // leg are injected there by the call); only INFO is signalling. RFC 4733 digits toward
    // this leg arrive here when the relay took them out of the media (rtpengine's DTMF log).
    // One INFO transaction at a time, so the digits arrive in order.
    if (this.ctx.settings.dtmf !== 'info' || !this.#binding || this.isEnded) return;
    const binding = this.#binding;
    const type = this.ctx.settings.dtmfInfoType;
    const send = this.#infoQueue.then(() => (this.isEnded ? undefined : binding.sendInfoDtmf(digit, durationMs, type)));
    this.#infoQueue = send.catch(() => undefined);
    await send;
  }

  #bind(dialog: SrfDialog, localSdp: string): void {
    this.#binding = new SipDialogBinding(this, dialog, localSdp);
    if (this.ctx.dialogs && dialog.sip && !this.isEnded) this.ctx.dialogs.confirm(this, dialog.sip.callId, dialog.sip.localTag, dialog.sip.remoteTag);
    if (dialog.remote.sdp) this.remoteMedia = { sdp: dialog.remote.sdp };
  }

  #requireInbound(what: string): InboundSipLegOptions {
    if (!this.#inbound) throw new SignalingError(`${what} on an outbound SIP leg`, { q850Cause: Cause.INTERWORKING });
    return this.#inbound;
  }

  #requireDialog(what: string): SipDialogBinding {
    if (this.isEnded) throw new ClosedError(`${what}: leg ${this.id} has ended`);
    if (!this.#binding) throw new SignalingError(`${what}: leg ${this.id} is not answered`, { q850Cause: Cause.TEMPORARY_FAILURE });
    return this.#binding;
  }

  #contactHeader(headers: Record<string, string>): void {
    const fqdn = this.ctx.settings.contactFqdn;
    if (fqdn === '') return;
    const tr = this.ctx.settings.transport;
    const port = this.ctx.localPorts?.[tr];
    headers.Contact = `<sip:${fqdn}${port ? `:${port}` : ''}${tr === 'udp' ? '' : `;transport=${tr}`}>`;
  }

  /**
   * Sends a response without waiting on it: drachtio calls back once the edge sent it (for a
   * reliable 18x only after the PRACK), and the call must not stall on that. Errors are logged.
   */
  #send(res: SrfRes, status: number, opts: { headers?: Record<string, string>; body?: string }): void {
    const fail = (e: unknown): void => {
      this.ctx.log.warn({ leg: this.id, status, err: e instanceof Error ? e.message : String(e) }, 'response not sent');
    };
    try {
      res.send(status, opts, (err: unknown) => { if (err) fail(err); });
    } catch (e) {
      fail(e);
    }
  }

  /** Emits from the dialog binding (update, dtmf, transfer) go out as this leg's events. */
  emitLeg(event: 'update' | 'dtmf' | 'transfer' | 'refer-pass', arg: unknown): boolean {
    return this.emit(event, arg);
  }
}

/** The tag parameter of a From/To header value, under `key`; {} when there is none. */
function tagOf<K extends 'localTag' | 'remoteTag'>(header: string | undefined, key: K): Partial<Record<K, string>> {
  const tag = header ? /;\s*tag=([^;>\s]+)/i.exec(header.replace(/<[^>]*>/, ''))?.[1] : undefined;
  return tag === undefined ? {} : ({ [key]: tag } as Partial<Record<K, string>>);
}
