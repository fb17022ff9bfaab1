// An answered SIP leg's dialog: BYE from the far end, re-INVITE/UPDATE offers (passed to the
// call as `update`, session refreshes answered here), INFO (DTMF in, 415 for other bodies),
// REFER (202 + NOTIFY sipfrag and a `transfer` event, blind or attended, or 603, per the
// trunk), and what the leg sends: BYE with a Reason, re-INVITE (hold/resume/new media), INFO DTMF.

import type { DtmfEvent, MediaDescription, MediaUpdate, PassedRefer, TransferReplaces, TransferRequest } from '../call/leg.js';
import { Cause, formatReasonQ850, parseReasonQ850, sipToQ850 } from '../call/causes.js';
import { SignalingError } from '../errors.js';
import { warning } from './addressing.js';
import { infoDtmfMessage, isSameSession, parseInfoDtmf, parseReferTo, sipfrag, withDirection } from './in-dialog.js';
import { audioMedia, parseSdp } from './sdp.js';
import type { SipDialogIndex } from './dialog-index.js';
import { isSrfSipError, type SrfDialog, type SrfMessage, type SrfRes } from './srf-api.js';
import type { TrunkSettings } from './trunk-profiles.js';

/** The leg side of the binding (SipLeg implements it). */
export interface DialogHost {
  readonly id: string;
  readonly isEnded: boolean;
  readonly ctx: {
    settings: TrunkSettings;
    agent?: string;
    /** The gateway's dialogs, to find the one an attended transfer's Replaces names. */
    dialogs?: Pick<SipDialogIndex, 'match'>;
    log: { debug(o: object, m?: string): void; info(o: object, m?: string): void; warn(o: object, m?: string): void };
  };
  remoteMedia: MediaDescription | undefined;
  remoteEnded(cause: number, detail: string): void;
  isAnswered(): boolean;
  emitLeg(event: 'update' | 'dtmf' | 'transfer' | 'refer-pass', arg: unknown): boolean;
  listenerCount(event: string): number;
}

const SDP_TYPE = { 'Content-Type': 'application/sdp' };

export class SipDialogBinding {
  readonly dialog: SrfDialog;
  readonly #host: DialogHost;
  /** What we last sent the far end (offer or answer), and the far end's last SDP. */
  #localSdp: string;
  #remoteSdp: string | undefined;
  #gone = false;
  /** A REFER we passed on to this far end: where its NOTIFYs go. */
  #referNotify: ((sipfrag: string, state: string) => void) | undefined;

  constructor(host: DialogHost, dialog: SrfDialog, localSdp: string) {
    this.#host = host;
    this.dialog = dialog;
    this.#localSdp = localSdp || dialog.local.sdp;
    this.#remoteSdp = dialog.remote.sdp || undefined;
    dialog.on('destroy', (req) => this.#guard('BYE', () => this.#onBye(req)));
    dialog.on('modify', (req, res) => this.#guard('re-INVITE', () => this.#onOffer(req, res, 'INVITE'), res));
    dialog.on('update', (req, res) => this.#guard('UPDATE', () => this.#onOffer(req, res, 'UPDATE'), res));
    dialog.on('info', (req, res) => this.#guard('INFO', () => this.#onInfo(req, res), res));
    dialog.on('refer', (req, res) => this.#guard('REFER', () => this.#onRefer(req, res), res));
    dialog.on('notify', (req, res) => this.#guard('NOTIFY', () => this.#onNotify(req, res), res));
    // srf may have taken the far end's BYE already and emitted 'destroy' before these listeners
    // existed: under load an ACK and the BYE right behind it arrive in one read while
    // createUAS/createUAC is still being awaited. A dialog already gone is a BYE without Reason.
    if (dialog.connected === false) queueMicrotask(() => this.#guard('BYE', () => this.#onBye(undefined)));
  }

  /**
   * Runs a request handler so that nothing it throws reaches srf's message loop (where it would
   * end the process and every other call): logged, and a 500 if the request is still open.
   */
  #guard(what: string, fn: () => void, res?: SrfRes): void {
    try {
      fn();
    } catch (e) {
      this.#host.ctx.log.warn({ leg: this.#host.id, request: what, err: (e as Error).message }, 'in-dialog request handler failed');
      try {
        if (res && !res.finalResponseSent) res.send(500);
      } catch { /* nothing left to answer on */ }
    }
  }

  get #agent(): string {
    return this.#host.ctx.agent ?? 'spangate';
  }

  #onBye(req: SrfMessage | undefined): void {
    if (this.#gone) return;
    this.#gone = true;
    const reason = parseReasonQ850(req?.get('Reason'));
    this.#host.remoteEnded(reason?.cause ?? Cause.NORMAL_CLEARING, 'BYE');
  }

  /** Ends the dialog from our side (BYE with a Reason). Never throws. */
  async bye(cause: number): Promise<void> {
    if (this.#gone) return;
    this.#gone = true;
    await this.dialog.destroy({ headers: { Reason: formatReasonQ850(cause) } }).catch((e: unknown) => {
      this.#host.ctx.log.debug({ leg: this.#host.id, err: (e as Error).message }, 'BYE failed');
    });
  }

  #onOffer(req: SrfMessage, res: SrfRes, method: 'INVITE' | 'UPDATE'): void {
    const body = req.body ?? '';
    if (body.trim() === '') {
      // No offer: an INVITE gets our SDP as the offer (answer comes in the ACK), an UPDATE a bare 200.
      res.send(200, method === 'INVITE' ? { body: this.#localSdp, headers: SDP_TYPE } : {});
      return;
    }
    if (isSameSession(this.#remoteSdp, body)) {
      // Session refresh (RFC 4028): same SDP version, answer with what we have.
      res.send(200, { body: this.#localSdp, headers: SDP_TYPE });
      return;
    }
    try {
      const s = parseSdp(body);
      if (!audioMedia(s)) throw new SignalingError('no audio stream in the offer', { sipStatus: 488 });
    } catch (e) {
      this.#host.ctx.log.info({ leg: this.#host.id, method, err: (e as Error).message }, 'mid-call offer refused');
      res.send(488, { headers: { Warning: warning(399, this.#agent, (e as Error).message) } });
      return;
    }
    if (!this.#host.isAnswered() || this.#host.listenerCount('update') === 0) {
      res.send(488, { headers: { Reason: formatReasonQ850(Cause.TEMPORARY_FAILURE) } });
      return;
    }
    let settled = false;
    const update: MediaUpdate = {
      media: { sdp: body },
      accept: (answer) => {
        if (settled) return;
        settled = true;
        this.#remoteSdp = body;
        this.#host.remoteMedia = { sdp: body };
        if (answer.sdp !== undefined) this.#localSdp = answer.sdp;
        this.#guard(method, () => res.send(200, { body: this.#localSdp, headers: SDP_TYPE }));
      },
      reject: (cause) => {
        if (settled) return;
        settled = true;
        this.#guard(method, () => res.send(488, { headers: { Reason: formatReasonQ850(cause) } }));
      },
    };
    this.#host.emitLeg('update', update);
  }

  #onInfo(req: SrfMessage, res: SrfRes): void {
    const body = req.body ?? '';
    if (body.trim() === '') {
      res.send(200);
      return;
    }
    const d = parseInfoDtmf(req.get('Content-Type'), body);
    if (d === undefined) {
      res.send(415, { headers: { Accept: 'application/dtmf-relay, application/dtmf' } });
      return;
    }
    if (d instanceof Error) {
      res.send(400, { headers: { Warning: warning(399, this.#agent, d.message) } });
      return;
    }
    res.send(200);
    const ev: DtmfEvent = { digit: d.digit, durationMs: d.durationMs, source: 'info' };
    this.#host.emitLeg('dtmf', ev);
  }

  #onRefer(req: SrfMessage, res: SrfRes): void {
    const s = this.#host.ctx.settings;
    const log = this.#host.ctx.log;
    if (s.refer === 'pass') {
      this.#passRefer(req, res);
      return;
    }
    if (s.refer !== 'local') {
      log.info({ leg: this.#host.id, policy: s.refer }, 'REFER refused by trunk policy');
      res.send(603, { headers: { Warning: warning(399, this.#agent, 'transfer not allowed on this trunk') } });
      return;
    }
    const target = parseReferTo(req.get('Refer-To'));
    if (target instanceof Error) {
      res.send(400, { headers: { Warning: warning(399, this.#agent, target.message) } });
      return;
    }
    if (!this.#host.isAnswered() || this.#host.listenerCount('transfer') === 0) {
      res.send(603);
      return;
    }
    res.send(202);
    let final = false;
    const notify = (status: number, reason: string): void => {
      if (final || this.#gone) return;
      if (status >= 200) final = true;
      this.dialog.request({
        method: 'NOTIFY',
        headers: {
          Event: 'refer',
          'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
          'Content-Type': 'message/sipfrag;version=2.0',
        },
        body: sipfrag(status, reason),
      }).catch((e: unknown) => log.debug({ leg: this.#host.id, err: (e as Error).message }, 'transfer NOTIFY failed'));
    };
    notify(100, 'Trying');
    const tr: TransferRequest = { target: target.user, notify };
    const by = req.get('Referred-By');
    if (by) tr.referredBy = by;
    if (target.replaces) {
      // Attended transfer (RFC 5589 §7): a dialog of ours is joined locally, anyone else's
      // is replaced by an INVITE with Replaces to the target; ours that cannot be replaced
      // (RFC 3891 §3: no such dialog, early, ended) fail here and the call stays as it was.
      const m = this.#host.ctx.dialogs?.match(target.replaces) ?? { kind: 'unknown' as const };
      if (m.kind === 'refused') {
        log.info({ leg: this.#host.id, to: target.user, callId: target.replaces.callId, status: m.status }, 'REFER: the dialog to replace cannot be');
        notify(m.status, m.reason);
        return;
      }
      const replaces: TransferReplaces = m.kind === 'found' ? { kind: 'local', leg: m.leg } : { kind: 'remote', header: target.replaces.value };
      tr.replaces = replaces;
      log.info({ leg: this.#host.id, to: target.user, callId: target.replaces.callId, dialog: m.kind === 'found' ? 'ours' : 'elsewhere' }, 'REFER accepted: attended transfer');
    } else {
      log.info({ leg: this.#host.id, to: target.user }, 'REFER accepted: blind transfer');
    }
    this.#host.emitLeg('transfer', tr);
  }

  /** Late offer: the far end's answer arrived in its ACK. */
  remoteAnswered(sdp: string): void {
    this.#remoteSdp = sdp;
  }

  /** Trunk policy `pass`: the call hands the REFER to the other leg; NOTIFYs come back here. */
  #passRefer(req: SrfMessage, res: SrfRes): void {
    const referTo = req.get('Refer-To');
    if (!referTo || referTo.trim() === '') {
      res.send(400, { headers: { Warning: warning(399, this.#agent, 'REFER without Refer-To') } });
      return;
    }
    if (!this.#host.isAnswered() || this.#host.listenerCount('refer-pass') === 0) {
      res.send(603);
      return;
    }
    let answered: number | undefined;
    const early: [string, string][] = [];
    const send = (frag: string, state: string): void => {
      if (this.#gone) return;
      this.dialog.request({
        method: 'NOTIFY', headers: { Event: 'refer', 'Subscription-State': state, 'Content-Type': 'message/sipfrag;version=2.0' }, body: frag,
      }).catch((e: unknown) => this.#host.ctx.log.debug({ leg: this.#host.id, err: (e as Error).message }, 'relayed NOTIFY failed'));
    };
    const pr: PassedRefer = {
      referTo,
      respond: (status, reason) => {
        if (answered !== undefined) return;
        answered = status;
        this.#guard('REFER', () => res.send(status, reason || (status < 300 ? 'Accepted' : 'Declined')));
        // NOTIFYs that overtook the other side's 202 go out once ours is sent.
        if (status < 300) for (const [f, st] of early.splice(0)) send(f, st);
      },
      notify: (frag, state) => {
        if (answered === undefined) early.push([frag, state]);
        else if (answered < 300) send(frag, state);
      },
    };
    const by = req.get('Referred-By');
    if (by) pr.referredBy = by;
    this.#host.ctx.log.info({ leg: this.#host.id }, 'REFER passed to the other side');
    this.#host.emitLeg('refer-pass', pr);
  }

  /** Sends a REFER handed on from the other leg; its NOTIFYs go to `onNotify`. */
  async sendRefer(r: { referTo: string; referredBy?: string }, onNotify: (sipfrag: string, state: string) => void): Promise<{ status: number; reason: string }> {
    if (this.#gone) throw new SignalingError('REFER: the dialog has ended', { sipStatus: 481, q850Cause: Cause.TEMPORARY_FAILURE });
    this.#referNotify = onNotify;
    const headers: Record<string, string> = { 'Refer-To': r.referTo };
    if (r.referredBy) headers['Referred-By'] = r.referredBy;
    try {
      const res = await this.dialog.request({ method: 'REFER', headers });
      return { status: res.status ?? 500, reason: res.reason ?? '' };
    } catch (e) {
      if (isSrfSipError(e)) return { status: e.status, reason: e.reason ?? '' };
      throw new SignalingError(`REFER not sent: ${(e as Error).message}`, { sipStatus: 503, q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    }
  }

  #onNotify(req: SrfMessage, res: SrfRes): void {
    const event = (req.get('Event') ?? '').split(';')[0]!.trim().toLowerCase();
    if (event !== 'refer') {
      res.send(489);
      return;
    }
    if (!this.#referNotify) {
      res.send(481);
      return;
    }
    res.send(200);
    const state = req.get('Subscription-State') ?? 'active';
    const relay = this.#referNotify;
    if (/^\s*terminated/i.test(state)) this.#referNotify = undefined;
    relay(req.body ?? '', state);
  }

  /** Offers new media (re-INVITE); resolves with the far end's answer. */
  async reinvite(offer: MediaDescription): Promise<MediaDescription> {
    if (offer.sdp === undefined) throw new SignalingError('re-INVITE without an SDP offer', { q850Cause: Cause.INTERWORKING });
    let answer: string;
    try {
      answer = await this.dialog.modify(offer.sdp);
    } catch (e) {
      if (isSrfSipError(e)) {
        throw new SignalingError(`re-INVITE refused: ${e.status} ${e.reason ?? ''}`.trim(), { sipStatus: e.status, q850Cause: sipToQ850(e.status), cause: e });
      }
      throw new SignalingError(`re-INVITE failed: ${(e as Error).message}`, { q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    }
    this.#localSdp = offer.sdp;
    this.#remoteSdp = answer;
    this.#host.remoteMedia = { sdp: answer };
    return { sdp: answer };
  }

  /** Puts the far end on hold (a=sendonly) or resumes it (a=sendrecv) by re-INVITE. */
  async hold(on: boolean): Promise<void> {
    await this.reinvite({ sdp: withDirection(this.#localSdp, on ? 'sendonly' : 'sendrecv') });
  }

  async sendInfoDtmf(digit: string, durationMs: number, type: 'dtmf-relay' | 'dtmf' = 'dtmf-relay'): Promise<void> {
    if (this.#gone) return;
    const m = infoDtmfMessage(type, digit, durationMs);
    await this.dialog.request({
      method: 'INFO', headers: { 'Content-Type': m.contentType }, body: m.body,
    }).catch((e: unknown) => {
      throw new SignalingError(`INFO DTMF failed: ${(e as Error).message}`, { q850Cause: Cause.TEMPORARY_FAILURE, cause: e });
    });
  }
}
