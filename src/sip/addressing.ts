// How an outbound INVITE is addressed on a trunk: Request-URI, To, From, Contact, privacy and
// History-Info, built from the numbers the router chose and the trunk's settings. Pure functions
// (no drachtio here) so the header policy is tested on its own.

import { formatNumber, type NumberingPlan } from '../routing/numbers.js';
import type { SipTarget } from './trunk-directory.js';
import type { TrunkSettings } from './trunk-profiles.js';

/** The header spangate puts on its own outbound INVITEs; an inbound INVITE carrying our id looped. */
export const VIA_HEADER = 'X-Spangate-Via';

/** Characters a SIP user part may carry unescaped (RFC 3261 user: unreserved / user-unreserved). */
const USER_CHARS = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%#]+$/;

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A number as a SIP user part: '#' escaped, anything else outside the grammar refused to ''. */
export function sipUser(n: string): string {
  const u = n.replace(/#/g, '%23');
  return USER_CHARS.test(u) ? u : '';
}

export interface OutboundAddressing {
  requestUri: string;
  /**
   * Where to send the INVITE when the Request-URI names the peer by its DNS name (Teams wants
   * its FQDN there) but the directory resolved it to an address: `sip:<ip>:<port>;transport=…`.
   * Over TLS the next hop stays the name (`sip:<name>:<port>;transport=tls`): the edge checks
   * the peer's certificate against the host it was asked to reach, and a certificate such as
   * Teams' names its FQDN, never an address (RFC 5922 §4).
   */
  proxy?: string;
  headers: Record<string, string>;
  /** The numbers as signalled (after the trunk's number format). */
  called: string;
  calling: string;
}

export interface AddressingInput {
  called: string;
  calling: string;
  callingPresentation?: 'allowed' | 'restricted';
  target: SipTarget;
  settings: TrunkSettings;
  plan: NumberingPlan;
  /** Our id for loop detection (X-Spangate-Via). */
  instanceId?: string;
  /** The port our SIP edge listens on for this transport (for a Contact with contactFqdn). */
  localPort?: number;
}

/**
 * Addresses an outbound INVITE. Numbers take the trunk's format (E.164 with '+', national, or
 * as routed); OCS-style trunks get the '+' stripped in the Request-URI only. From carries the
 * calling number, or anonymous with the real identity in P-Asserted-Identity and `Privacy: id`
 * when presentation is restricted (RFC 3323/3325). `@localhost` hosts are filled in by the
 * SIP edge with its own address; a trunk with contactFqdn gets that name in From and Contact.
 */
export function outboundAddressing(i: AddressingInput): OutboundAddressing {
  const s = i.settings;
  const called = formatNumber(i.called, s.numberFormat, i.plan);
  const calling = i.calling === '' ? '' : formatNumber(i.calling, s.numberFormat, i.plan);
  const ruriUser = sipUser(s.stripPlusInRequestUri ? called.replace(/^\+/, '') : called);
  const transportParam = i.target.transport === 'udp' ? '' : `;transport=${i.target.transport}`;
  const named = i.target.name !== undefined && i.target.name !== '' && i.target.name !== i.target.host;
  const host = named ? i.target.name! : hostPart(i.target.host);
  const userParam = /^\+?\d+$/.test(called) ? ';user=phone' : '';
  const requestUri = `sip:${ruriUser}@${host}:${i.target.port}${transportParam}`;
  const ourHost = s.contactFqdn !== '' ? s.contactFqdn : 'localhost';
  const callingUser = sipUser(calling);
  const identity = callingUser === '' ? `<sip:anonymous@${ourHost}>` : `<sip:${callingUser}@${ourHost}${userParam}>`;
  const headers: Record<string, string> = {
    To: `<sip:${sipUser(called)}@${host}${userParam}>`,
  };
  if (i.callingPresentation === 'restricted') {
    headers.From = '"Anonymous" <sip:anonymous@anonymous.invalid>';
    headers.Privacy = 'id';
    if (callingUser !== '') headers['P-Asserted-Identity'] = identity;
  } else {
    headers.From = identity;
  }
  if (s.contactFqdn !== '') {
    const port = i.localPort !== undefined ? `:${i.localPort}` : '';
    headers.Contact = `<sip:${callingUser === '' ? 'spangate' : callingUser}@${s.contactFqdn}${port}${transportParam}>`;
  }
  if (s.historyInfo) headers['History-Info'] = `<${requestUri}>;index=1`;
  if (i.instanceId) headers[VIA_HEADER] = i.instanceId;
  const out: OutboundAddressing = { requestUri, headers, called, calling };
  if (named) out.proxy = `sip:${i.target.transport === 'tls' ? host : hostPart(i.target.host)}:${i.target.port}${transportParam}`;
  return out;
}

/** The user part of a SIP/SIPS/TEL URI inside a header value or bare, unescaped; '' when none. */
export function uriUser(value: string | undefined): string {
  if (!value) return '';
  const inner = /<([^>]*)>/.exec(value)?.[1] ?? value.split(';')[0] ?? '';
  const m = /^\s*(?:sips?:([^@;?>]*)@|tel:([^;?>]*))/i.exec(inner);
  const raw = m?.[1] ?? m?.[2] ?? '';
  try {
    return decodeURIComponent(raw.split(':')[0] ?? '');
  } catch {
    return '';
  }
}

/** True when a comma-separated header value lists `id` (our X-Spangate-Via). */
export function viaLists(header: string | undefined, id: string): boolean {
  if (!header) return false;
  return header.split(',').some((v) => v.trim() === id);
}

/** True when a Require/Supported-style header lists this option tag. */
export function hasOptionTag(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((v) => v.trim().toLowerCase() === tag);
}

/** A Warning header value (RFC 3261 §20.43): code, our host, quoted text. */
export function warning(code: number, agent: string, text: string): string {
  return `${code} ${agent} "${text.replace(/["\\\r\n]/g, ' ').slice(0, 200)}"`;
}
