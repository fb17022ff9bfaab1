// Session timers (RFC 4028) run by the edge, as drachtio does: when a 2xx to INVITE/UPDATE
// settles a Session-Expires, the refresher side sends a refresh at half the interval and the
// other side expects one, tearing the dialog down ("Session timer expired") when none comes.

import type { Dialog } from './dialog.js';
import { SipMsg, headerParam } from './sip-msg.js';

export interface SessionTimerConfig {
  /** Smallest Session-Expires we accept (Min-SE); smaller offers get 422. RFC 4028 floor: 90 s. */
  minSE: number;
}

export interface SessionExpires {
  seconds: number;
  refresher: 'uac' | 'uas' | undefined;
}

export function parseSessionExpires(v: string | undefined): SessionExpires | undefined {
  if (!v) return undefined;
  const m = /^\s*(\d+)/.exec(v);
  if (!m) return undefined;
  const r = headerParam(`x${v.slice(m[0].length)}`, 'refresher')?.toLowerCase();
  return { seconds: Number(m[1]), refresher: r === 'uac' || r === 'uas' ? r : undefined };
}

export function supportsTimer(m: SipMsg): boolean {
  return /\btimer\b/i.test(`${m.get('supported') ?? ''},${m.get('require') ?? ''}`);
}

/**
 * The Session-Expires a UAS puts in its 2xx when the app gave none but the UAC asked for
 * session timers: the UAC's interval, refreshed by the UAC when it supports timers.
 */
export function answerSessionExpires(req: SipMsg): { value: string; requireTimer: boolean } | undefined {
  const se = parseSessionExpires(req.get('session-expires'));
  if (!se) return undefined;
  const refresher = se.refresher ?? (supportsTimer(req) ? 'uac' : 'uas');
  return { value: `${se.seconds};refresher=${refresher}`, requireTimer: refresher === 'uac' };
}

/** Arms (or re-arms) the dialog's session timer from a settled 2xx. */
export function armSessionTimer(
  d: Dialog,
  res: SipMsg,
  weAreUasOfTxn: boolean,
  hooks: { refresh(d: Dialog, seconds: number): void; expire(d: Dialog): void },
): void {
  if (d.sessionTimer !== undefined) {
    d.timers.cancel(d.sessionTimer);
    d.sessionTimer = undefined;
  }
  const se = parseSessionExpires(res.get('session-expires'));
  if (!se || d.terminated) return;
  const refresher = se.refresher ?? 'uac';
  const weRefresh = (refresher === 'uas') === weAreUasOfTxn;
  const ms = weRefresh ? (se.seconds * 1000) / 2 : se.seconds * 1000 - Math.min(32_000, (se.seconds * 1000) / 3);
  d.sessionTimer = d.timers.after(ms, () => {
    d.sessionTimer = undefined;
    if (d.terminated) return;
    if (weRefresh) hooks.refresh(d, se.seconds);
    else hooks.expire(d);
  });
}
