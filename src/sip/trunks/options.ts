// One OPTIONS keepalive probe through drachtio-srf: `sip:<host>:<port>;transport=<t>` with our
// Contact. Any final answer proves the peer alive (a 404 or 405 still means a SIP stack is
// there) except 408 and 503, which the edge also synthesises itself for a timeout or a
// transport failure; no answer within timeoutMs is a failure too.

import type Srf from 'drachtio-srf';
import type { TrunkClock } from './clock.js';

/** What an OPTIONS probe needs of drachtio-srf (Srf fits; tests pass a fake). */
export interface OptionsSrf {
  request(uri: string, opts: { method: string; headers: Record<string, string> }): Promise<ResponseSource>;
}

interface ResponseSource {
  on(event: 'response', fn: (res: { status: number; reason?: string }) => void): unknown;
}

export type ProbeResult =
  /** The peer answered (any status except 408/503). */
  | { kind: 'alive'; status: number; rttMs: number }
  /** No answer in time, or a 408/503 (timeout or transport failure at the edge, or the peer overloaded). */
  | { kind: 'failed'; detail: string }
  /** The request could not be handed to the edge (srf not connected): says nothing about the peer. */
  | { kind: 'local'; detail: string };

export interface ProbeTarget {
  /** URI host part (IPv6 bracketed). */
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
}

export function optionsUri(t: ProbeTarget): string {
  return `sip:${t.host}:${t.port};transport=${t.transport}`;
}

/**
 * Our Contact: with a contact FQDN (Teams checks it against the certificate), that name and
 * the port we listen on for this transport when known, without a user part (Direct Routing's
 * OPTIONS carry `Contact: sip:sbc.example.com:5061;transport=tls`: the host is the resource);
 * else the edge fills in its own address (`localhost` is replaced by the listening host:port,
 * as drachtio-server does).
 */
export function contactFor(t: ProbeTarget, contactFqdn: string, localPort: number | undefined): string {
  if (contactFqdn === '') return `<sip:spangate@localhost;transport=${t.transport}>`;
  return `<sip:${contactFqdn}${localPort ? `:${localPort}` : ''};transport=${t.transport}>`;
}

/**
 * Our From: on a trunk with a contact FQDN that name, as in calls (Direct Routing matches the
 * SBC by it); else `localhost`, which the edge replaces with its own address.
 */
export function fromFor(contactFqdn: string): string {
  return `<sip:spangate@${contactFqdn === '' ? 'localhost' : contactFqdn}>`;
}

export function probe(
  srf: Srf, t: ProbeTarget, o: { contact: string; from?: string; timeoutMs: number; clock: TrunkClock },
): Promise<ProbeResult> {
  const app = srf as unknown as OptionsSrf;
  const started = o.clock.now();
  return new Promise<ProbeResult>((resolve) => {
    let sent = false;
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      o.clock.clearTimeout(timer);
      resolve(r);
    };
    const timer = o.clock.setTimeout(() => {
      finish(sent ? { kind: 'failed', detail: `no answer to OPTIONS in ${o.timeoutMs} ms` } : { kind: 'local', detail: 'OPTIONS not handed to the SIP edge in time' });
    }, o.timeoutMs);
    const uri = optionsUri(t);
    let pending: Promise<ResponseSource>;
    try {
      pending = app.request(uri, {
        method: 'OPTIONS',
        headers: { To: `<${uri}>`, From: o.from ?? fromFor(''), Contact: o.contact, 'Max-Forwards': '70' },
      });
    } catch (err) {
      finish({ kind: 'local', detail: `cannot send OPTIONS: ${(err as Error).message}` });
      return;
    }
    pending.then((req) => {
      sent = true;
      req.on('response', (res) => {
        if (res.status < 200) return;
        if (res.status === 408 || res.status === 503) finish({ kind: 'failed', detail: `OPTIONS answered ${res.status}${res.reason ? ` ${res.reason}` : ''}` });
        else finish({ kind: 'alive', status: res.status, rttMs: Math.max(0, o.clock.now() - started) });
      });
    }, (err: unknown) => finish({ kind: 'local', detail: `cannot send OPTIONS: ${(err as Error)?.message ?? String(err)}` }));
  });
}
