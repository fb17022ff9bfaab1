// The text messages of the drachtio control protocol (shared/drachtio-protocol.md §2.2–2.3).
// Payload = `<msgId>|<type>|<tokens...>`, optionally followed by CRLF and a raw SIP message.

import { randomBytes } from 'node:crypto';
import { SignalingError } from '../../../errors.js';

export type AppMessage =
  | { kind: 'authenticate'; id: string; secret: string; tags: string[] }
  | { kind: 'route'; id: string; verb: string }
  | { kind: 'remove_route'; id: string; verb: string }
  | { kind: 'ping'; id: string }
  | { kind: 'sip'; id: string; txnId: string; dialogId: string; routeUri: string; raw: string }
  | { kind: 'proxy'; id: string; proxy: ProxyArgs; raw: string }
  | { kind: 'unknown'; id: string; type: string };

export interface ProxyArgs {
  txnId: string;
  remainInDialog: boolean;
  fullResponse: boolean;
  followRedirects: boolean;
  simultaneous: boolean;
  provisionalTimeoutMs: number;
  finalTimeoutMs: number;
  destinations: string[];
}

/** Parses `5s`, `1500ms`, `2` (seconds) into milliseconds; empty or bad → fallback. */
export function parseDuration(s: string, fallbackMs: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(s);
  if (!m) return fallbackMs;
  const v = Number(m[1]);
  return m[2] && m[2].toLowerCase() === 'ms' ? v : v * 1000;
}

/** Parses one app→server payload. Throws SignalingError when it has no id or type. */
export function parseAppMessage(payload: string): AppMessage {
  const crlf = payload.indexOf('\r\n');
  const leader = crlf < 0 ? payload : payload.slice(0, crlf);
  const raw = crlf < 0 ? '' : payload.slice(crlf + 2);
  const t = leader.split('|');
  if (t.length < 2 || t[0] === '') throw new SignalingError('control message without id or type');
  const id = t[0];
  switch (t[1]) {
    case 'authenticate':
      return { kind: 'authenticate', id, secret: t[2] ?? '', tags: (t[3] ?? '').split(',').filter((x) => x !== '') };
    case 'route':
      return { kind: 'route', id, verb: (t[2] ?? '').toLowerCase() };
    case 'remove_route':
      return { kind: 'remove_route', id, verb: (t[2] ?? '').toLowerCase() };
    case 'ping':
      return { kind: 'ping', id };
    case 'sip':
      return { kind: 'sip', id, txnId: t[2] ?? '', dialogId: t[3] ?? '', routeUri: t[4] ?? '', raw };
    case 'proxy':
      return {
        kind: 'proxy',
        id,
        raw,
        proxy: {
          txnId: t[2] ?? '',
          remainInDialog: t[3] === 'remainInDialog',
          fullResponse: t[4] === 'fullResponse',
          followRedirects: t[5] === 'followRedirects',
          simultaneous: t[6] === 'simultaneous',
          provisionalTimeoutMs: parseDuration(t[7] ?? '', 0),
          finalTimeoutMs: parseDuration(t[8] ?? '', 0),
          destinations: t.slice(9).filter((x) => x !== ''),
        },
      };
    default:
      return { kind: 'unknown', id, type: t[1] };
  }
}

/** Where a SIP message came from or went to, as the `sip` and `response` frames carry it. */
export interface WireMeta {
  source: 'network' | 'application';
  bytes: number;
  proto: string;
  address: string;
  port: number;
  /** `HH:MM:SS.uuuuuu` UTC. */
  time: string;
}

/** `HH:MM:SS.uuuuuu` in UTC, as drachtio prints it. */
export function wireTime(d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}`;
}

// Ids are opaque to srf (drachtio uses UUIDs): a per-process random prefix and a counter are
// as unique, and cost a fraction of a UUID per frame.
const ID_PREFIX = randomBytes(8).toString('hex') + '-';
let idCounter = 0;

/** A process-unique opaque id for message, transaction and frame ids. */
export function newId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return ID_PREFIX + idCounter.toString(36);
}

function metaTokens(m: WireMeta): string {
  return `${m.source}|${m.bytes}|${m.proto}|${m.address}|${m.port}|${m.time}`;
}

/** `<sid>|sip|<meta>|<txnId>|<dialogId>|[<recvHost>|<recvPort>|]` + CRLF + raw. */
export function buildSipEvent(
  meta: WireMeta,
  txnId: string,
  dialogId: string,
  raw: string,
  receivedOn?: { host: string; port: number },
): string {
  const recv = receivedOn ? `${receivedOn.host}|${receivedOn.port}|` : '';
  return `${newId()}|sip|${metaTokens(meta)}|${txnId}|${dialogId}|${recv}\r\n${raw}`;
}

/** Reply to an app message: `<sid>|response|<appMsgId>|<tokens...>` (+ CRLF + raw). */
export function buildResponse(appMsgId: string, tokens: string[], raw?: string): string {
  const head = `${newId()}|response|${appMsgId}|${tokens.join('|')}`;
  return raw === undefined ? head : `${head}\r\n${raw}`;
}

/** Echo of a request the app asked us to send. */
export function requestEcho(appMsgId: string, meta: WireMeta, txnId: string, raw: string): string {
  return buildResponse(appMsgId, ['OK', metaTokens(meta), txnId, 'Msg sent:', ''], raw);
}

/** Echo of a response the app asked us to send (note the extra empty token). */
export function responseEcho(appMsgId: string, meta: WireMeta, txnId: string, dialogId: string, raw: string): string {
  return buildResponse(appMsgId, ['OK', metaTokens(meta), txnId, dialogId, '', 'Msg sent:', ''], raw);
}

/** One final response relayed by the proxy; `continue` keeps srf's callback alive. */
export function proxyResponse(appMsgId: string, meta: WireMeta, raw: string): string {
  return buildResponse(appMsgId, ['OK', metaTokens(meta), '', '', 'continue'], raw);
}

export function failure(appMsgId: string, reason: string, status: 'NO' | 'NOK' = 'NOK'): string {
  return buildResponse(appMsgId, [status, reason.replace(/[|\r\n]/g, ' ')]);
}

export type CdrKind = 'attempt' | 'start' | 'stop';

/** `cdr:attempt|<source>|<time>`, `cdr:start|…|<role>`, `cdr:stop|…|<reason>` + CRLF + raw. */
export function buildCdr(kind: CdrKind, source: 'network' | 'application', extra: string | undefined, raw: string): string {
  const tail = kind === 'attempt' ? '' : `|${extra ?? ''}`;
  return `${newId()}|cdr:${kind}|${source}|${wireTime()}${tail}\r\n${raw}`;
}
