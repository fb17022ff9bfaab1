// tdm: the E1/T1 spans (vspan: CESoPSN over UDP) and the ISDN PRI on each.
// libpri cannot free a controller, so spans are opened once per process: `tdm.spans` is
// restart-required. The `tdm-spans` format checks every span and the list as a whole; it is
// added to the shared format table from here (formats.ts keeps the generic formats).
import { isIP } from 'node:net';
import { FORMATS } from '../formats.js';
import { key } from './key.js';

export const TDM_SWITCHTYPES = ['national', 'dms100', '4ess', '5ess', 'euroisdn', 'qsig'] as const;

/** One span as written in the config file; optional fields take the defaults below. */
export interface TdmSpanConfig {
  /** Name in logs, metrics and `show spans` (a-z, 0-9, -, _). */
  id: string;
  type: 'e1' | 't1';
  /** network: this end is the exchange side of the PRI and the clock master; user: the CPE side. */
  side: 'network' | 'user';
  switchtype: (typeof TDM_SWITCHTYPES)[number];
  localAddress: string;
  /** 0 = ephemeral. */
  localPort: number;
  /** Empty with remotePort 0: the peer is learnt from its first packet. */
  remoteAddress?: string;
  remotePort: number;
  /** The routing trunk (span group) this span's calls belong to: routing.trunks key. */
  trunk: string;
  /** ISO 3166 country for call-progress tones (ringback, busy). */
  country?: string;
  /** Echo canceller tail in ms on this span's B-channels; 0 = off. */
  echoTailMs?: number;
  /** Overlap receiving: wait for more digits until digitTimeoutMs of silence. */
  overlap?: boolean;
  digitTimeoutMs?: number;
  /** CESoPSN frames per packet (125 us each). */
  framesPerPacket?: number;
  jitterPackets?: number;
  losMs?: number;
  clearMs?: number;
  /** Red-alarm integration: calls on the span clear (38) only when an alarm lasts this long. */
  alarmClearMs?: number;
  /** Q.931 T309: how long active calls survive a D-channel (Q.921) loss. */
  t309Ms?: number;
  /**
   * A refused incoming call with no early media from the far side: the caller hears the
   * busy/congestion tone on the B-channel (PROGRESS with progress indicator 8 and the cause)
   * this long before the DISCONNECT; 0 = clear at once.
   */
  rejectToneMs?: number;
}

export type TdmSpan = Required<TdmSpanConfig>;

export const TDM_SPAN_DEFAULTS = {
  remoteAddress: '', country: 'us', echoTailMs: 128, overlap: false, digitTimeoutMs: 5000,
  framesPerPacket: 8, jitterPackets: 4, losMs: 500, clearMs: 200, alarmClearMs: 2500, t309Ms: 6000,
  rejectToneMs: 5000,
} as const;

const INT_RANGES: Record<string, [number, number]> = {
  localPort: [0, 65535], remotePort: [0, 65535], echoTailMs: [0, 256], digitTimeoutMs: [500, 60_000],
  framesPerPacket: [1, 64], jitterPackets: [1, 32], losMs: [50, 60_000], clearMs: [10, 60_000],
  alarmClearMs: [1, 600_000], t309Ms: [1000, 600_000], rejectToneMs: [0, 60_000],
};
const KNOWN = new Set([
  'id', 'type', 'side', 'switchtype', 'localAddress', 'localPort', 'remoteAddress', 'remotePort', 'trunk',
  'country', 'echoTailMs', 'overlap', 'digitTimeoutMs', 'framesPerPacket', 'jitterPackets', 'losMs', 'clearMs', 'alarmClearMs', 't309Ms',
  'rejectToneMs',
]);

/** Checks one span; throws an Error whose message names the span and the field. */
export function checkSpan(v: unknown, index: number): TdmSpan {
  const where = `span ${index}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where} must be an object`);
  const s = { ...TDM_SPAN_DEFAULTS, ...(v as Record<string, unknown>) } as Record<string, unknown>;
  const name = typeof s.id === 'string' ? `span ${s.id}` : where;
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new Error(`${name}: unknown field ${k}`);
  if (typeof s.id !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(s.id)) throw new Error(`${where}: id must be 1-32 of a-z, 0-9, -, _`);
  if (s.type !== 'e1' && s.type !== 't1') throw new Error(`${name}: type must be e1 or t1`);
  if (s.side !== 'network' && s.side !== 'user') throw new Error(`${name}: side must be network or user`);
  if (!(TDM_SWITCHTYPES as readonly unknown[]).includes(s.switchtype)) throw new Error(`${name}: switchtype must be one of ${TDM_SWITCHTYPES.join(', ')}`);
  if (typeof s.localAddress !== 'string' || isIP(s.localAddress) === 0) throw new Error(`${name}: localAddress must be an IP address`);
  if (typeof s.remoteAddress !== 'string' || (s.remoteAddress !== '' && isIP(s.remoteAddress) === 0)) {
    throw new Error(`${name}: remoteAddress must be an IP address (or empty to learn the peer)`);
  }
  for (const [k, [min, max]] of Object.entries(INT_RANGES)) {
    const x = s[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw new Error(`${name}: ${k} must be an integer ${min}-${max}`);
  }
  if (s.remotePort !== 0 && s.remoteAddress === '') throw new Error(`${name}: remotePort needs a remoteAddress`);
  if (s.remotePort === 0 && s.remoteAddress !== '') throw new Error(`${name}: remoteAddress needs a remotePort`);
  if (typeof s.trunk !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(s.trunk)) throw new Error(`${name}: trunk must name a routing trunk`);
  if (typeof s.country !== 'string' || !/^[a-z]{2}$/.test(s.country)) throw new Error(`${name}: country must be a two-letter ISO 3166 code in lower case`);
  if (typeof s.overlap !== 'boolean') throw new Error(`${name}: overlap must be true or false`);
  return s as unknown as TdmSpan;
}

/** Checks the whole list (ids and bound addresses unique) and fills the defaults in. */
export function normalizeSpans(v: unknown): TdmSpan[] {
  if (!Array.isArray(v)) throw new Error('must be a list of spans');
  const spans = v.map((s, i) => checkSpan(s, i));
  const ids = new Set<string>();
  const binds = new Set<string>();
  for (const s of spans) {
    if (ids.has(s.id)) throw new Error(`span id ${s.id} is used twice`);
    ids.add(s.id);
    if (s.localPort !== 0) {
      const b = `${s.localAddress}:${s.localPort}`;
      if (binds.has(b)) throw new Error(`span ${s.id}: ${b} is bound by another span`);
      binds.add(b);
    }
  }
  if (spans.length > 32) throw new Error('at most 32 spans');
  return spans;
}

FORMATS['tdm-spans'] ??= {
  check: (v) => { normalizeSpans(v); },
  coerce: (s) => JSON.parse(s) as unknown,
};

export const tdmSchema = {
  spans: key<TdmSpanConfig[]>({
    doc: 'E1/T1 spans (vspan: CESoPSN over UDP) with ISDN PRI: [{ "id": "pstn1", "type": "e1", "side": "user", "switchtype": "euroisdn", "localAddress": "127.0.0.1", "localPort": 62000, "remoteAddress": "127.0.0.2", "remotePort": 62000, "trunk": "pstn", "country": "de", "echoTailMs": 128 }]. Optional: overlap, digitTimeoutMs, framesPerPacket, jitterPackets, losMs (no packets this long: LOS), clearMs (flow this long clears it), alarmClearMs (an alarm must last this long before the span\'s calls clear with 38; default 2500, the T1/E1 red-alarm integration time), t309Ms (Q.931 T309: active calls survive a D-channel loss this long; default 6000), rejectToneMs (a refused incoming call without early media from the far side hears the busy or congestion tone in-band this long, announced by PROGRESS with progress indicator 8 and the cause, before the DISCONNECT; default 5000, 0 = clear at once). Spans open once per process (libpri cannot free a controller).',
    format: 'tdm-spans', default: [], env: 'SPANGATE_TDM_SPANS', reloadable: false,
  }),
  rtp: {
    address: key<string>({
      doc: 'Address the RTP endpoints of B-channels in PRI⇄SIP calls bind to and write into SDP (their peer is the media relay, which anchors the SIP side). Empty = media.rtpengine.interface.',
      format: 'optional-ip-address', default: '', env: 'SPANGATE_TDM_RTP_ADDRESS', reloadable: false,
    }),
    portMin: key<number>({
      doc: 'Lowest RTP port of those endpoints (even RTP, odd RTCP); keep the range apart from media.rtpengine.portMin-portMax.',
      format: 'udp-port', default: 40000, env: 'SPANGATE_TDM_RTP_PORT_MIN', reloadable: false,
    }),
    portMax: key<number>({
      doc: 'Highest RTP port of those endpoints (two per B-channel in a PRI⇄SIP call).',
      format: 'udp-port', default: 40999, env: 'SPANGATE_TDM_RTP_PORT_MAX', reloadable: false,
    }),
  },
};

/** Cross-key checks of the tdm section. */
export function tdmRules(t: { rtp: { portMin: number; portMax: number } }): [string, string][] {
  const out: [string, string][] = [];
  if (t.rtp.portMin < 1024) out.push(['tdm.rtp.portMin', 'must be 1024 or above']);
  if (t.rtp.portMax - t.rtp.portMin < 3) out.push(['tdm.rtp.portMax', 'must be at least 3 above tdm.rtp.portMin (one call: 2 ports)']);
  return out;
}

