// What a SIP leg reads and writes inside an established dialog besides BYE: DTMF in INFO
// bodies, the REFER target, the sipfrag of a transfer NOTIFY, and SDP edits for hold and for
// telling a session refresh from a real offer. Pure functions; src/sip/leg.ts uses them.

import { isDtmfDigit } from '../call/leg.js';
import { parseSdp, serializeSdp, type SdpDirection } from './sdp.js';
import { uriUser } from './addressing.js';
import { replacesInUri, type ReplacesId } from './replaces.js';

export interface InfoDtmf {
  digit: string;
  durationMs: number;
}

const EVENT_DIGITS = '0123456789*#ABCD';
const DEFAULT_DURATION_MS = 100;

/** Maps '10'/'11' (RFC 4733 event numbers some peers send in Signal=) to '*'/'#'. */
function normaliseDigit(v: string): string | undefined {
  const s = v.trim().toUpperCase();
  if (/^\d{2}$/.test(s) && Number(s) < 16) return EVENT_DIGITS[Number(s)];
  return isDtmfDigit(s) ? s : undefined;
}

/**
 * DTMF from an INFO body: `application/dtmf-relay` (`Signal=5\r\nDuration=160`) or
 * `application/dtmf` (the bare digit or event number). Undefined when the type is not one of
 * those; an Error when the type is DTMF but the body is not a digit.
 */
export function parseInfoDtmf(contentType: string | undefined, body: string): InfoDtmf | undefined | Error {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/dtmf-relay') {
    let digit: string | undefined;
    let durationMs = DEFAULT_DURATION_MS;
    for (const line of body.split(/\r?\n/)) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const name = line.slice(0, eq).trim().toLowerCase();
      const value = line.slice(eq + 1).trim();
      if (name === 'signal') digit = normaliseDigit(value);
      if (name === 'duration' && /^\d{1,6}$/.test(value)) durationMs = Number(value);
    }
    return digit === undefined ? new Error('dtmf-relay body without a valid Signal=') : { digit, durationMs };
  }
  if (type === 'application/dtmf') {
    const digit = normaliseDigit(body);
    return digit === undefined ? new Error('application/dtmf body is not a DTMF digit') : { digit, durationMs: DEFAULT_DURATION_MS };
  }
  return undefined;
}

/** The body of an INFO application/dtmf-relay carrying one digit. */
export function infoDtmfBody(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${Math.max(1, Math.round(durationMs))}\r\n`;
}

/** Content-Type and body of an INFO carrying one digit, as `type` says. */
export function infoDtmfMessage(type: 'dtmf-relay' | 'dtmf', digit: string, durationMs: number): { contentType: string; body: string } {
  if (type === 'dtmf') return { contentType: 'application/dtmf', body: `${digit}\r\n` };
  return { contentType: 'application/dtmf-relay', body: infoDtmfBody(digit, durationMs) };
}

export interface ReferTarget {
  /** The user part of the Refer-To URI (the number to transfer to). */
  user: string;
  uri: string;
  /** The dialog an attended transfer replaces (Refer-To carrying Replaces, RFC 5589 §7). */
  replaces?: ReplacesId;
}

/** The transfer target of a REFER's Refer-To header; an Error when it names no number. */
export function parseReferTo(value: string | undefined): ReferTarget | Error {
  if (!value || value.trim() === '') return new Error('REFER without Refer-To');
  const uri = (/<([^>]*)>/.exec(value)?.[1] ?? value.trim()).trim();
  if (!/^(sips?|tel):/i.test(uri)) return new Error(`Refer-To is not a SIP or TEL URI: ${uri.slice(0, 80)}`);
  const user = uriUser(uri);
  const replaces = replacesInUri(uri);
  if (replaces instanceof Error) return replaces;
  // An attended transfer to a dialog we hold needs no number; any other transfer dials one.
  if (!replaces && !/^\+?[0-9*#]{1,32}$/.test(user)) return new Error(`Refer-To names no dialable number: ${uri.slice(0, 80)}`);
  return replaces ? { user, uri, replaces } : { user, uri };
}

/** The message/sipfrag body of a transfer progress NOTIFY (RFC 3515 §2.4.5). */
export function sipfrag(status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason}\r\n`;
}

/** The audio direction of an SDP rewritten to `dir`, with the origin version bumped. */
export function withDirection(sdp: string, dir: SdpDirection): string {
  const s = parseSdp(sdp);
  if (/^\d{1,30}$/.test(s.origin.sessionVersion)) s.origin.sessionVersion = String(BigInt(s.origin.sessionVersion) + 1n);
  delete s.direction;
  for (const m of s.media) if (m.type === 'audio') m.direction = dir;
  return serializeSdp(s);
}

/**
 * A session refresh (RFC 4028) re-sends the previous SDP unchanged: same o= session id and
 * version. Such a re-INVITE/UPDATE is answered with our current SDP and not passed on.
 */
export function isSameSession(previous: string | undefined, next: string): boolean {
  if (!previous) return false;
  const o = (t: string): string | undefined => /^o=\S+ (\S+) (\S+)/m.exec(t)?.slice(1, 3).join(' ');
  const a = o(previous);
  return a !== undefined && a === o(next);
}
