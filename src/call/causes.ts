// Q.850 cause ⇄ SIP status: the one place spangate maps between them.
// Q.850 → SIP follows RFC 3398 §8.2.6.1; SIP → Q.850 follows RFC 3398 §7.2.4.1, with the gaps
// it leaves (487, 488, 606, 3xx) filled the way RFC 4497 and common gateways do.
// A Reason header with protocol Q.850 (RFC 3326, RFC 6432) wins over the status mapping.

/** Q.850 cause values spangate uses by name. */
export const Cause = {
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_TRANSIT_NET: 2,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  REDIRECTION: 23,
  EXCHANGE_ROUTING_ERROR: 25,
  NON_SELECTED_USER_CLEARING: 26,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  NORMAL_UNSPECIFIED: 31,
  NO_CIRCUIT_AVAILABLE: 34,
  NETWORK_OUT_OF_ORDER: 38,
  TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  RESOURCE_UNAVAILABLE: 47,
  INCOMING_BARRED_CUG: 55,
  BEARER_NOT_AUTHORIZED: 57,
  BEARER_NOT_AVAILABLE: 58,
  SERVICE_UNAVAILABLE: 63,
  BEARER_NOT_IMPLEMENTED: 65,
  RESTRICTED_DIGITAL_ONLY: 70,
  SERVICE_NOT_IMPLEMENTED: 79,
  NOT_CUG_MEMBER: 87,
  INCOMPATIBLE_DESTINATION: 88,
  RECOVERY_ON_TIMER_EXPIRY: 102,
  PROTOCOL_ERROR: 111,
  INTERWORKING: 127,
} as const;

const CAUSE_TEXT: Record<number, string> = {
  1: 'Unallocated (unassigned) number',
  2: 'No route to specified transit network',
  3: 'No route to destination',
  16: 'Normal call clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'No answer from user (user alerted)',
  20: 'Subscriber absent',
  21: 'Call rejected',
  22: 'Number changed',
  23: 'Redirection to new destination',
  25: 'Exchange routing error',
  26: 'Non-selected user clearing',
  27: 'Destination out of order',
  28: 'Invalid number format (address incomplete)',
  29: 'Facility rejected',
  31: 'Normal, unspecified',
  34: 'No circuit/channel available',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  44: 'Requested circuit/channel not available',
  47: 'Resource unavailable, unspecified',
  50: 'Requested facility not subscribed',
  55: 'Incoming calls barred within CUG',
  57: 'Bearer capability not authorized',
  58: 'Bearer capability not presently available',
  63: 'Service or option not available, unspecified',
  65: 'Bearer capability not implemented',
  70: 'Only restricted digital information bearer capability is available',
  79: 'Service or option not implemented, unspecified',
  87: 'User not member of CUG',
  88: 'Incompatible destination',
  95: 'Invalid message, unspecified',
  102: 'Recovery on timer expiry',
  111: 'Protocol error, unspecified',
  127: 'Interworking, unspecified',
};

/** RFC 3398 §8.2.6.1. Cause 16 has no response (it ends an answered call with BYE). */
const Q850_TO_SIP: Record<number, number> = {
  1: 404, 2: 404, 3: 404,
  17: 486, 18: 408, 19: 480, 20: 480, 21: 403, 22: 410, 23: 410,
  25: 483, 26: 404, 27: 502, 28: 484, 29: 501, 31: 480,
  34: 503, 38: 503, 41: 503, 42: 503, 44: 503, 47: 503,
  55: 403, 57: 403, 58: 503, 63: 503, 65: 488, 70: 488, 79: 501,
  87: 403, 88: 503, 102: 504, 111: 500, 127: 500,
};

/** RFC 3398 §7.2.4.1, plus 487/488/606 and the classes for codes it does not list. */
const SIP_TO_Q850: Record<number, number> = {
  400: 41, 401: 21, 402: 21, 403: 21, 404: 1, 405: 63, 406: 79, 407: 21, 408: 102,
  410: 22, 413: 127, 414: 127, 415: 79, 416: 127, 420: 127, 421: 127, 423: 127,
  480: 18, 481: 41, 482: 25, 483: 25, 484: 28, 485: 1, 486: 17,
  // 487 is our own CANCEL coming back; the caller gave up. 488/606: no common codec or media.
  487: 16, 488: 65,
  500: 41, 501: 79, 502: 38, 503: 41, 504: 102, 505: 127, 513: 127,
  600: 17, 603: 21, 604: 1, 606: 65,
};

/** The text Q.850 gives a cause, or "Cause N" when it is not one spangate knows. */
export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? `Cause ${cause}`;
}

/**
 * The SIP final response for a failed call with this Q.850 cause (RFC 3398). Unknown causes
 * map by the Q.850 class: normal events 480, resources and unavailable services 503,
 * unimplemented services 501, invalid messages, protocol errors and interworking 500.
 */
export function q850ToSip(cause: number): number {
  const s = Q850_TO_SIP[cause];
  if (s !== undefined) return s;
  if (cause === 16) return 480; // only reached when a call is rejected with "normal clearing"
  if (cause >= 1 && cause <= 31) return 480;
  if (cause >= 32 && cause <= 47) return 503;
  if (cause >= 48 && cause <= 63) return 503;
  if (cause >= 64 && cause <= 79) return 501;
  return 500;
}

/** The Q.850 cause for a SIP final response status (RFC 3398), by class when not listed. */
export function sipToQ850(status: number): number {
  const c = SIP_TO_Q850[status];
  if (c !== undefined) return c;
  if (status >= 300 && status < 400) return Cause.REDIRECTION;
  if (status >= 400 && status < 500) return Cause.INTERWORKING;
  if (status >= 500 && status < 600) return Cause.TEMPORARY_FAILURE;
  if (status >= 600 && status < 700) return Cause.CALL_REJECTED;
  return Cause.INTERWORKING;
}

export interface ReasonQ850 {
  cause: number;
  text?: string;
}

/**
 * The Q.850 cause in a SIP Reason header value (RFC 3326), e.g.
 * `Q.850;cause=17;text="User busy"`. The header may list several reasons separated by commas;
 * the first Q.850 one is returned. Anything else (SIP reasons, garbage) gives undefined.
 */
export function parseReasonQ850(header: string | string[] | undefined): ReasonQ850 | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  for (const v of values) {
    for (const part of splitOutsideQuotes(v, ',')) {
      const fields = splitOutsideQuotes(part, ';').map((f) => f.trim());
      if ((fields[0] ?? '').toUpperCase() !== 'Q.850') continue;
      let cause: number | undefined;
      let text: string | undefined;
      for (const f of fields.slice(1)) {
        const eq = f.indexOf('=');
        if (eq < 0) continue;
        const name = f.slice(0, eq).trim().toLowerCase();
        const val = f.slice(eq + 1).trim();
        if (name === 'cause' && /^\d{1,3}$/.test(val) && Number(val) <= 127) cause = Number(val);
        if (name === 'text') text = val.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
      }
      if (cause !== undefined) return text === undefined ? { cause } : { cause, text };
    }
  }
  return undefined;
}

/** A Reason header value carrying a Q.850 cause (RFC 3326/6432). */
export function formatReasonQ850(cause: number): string {
  return `Q.850;cause=${cause};text="${causeText(cause).replace(/["\\]/g, '')}"`;
}

/** The cause of a failed SIP attempt: the Reason header's Q.850 cause when present, else the status. */
export function causeFromSipFailure(status: number, reason?: string | string[]): number {
  return parseReasonQ850(reason)?.cause ?? sipToQ850(status);
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && quoted && i + 1 < s.length) { cur += ch + s[++i]; continue; }
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out;
}
