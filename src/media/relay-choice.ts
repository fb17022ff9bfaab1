// Which media relay anchors a call. The daemon can run two: rtpengine and the native engine
// (src/media/native-relay.ts). Each trunk names one (sip.trunks.<id>.mediaRelay, else
// media.relay); the dispatcher asks once per call, before any SDP moves, with the inbound leg's
// trunk and every route target's trunk (failover targets included: the session stays on one
// relay for the whole call, transfers too).
//
// The rule, in order:
//   1. every trunk of the call says native, the native relay runs and it can serve every leg
//      (see nativeCanServe) → native;
//   2. rtpengine is up → rtpengine (it does everything: G.729, SRTP toward any trunk, in-band
//      and INFO DTMF interworking, …), also for calls where only one trunk says native and for
//      all-native calls with a leg the native relay cannot serve;
//   3. rtpengine is not up (not configured for any trunk, or down) and the native relay can
//      serve every leg (see nativeCanServe) → native;
//   4. otherwise no relay: the call is refused with cause 47 (SIP 503).
// Pure: no I/O; the relays arrive as values.

import type { LegMediaOptions, MediaRelay } from './relay.js';

export type RelayName = 'rtpengine' | 'native';

/** One leg of the call as the chooser sees it. */
export interface RelayLeg {
  trunk: string;
  /** The relay the trunk asks for (its mediaRelay, or media.relay). */
  prefers: RelayName;
  options: LegMediaOptions;
}

export interface RelaysAvailable {
  /** rtpengine when it is in use and answering; undefined otherwise. */
  rtpengine?: MediaRelay | undefined;
  /** The native relay when its engine runs; undefined otherwise. */
  native?: MediaRelay | undefined;
}

export interface RelayChoice {
  relay: MediaRelay | undefined;
  /** Why, for the call's log line. */
  reason: string;
}

/** Codecs the native engine encodes and decodes (transcoding targets, src/media/native-relay.ts). */
const NATIVE_CODECS = new Set(['PCMU', 'PCMA', 'G722', 'OPUS']);
const NATIVE_SUITES = new Set(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);

/**
 * True when the native relay can anchor a leg with these options: its codec list (when it has
 * one) holds a codec the engine can transcode to, its SRTP suites (when SRTP) one the engine
 * has, and its DTMF is RFC 4733 or INFO (interworked both ways; the engine does not generate
 * in-band digits toward a SIP leg yet).
 * Returns the reason when it cannot.
 */
export function nativeCanServe(o: LegMediaOptions): string | undefined {
  if (o.codecs && !o.codecs.some((c) => NATIVE_CODECS.has(c.toUpperCase()))) {
    return `no native codec in ${o.codecs.join(',')}`;
  }
  if (o.transport === 'RTP/SAVP' && o.srtpSuites && !o.srtpSuites.some((s) => NATIVE_SUITES.has(s))) {
    return `no native SRTP suite in ${o.srtpSuites.join(',')}`;
  }
  if (o.dtmf === 'inband') return 'DTMF inband needs rtpengine';
  return undefined;
}

/** Applies the rule above to a call's legs. */
export function chooseRelay(legs: readonly RelayLeg[], have: RelaysAvailable): RelayChoice {
  const allNative = legs.length > 0 && legs.every((l) => l.prefers === 'native');
  // The first leg the native relay cannot serve, with the reason (only asked when it runs).
  let cannot: string | undefined;
  if (have.native) {
    for (const l of legs) {
      const why = nativeCanServe(l.options);
      if (why) { cannot = `the native relay cannot serve trunk ${l.trunk}: ${why}`; break; }
    }
  }
  if (allNative && have.native && !cannot) return { relay: have.native, reason: 'every trunk of the call uses the native relay' };
  if (have.rtpengine) {
    let reason = 'a trunk of the call uses rtpengine';
    if (allNative) reason = cannot ? `${cannot}: rtpengine` : 'native relay not running: rtpengine';
    return { relay: have.rtpengine, reason };
  }
  if (have.native) {
    if (cannot) return { relay: undefined, reason: `rtpengine not up and ${cannot}` };
    return { relay: have.native, reason: 'rtpengine not up: the native relay serves every leg' };
  }
  return { relay: undefined, reason: 'no media relay running' };
}
