// The call core's LegProvider for SIP trunks: owns every configured sip.trunks id, builds
// outbound SipLegs on the current srf connection, and tells the relay each trunk's media options.

import { Cause } from '../call/causes.js';
import { RefusedLeg, type LegProvider } from '../call/dispatcher.js';
import type { Leg } from '../call/leg.js';
import type { RouteTarget } from '../call/router.js';
import type { LegMediaOptions } from '../media/relay.js';
import type { NumberingPlan } from '../routing/numbers.js';
import type { SipDialogIndex } from './dialog-index.js';
import { SipLeg, type SipLegLogger } from './leg.js';
import type { SrfApi } from './srf-api.js';
import type { TrunkDirectory } from './trunk-directory.js';
import { GENERIC, legMediaOptions, type Transport } from './trunk-profiles.js';

export interface SipLegProviderOptions {
  /** The srf connected to the SIP edge now; undefined while it is (re)connecting. */
  srf: () => SrfApi | undefined;
  directory: TrunkDirectory;
  plan: () => NumberingPlan;
  log: SipLegLogger;
  instanceId?: string;
  agent?: string;
  localPorts?: () => Partial<Record<Transport, number>>;
  /** The gateway's dialog index (attended transfer). */
  dialogs?: SipDialogIndex;
}

export class SipLegProvider implements LegProvider {
  readonly kind = 'sip' as const;
  readonly #o: SipLegProviderOptions;

  constructor(o: SipLegProviderOptions) {
    this.#o = o;
  }

  owns(trunk: string): boolean {
    return this.#o.directory.ids().includes(trunk);
  }

  createLeg(target: RouteTarget): Leg {
    const o = this.#o;
    const settings = o.directory.settings(target.trunk);
    const srf = o.srf();
    if (!settings) return new RefusedLeg(target, Cause.NO_ROUTE_DESTINATION, `SIP trunk ${target.trunk} is not configured`);
    if (!srf) return new RefusedLeg(target, Cause.NETWORK_OUT_OF_ORDER, 'SIP edge not connected');
    return SipLeg.outbound({
      srf, trunk: target.trunk, settings, log: o.log, directory: o.directory, plan: o.plan(), target,
      ...(o.instanceId ? { instanceId: o.instanceId } : {}),
      ...(o.agent ? { agent: o.agent } : {}),
      ...(o.localPorts ? { localPorts: o.localPorts() } : {}),
      ...(o.dialogs ? { dialogs: o.dialogs } : {}),
    });
  }

  mediaOptions(trunk: string): LegMediaOptions {
    return legMediaOptions(this.#o.directory.settings(trunk) ?? GENERIC);
  }
}
