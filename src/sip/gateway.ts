// The SIP side of the B2BUA: every INVITE that reaches the app through srf is checked (loop
// header, trunk ACL and digest auth, SDP offer), becomes an inbound SipLeg and is handed to the
// call dispatcher; a refused call gets the cause's SIP status with a Reason header (503 with
// Retry-After while draining). Outbound legs come from the SipLegProvider registered here.

import type Srf from 'drachtio-srf';
import { Cause, formatReasonQ850, q850ToSip } from '../call/causes.js';
import type { CallDispatcher } from '../call/dispatcher.js';
import type { NumberingPlan } from '../routing/numbers.js';
import { VIA_HEADER, viaLists, warning } from './addressing.js';
import { SipDialogIndex } from './dialog-index.js';
import { SipLeg, type SipLegLogger } from './leg.js';
import { checkOffer } from './offer-check.js';
import { ownViaIn, parseMaxForwards } from './loop-check.js';
import { SipLegProvider } from './provider.js';
import type { SrfApi, SrfInviteReq, SrfRes } from './srf-api.js';
import type { InboundRequestView, TrunkDirectory } from './trunk-directory.js';
import type { Transport } from './trunk-profiles.js';

/** srf as the gateway uses it: the call-flow API plus INVITE registration. */
export interface SrfServer extends SrfApi {
  invite(handler: (req: SrfInviteReq, res: SrfRes) => void): void;
}

/** The real drachtio-srf object, seen through the gateway's structural types. */
export function asSrfServer(srf: Srf): SrfServer {
  return srf as unknown as SrfServer;
}

export interface CounterLike {
  inc(labels?: Record<string, string | number>, value?: number): void;
}

export interface SipGatewayOptions {
  /** The srf connected to the edge now (more can be attached later, after a reconnect). */
  srf?: SrfServer;
  dispatcher: Pick<CallDispatcher, 'inbound' | 'addProvider' | 'removeProvider'>;
  directory: TrunkDirectory;
  plan: () => NumberingPlan;
  log: SipLegLogger;
  /** False while the daemon drains: refusals with cause 41 then carry Retry-After. */
  accepting?: () => boolean;
  /** INVITEs by outcome (`spangate_sip_invites_total{result}`), when metrics are on. */
  invites?: CounterLike;
  /** Our id in X-Spangate-Via; an INVITE carrying it came back to us (loop): 482. */
  instanceId?: string;
  /** Our listeners' Via sent-by values (`host:port`); an INVITE with one in its Via chain looped: 482. */
  ownSentBy?: () => string[];
  /** Warning agent host. */
  agent?: string;
  /** The port the edge listens on per transport now (for Contacts built on contactFqdn). */
  localPorts?: () => Partial<Record<Transport, number>>;
  /** Retry-After seconds on a 503 while draining (default 30). */
  retryAfterS?: () => number;
}

export class SipGateway {
  readonly provider: SipLegProvider;
  /** Every SIP leg's dialog, for attended transfers (Replaces) to find the one they name. */
  readonly dialogs = new SipDialogIndex();
  readonly #o: SipGatewayOptions;
  #srf: SrfServer | undefined;
  readonly #attached = new WeakSet<object>();
  #closed = false;

  constructor(o: SipGatewayOptions) {
    this.#o = o;
    this.provider = new SipLegProvider({
      srf: () => this.#srf, directory: o.directory, plan: o.plan, log: o.log, dialogs: this.dialogs,
      ...(o.instanceId ? { instanceId: o.instanceId } : {}),
      ...(o.agent ? { agent: o.agent } : {}),
      ...(o.localPorts ? { localPorts: o.localPorts } : {}),
    });
    o.dispatcher.addProvider(this.provider);
    if (o.srf) this.attach(o.srf);
  }

  /** Takes INVITEs from this srf and places outbound legs on it (call again after a reconnect). */
  attach(srf: SrfServer): void {
    this.#srf = srf;
    if (this.#attached.has(srf)) return;
    this.#attached.add(srf);
    srf.invite((req, res) => {
      this.#onInvite(srf, req, res).catch((e: unknown) => {
        this.#o.log.warn({ err: (e as Error).message, callId: req.get('Call-ID') }, 'INVITE handling failed');
        this.#count('error');
        try {
          if (!res.finalResponseSent) res.send(500, { headers: { Reason: formatReasonQ850(Cause.TEMPORARY_FAILURE) } });
        } catch { /* the edge is gone; nothing left to answer */ }
      });
    });
  }

  /** The srf went away (edge restart): no outbound legs until the next attach. */
  detach(): void {
    this.#srf = undefined;
  }

  /** Stops taking calls: new INVITEs get 503, outbound legs are no longer provided. */
  close(): void {
    this.#closed = true;
    this.#srf = undefined;
    this.#o.dispatcher.removeProvider(this.provider);
  }

  #count(result: string): void {
    this.#o.invites?.inc({ result });
  }

  async #onInvite(srf: SrfServer, req: SrfInviteReq, res: SrfRes): Promise<void> {
    const o = this.#o;
    const agent = o.agent ?? 'spangate';
    if (this.#closed || srf !== this.#srf) {
      this.#count('unavailable');
      res.send(503, { headers: { Reason: formatReasonQ850(Cause.TEMPORARY_FAILURE) } });
      return;
    }
    if (o.instanceId && viaLists(req.get(VIA_HEADER), o.instanceId)) {
      o.log.warn({ callId: req.get('Call-ID') }, 'INVITE came back to us: loop');
      this.#count('loop');
      res.send(482, { headers: { Reason: formatReasonQ850(Cause.EXCHANGE_ROUTING_ERROR) } });
      return;
    }
    const ownVia = ownViaIn(req.get('Via'), o.ownSentBy?.() ?? []);
    if (ownVia) {
      o.log.warn({ callId: req.get('Call-ID'), via: ownVia }, 'INVITE came back to us (our own Via in its chain): loop');
      this.#count('loop');
      res.send(482, { headers: { Reason: formatReasonQ850(Cause.EXCHANGE_ROUTING_ERROR), Warning: warning(399, agent, `loop: our Via ${ownVia} is in the request`) } });
      return;
    }
    const hops = parseMaxForwards(req.get('Max-Forwards'));
    if (hops instanceof Error) {
      this.#count('bad-request');
      res.send(400, { headers: { Warning: warning(399, agent, hops.message) } });
      return;
    }
    if (hops === 0) {
      o.log.info({ callId: req.get('Call-ID') }, 'INVITE with Max-Forwards 0');
      this.#count('too-many-hops');
      res.send(483, { headers: { Reason: formatReasonQ850(Cause.EXCHANGE_ROUTING_ERROR) } });
      return;
    }
    const verdict = await o.directory.admit(requestView(req), res);
    if (!verdict.ok) {
      o.log.info({ callId: req.get('Call-ID'), source: req.source_address, status: verdict.status, reason: verdict.reason }, 'INVITE not admitted');
      this.#count(`refused-${verdict.status}`);
      return;
    }
    const problem = checkOffer(req.get('Content-Type'), req.body, verdict.settings);
    if (problem) {
      o.log.info({ callId: req.get('Call-ID'), trunk: verdict.trunk, problem: problem.text }, 'INVITE offer not acceptable');
      this.#count('bad-sdp');
      res.send(488, { headers: { Warning: warning(problem.warningCode, agent, problem.text), Reason: formatReasonQ850(Cause.INCOMPATIBLE_DESTINATION) } });
      return;
    }
    const leg = SipLeg.inbound({
      srf, req, res, trunk: verdict.trunk, settings: verdict.settings, log: o.log, agent, dialogs: this.dialogs,
      ...(o.localPorts ? { localPorts: o.localPorts() } : {}),
    });
    const r = o.dispatcher.inbound(leg);
    if (r.ok) {
      this.#count('accepted');
      o.log.info({ call: r.call.id, leg: leg.id, trunk: verdict.trunk, calling: leg.calling, called: leg.called }, 'inbound call');
      return;
    }
    this.#count(`rejected-${r.cause}`);
    o.log.info({ leg: leg.id, trunk: verdict.trunk, cause: r.cause, reason: r.reason }, 'inbound call refused');
    const extra: Record<string, string> = {};
    if (r.cause === Cause.TEMPORARY_FAILURE && o.accepting && !o.accepting()) extra['Retry-After'] = String(o.retryAfterS?.() ?? 30);
    await leg.rejectWith(q850ToSip(r.cause), r.cause, extra);
  }
}

/** Registers the SIP gateway: INVITEs in from srf, the SIP leg provider in the dispatcher. */
export function attachSipGateway(o: SipGatewayOptions): SipGateway {
  return new SipGateway(o);
}

function requestView(req: SrfInviteReq): InboundRequestView {
  return {
    method: req.method,
    uri: req.uri,
    source_address: req.source_address,
    source_port: Number(req.source_port),
    protocol: req.protocol,
    get: (h) => req.get(h) ?? undefined,
    has: (h) => req.has(h),
  };
}
