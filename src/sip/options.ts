// The gateway's own answers, installed on every new Srf before the call flows get it:
// - OPTIONS: a chain of handlers (trunk keepalives and the like, added by other modules) ahead
//   of the gateway's answer: 200 with Allow/Accept/Supported. While the daemon drains, every
//   OPTIONS gets 503 with Retry-After first, so peers route around the gateway.
// - INVITE (out of dialog; in-dialog requests go to srf's dialogs first): 503 with
//   Retry-After while draining, otherwise on to the call flows' handlers.

import type { Srf, SrfRequest, SrfResponse } from './srf.js';

/** Methods the gateway handles (the edge and drachtio-srf do all of them). */
export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY';
export const ACCEPT = 'application/sdp';
export const SUPPORTED = '100rel, timer';

/** A link in the OPTIONS chain: answer with `res.send(...)`, or call `next()` to pass it on. */
export type OptionsHandler = (req: SrfRequest, res: SrfResponse, next: () => void) => void;

export interface GatewayAnswerSource {
  /** False while the daemon drains. */
  readonly accepting: boolean;
  /** Retry-After seconds for 503 answers. */
  readonly retryAfterS: number;
  /** The OPTIONS chain, in order. */
  optionsHandlers(): readonly OptionsHandler[];
  /** Told of a handler that threw (it is skipped). */
  onHandlerError(err: unknown): void;
}

/** The 503 the gateway sends while it drains. */
export function sendDraining(res: SrfResponse, retryAfterS: number): void {
  res.send(503, { headers: { 'Retry-After': String(retryAfterS) } });
}

/** The gateway's own 200 to OPTIONS. */
export function sendOptionsOk(res: SrfResponse): void {
  res.send(200, { headers: { Allow: ALLOW, Accept: ACCEPT, Supported: SUPPORTED } });
}

/** Installs the drain guard on INVITE and the OPTIONS chain on a fresh Srf. */
export function installGatewayAnswers(srf: Srf, src: GatewayAnswerSource): void {
  srf.use('invite', (_req: SrfRequest, res: SrfResponse, next: Function) => {
    if (src.accepting) return void next();
    sendDraining(res, src.retryAfterS);
  });
  srf.use('options', (req: SrfRequest, res: SrfResponse) => {
    if (!src.accepting) return sendDraining(res, src.retryAfterS);
    const chain = src.optionsHandlers();
    let i = 0;
    const next = (): void => {
      const h = chain[i++];
      if (!h) return sendOptionsOk(res);
      try {
        h(req, res, next);
      } catch (err) {
        src.onHandlerError(err);
        next();
      }
    };
    next();
  });
}
