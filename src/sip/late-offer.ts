// Late offer (RFC 3261 §13.2.1, RFC 3264): an INVITE without SDP gets the offer in our 200 and
// the answer in the ACK. Checking that answer, and the answer we put in an ACK when a call must
// end before it could answer an offer properly (every stream refused, RFC 3264 §6). Pure.

import { Cause } from '../call/causes.js';
import { SignalingError } from '../errors.js';
import { checkOffer } from './offer-check.js';
import { parseSdp, serializeSdp, type SessionDescription } from './sdp.js';
import type { TrunkSettings } from './trunk-profiles.js';

/**
 * The SDP answer a late-offer ACK carries, or a SignalingError saying why it cannot be used:
 * no body (cause 127, interworking) or an unusable SDP (cause 88, incompatible destination).
 */
export function lateAnswerFromAck(contentType: string | undefined, body: string | undefined, settings: TrunkSettings): string | SignalingError {
  if (body === undefined || body.trim() === '') {
    return new SignalingError('late offer: the ACK carried no SDP answer', { q850Cause: Cause.INTERWORKING });
  }
  const problem = checkOffer(contentType, body, settings);
  if (problem) {
    return new SignalingError(`late offer: bad SDP answer in the ACK: ${problem.text}`, { q850Cause: Cause.INCOMPATIBLE_DESTINATION });
  }
  return body;
}

/**
 * An answer to `offer` that refuses every stream (port 0, one format each, no attributes): what
 * the ACK to a late-offer 200 carries when the call ends before it has a real answer, so the
 * far end gets a well-formed answer and then our BYE.
 */
export function refusingAnswer(offer: string): string {
  let s: SessionDescription;
  try {
    s = parseSdp(offer);
  } catch {
    return 'v=0\r\no=spangate 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n';
  }
  const out: SessionDescription = {
    origin: { username: 'spangate', sessionId: '1', sessionVersion: '1', addrType: s.origin.addrType, address: s.origin.addrType === 'IP6' ? '::' : '0.0.0.0' },
    sessionName: '-',
    connection: { addrType: s.origin.addrType, address: s.origin.addrType === 'IP6' ? '::' : '0.0.0.0' },
    bandwidth: [],
    timing: { start: '0', stop: '0' },
    attributes: [],
    media: s.media.map((m) => ({
      type: m.type, port: 0, proto: m.proto, formats: m.formats.slice(0, 1), bandwidth: [],
      codecs: m.codecs.filter((c) => String(c.pt) === m.formats[0]).slice(0, 1).map((c) => ({ pt: c.pt, name: c.name, clockRate: c.clockRate })), crypto: [], rtcpMux: false, attributes: [],
    })),
  };
  return serializeSdp(out);
}
