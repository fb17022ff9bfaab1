// Whether an INVITE's SDP offer can become a call, before any call exists: malformed SDP, no
// audio, no codec the relay can handle, or plain RTP where the trunk requires SRTP get 488 with
// a Warning (RFC 3261 §20.43 codes 3xx, 399 for the parser's own words). And whether the SDP
// answer (or early media) of a trunk that requires SRTP keeps its media encrypted. Pure.

import { SdpError, audioMedia, isRtpProto, parseSdp } from './sdp.js';
import type { TrunkSettings } from './trunk-profiles.js';

/** Audio encodings the media relays can receive (and transcode between). */
const RELAY_CODECS = new Set(['pcmu', 'pcma', 'g722', 'g729', 'opus', 'gsm', 'speex']);

export interface OfferProblem {
  /** Warning code: 399 misc (parser), 302 transport, 304 media type, 305 media format. */
  warningCode: number;
  text: string;
}

/**
 * An INVITE without a body is a late offer (RFC 3261 §13.2.1): accepted here, bridged by the
 * call (src/call/call.ts #onLateAnswer). A body is checked as an offer (or, for the answer a
 * late-offer ACK carries, as an answer: the same rules apply).
 */
export function checkOffer(contentType: string | undefined, body: string | undefined, settings: TrunkSettings): OfferProblem | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  const type = (contentType ?? 'application/sdp').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp') return { warningCode: 399, text: `body type ${type} is not application/sdp` };
  let audio;
  try {
    audio = audioMedia(parseSdp(body));
  } catch (e) {
    if (e instanceof SdpError) return { warningCode: 399, text: e.message };
    throw e;
  }
  if (!audio) return { warningCode: 304, text: 'no audio stream offered' };
  if (!isRtpProto(audio.proto)) return { warningCode: 302, text: `transport ${audio.proto} not supported` };
  if (!audio.codecs.some((c) => RELAY_CODECS.has(c.name.toLowerCase()))) {
    return { warningCode: 305, text: `no supported codec offered (${audio.codecs.map((c) => c.name).join(', ') || 'none'})` };
  }
  const srtp = /SAVP/.test(audio.proto);
  if (settings.srtp === 'required' && !srtp) return { warningCode: 302, text: 'this trunk requires SRTP (RTP/SAVP)' };
  if (srtp && !audio.crypto.some((c) => settings.srtpSuites.includes(c.suite))) {
    return { warningCode: 302, text: 'no supported SRTP crypto suite offered' };
  }
  return undefined;
}

/**
 * An SDP answer from a trunk that requires SRTP must be RTP/SAVP with an SDES line of an allowed
 * suite: otherwise media toward it would go in the clear (rtpengine takes a plain answer to an
 * SRTP offer). Trunks whose policy is `off` or `optional` accept any answer.
 */
export function checkSrtpAnswer(body: string | undefined, settings: TrunkSettings): OfferProblem | undefined {
  if (settings.srtp !== 'required') return undefined;
  let audio;
  try {
    audio = body === undefined || body.trim() === '' ? undefined : audioMedia(parseSdp(body));
  } catch (e) {
    if (e instanceof SdpError) return { warningCode: 399, text: `answer: ${e.message}` };
    throw e;
  }
  if (!audio || audio.port === 0) return undefined; // no audio accepted: nothing flows in the clear
  if (!/SAVP/.test(audio.proto)) return { warningCode: 302, text: `this trunk requires SRTP; the answer has ${audio.proto}` };
  if (!audio.crypto.some((c) => settings.srtpSuites.includes(c.suite))) {
    return { warningCode: 302, text: 'the SRTP answer has no allowed crypto suite' };
  }
  return undefined;
}
