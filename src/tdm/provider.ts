// The TDM side of the call core: incoming PRI calls go to the CallDispatcher (refused with the
// cause it returns), outbound legs on TDM span groups come from here (LegProvider), and
// PRI⇄PRI calls get their two B-channels bridged natively once the far side has audio (early
// media or answer): the dispatcher passes media only when a SIP leg is involved.
import type { Call } from '../call/call.js';
import type { DispatchResult, LegProvider } from '../call/dispatcher.js';
import type { Leg } from '../call/leg.js';
import type { RouteTarget } from '../call/router.js';
import type { LegMediaOptions } from '../media/relay.js';
import type { Ton } from '../ffi/pri.js';
import { PriLeg, type PriOriginateRequest } from './pri-leg.js';
import type { SpanManager, TdmLogger } from './span-manager.js';

export interface TdmProviderOptions {
  manager: SpanManager;
  /** CallDispatcher.inbound (the call core's single entry). */
  inbound: (leg: Leg) => DispatchResult;
  /** The routing plan's prefixes, for TON translation (routing.plan). */
  plan: () => { nationalPrefix: string; internationalPrefix: string };
  log: TdmLogger;
}

/**
 * A routed number → what goes in the called/calling party IE: "+E.164" is international
 * (PriLeg strips the "+"); a number with the international or national prefix loses it and
 * gets that TON; anything else goes out as dialled (TON unknown).
 */
export function partyFor(n: string, plan: { nationalPrefix: string; internationalPrefix: string }): { number: string; ton?: Ton } {
  if (n.startsWith('+')) return { number: n };
  if (plan.internationalPrefix && n.startsWith(plan.internationalPrefix) && n.length > plan.internationalPrefix.length) {
    return { number: n.slice(plan.internationalPrefix.length), ton: 'international' };
  }
  if (plan.nationalPrefix && n.startsWith(plan.nationalPrefix) && n.length > plan.nationalPrefix.length) {
    return { number: n.slice(plan.nationalPrefix.length), ton: 'national' };
  }
  return { number: n };
}

/** A PriLeg whose originate() takes routed numbers and sets TON/NPI from the plan. */
class RoutedPriLeg {
  static wrap(leg: PriLeg, plan: TdmProviderOptions['plan']): Leg {
    const originate = leg.originate.bind(leg);
    leg.originate = async (req: PriOriginateRequest): Promise<void> => {
      const p = plan();
      const called = partyFor(req.called, p);
      const calling = partyFor(req.calling, p);
      await originate({
        ...req, called: called.number, calling: calling.number,
        calledTon: req.calledTon ?? called.ton, callingTon: req.callingTon ?? calling.ton,
      });
    };
    return leg;
  }
}

export class TdmProvider implements LegProvider {
  readonly kind = 'tdm' as const;
  readonly #o: TdmProviderOptions;
  readonly #onIncoming = (leg: PriLeg): void => this.#incoming(leg);

  constructor(o: TdmProviderOptions) {
    this.#o = o;
    o.manager.on('incoming', this.#onIncoming);
  }

  /** Stops taking incoming calls (they are refused by the manager again). */
  close(): void {
    this.#o.manager.off('incoming', this.#onIncoming);
  }

  owns(trunk: string): boolean {
    return this.#o.manager.trunks().includes(trunk);
  }

  createLeg(target: RouteTarget): Leg {
    return RoutedPriLeg.wrap(this.#o.manager.createLeg(target.trunk), this.#o.plan);
  }

  /** What the relay offers a TDM leg: the B-channel codecs (G.711 per span law) and RFC 4733. */
  mediaOptions(trunk: string): LegMediaOptions {
    const law = this.#o.manager.lawOf(trunk);
    const g711 = law === 'ulaw' ? ['PCMU', 'PCMA'] : ['PCMA', 'PCMU'];
    return { transport: 'RTP/AVP', codecs: [...g711, 'telephone-event'], symmetric: false, dtmf: 'rfc4733' };
  }

  #incoming(leg: PriLeg): void {
    const log = this.#o.log;
    // Number translation on the way in: international numbers are "+E.164" already (PriLeg);
    // national ones get the national prefix so routing can normalise them.
    leg.applyPlan(this.#o.plan());
    const res = this.#o.inbound(leg);
    if (!res.ok) {
      log.info({ leg: leg.id, span: leg.spanId, called: leg.called, cause: res.cause, reason: res.reason }, 'incoming PRI call refused');
      leg.reject(res.cause).catch(() => undefined);
      return;
    }
    this.#watchBridge(res.call, leg);
  }

  /** PRI⇄PRI: join the two B-channels natively once the far side has audio. */
  #watchBridge(call: Call, a: PriLeg): void {
    const onState = (s: string): void => {
      if (s === 'ended') {
        call.off('state', onState);
        return;
      }
      if (s !== 'early' && s !== 'answered') return;
      const b = call.b;
      // Legs with RTP endpoints (the call was anchored for a SIP target and failed over to a
      // PRI one) keep their media through the relay.
      if (!(b instanceof PriLeg) || !a.media || !b.media || a.rtp || b.rtp) return;
      try {
        a.media.bridge(b.media);
      } catch (err) {
        this.#o.log.warn({ err, a: a.id, b: b.id }, 'timeslot bridge failed');
      }
    };
    call.on('state', onState);
  }
}
