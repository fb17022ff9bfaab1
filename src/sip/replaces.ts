// The Replaces header (RFC 3891) as attended transfer carries it: escaped in the headers part
// of a REFER's Refer-To URI (RFC 5589 §7: `<sip:300@pbx?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>`),
// and sent on unescaped in the INVITE to the transfer target. Pure functions.

/** The dialog a Replaces header names. */
export interface ReplacesId {
  callId: string;
  /**
   * Tags as the receiver of the Replaces sees them (RFC 3891 §3): `toTag` is compared with the
   * receiver's local tag, `fromTag` with its remote tag.
   */
  toTag: string;
  fromTag: string;
  /** `early-only`: replace the dialog only while it is early (RFC 3891 §6.1). */
  earlyOnly: boolean;
  /** The header value as received (unescaped), to send on unchanged. */
  value: string;
}

const TOKEN_CHAR = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}@]+$/;

/** A Replaces header value (`callid;to-tag=…;from-tag=…[;early-only]`), or an Error saying what is wrong. */
export function parseReplaces(value: string): ReplacesId | Error {
  const v = value.trim();
  const parts = v.split(';').map((p) => p.trim());
  const callId = parts[0] ?? '';
  if (callId === '' || !TOKEN_CHAR.test(callId)) return new Error(`Replaces has no valid Call-ID: ${v.slice(0, 80)}`);
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of parts.slice(1)) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const val = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (name === 'to-tag') {
      if (toTag !== undefined) return new Error('Replaces has more than one to-tag');
      toTag = val;
    } else if (name === 'from-tag') {
      if (fromTag !== undefined) return new Error('Replaces has more than one from-tag');
      fromTag = val;
    } else if (name === 'early-only') {
      earlyOnly = true;
    }
  }
  // Exactly one of each (RFC 3891 §6.1); a tag of "0" stands for RFC 2543 peers' missing tag.
  if (toTag === undefined || toTag === '') return new Error('Replaces without a to-tag');
  if (fromTag === undefined || fromTag === '') return new Error('Replaces without a from-tag');
  return { callId, toTag, fromTag, earlyOnly, value: v };
}

/**
 * The Replaces header in the headers part (`?name=value&…`) of a Refer-To URI, %-escapes
 * undone; undefined when there is none, an Error when it is there but unusable.
 */
export function replacesInUri(uri: string): ReplacesId | undefined | Error {
  const q = uri.indexOf('?');
  if (q < 0) return undefined;
  for (const h of uri.slice(q + 1).split('&')) {
    const eq = h.indexOf('=');
    if (eq < 0 || h.slice(0, eq).trim().toLowerCase() !== 'replaces') continue;
    let value: string;
    try {
      value = decodeURIComponent(h.slice(eq + 1));
    } catch {
      return new Error('Replaces in Refer-To is badly escaped');
    }
    return parseReplaces(value);
  }
  return undefined;
}
