// SDP edits for a leg that signals DTMF by SIP INFO facing an RFC 4733 leg on rtpengine.
// rtpengine 10.5 handles (logs, blocks) RFC 4733 events only when both legs negotiated
// telephone-event; toward a leg without it, it forwards them untouched as an unknown payload type
// or renders them as in-band tones (measured on loopback; `block DTMF` stops neither). So
// rtpengine is always shown telephone-event on the INFO leg, and the INFO leg is never shown
// it: it signals digits by INFO only and never receives events (they are blocked).

import { audioMedia, parseSdp, serializeSdp } from '../sip/sdp.js';

function isTe(name: string): boolean {
  return name.toLowerCase() === 'telephone-event';
}

/** The telephone-event payload type of the first audio section, if it has one. */
export function telephoneEventPt(sdp: string): number | undefined {
  const m = audioMedia(parseSdp(sdp));
  return m?.codecs.find((c) => isTe(c.name) && c.clockRate === 8000)?.pt ?? m?.codecs.find((c) => isTe(c.name))?.pt;
}

/**
 * `sdp` with telephone-event/8000 (events 0-16) in its first audio section, under `pt` (the one
 * an offer gave it, for an answer) or a free dynamic payload type (101 first). Unchanged when it
 * has telephone-event already or no audio section.
 */
export function withTelephoneEvent(sdp: string, pt?: number): string {
  const s = parseSdp(sdp);
  const m = audioMedia(s);
  if (!m || m.codecs.some((c) => isTe(c.name))) return sdp;
  const used = new Set(m.formats.map(Number));
  let p = pt;
  if (p === undefined || used.has(p)) {
    p = [101, ...Array.from({ length: 32 }, (_, i) => 96 + i)].find((x) => !used.has(x));
    if (p === undefined) return sdp;
  }
  m.formats.push(String(p));
  m.codecs.push({ pt: p, name: 'telephone-event', clockRate: 8000, fmtp: '0-16' });
  return serializeSdp(s);
}

/** `sdp` without telephone-event in its first audio section (unchanged when it has none). */
export function withoutTelephoneEvent(sdp: string): string {
  const s = parseSdp(sdp);
  const m = audioMedia(s);
  if (!m) return sdp;
  const te = new Set(m.codecs.filter((c) => isTe(c.name)).map((c) => String(c.pt)));
  if (te.size === 0 || te.size === m.formats.length) return sdp;
  m.formats = m.formats.filter((f) => !te.has(f));
  m.codecs = m.codecs.filter((c) => !te.has(String(c.pt)));
  return serializeSdp(s);
}
