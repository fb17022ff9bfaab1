// Shared by the sip-edge integration tests (kept here, in the ua test folder): a raw UDP SIP peer and a drachtio-srf app.
import dgram from 'node:dgram';
import { once } from 'node:events';
import Srf from 'drachtio-srf';

export interface RawPeer {
  port: number;
  address: string;
  send(text: string, port: number, address: string): void;
  /** Every message received so far, in order (whether or not `expect` took it). */
  received: string[];
  /** Next received message matching the predicate (waits up to timeoutMs). */
  expect(pred: (text: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function rawPeer(address: string): Promise<RawPeer> {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, address);
  await once(sock, 'listening');
  const inbox: string[] = [];
  const received: string[] = [];
  const waiters: Array<{ pred: (t: string) => boolean; resolve: (t: string) => void }> = [];
  sock.on('message', (b) => {
    const text = b.toString('utf8');
    received.push(text);
    const i = waiters.findIndex((w) => w.pred(text));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(text);
    else inbox.push(text);
  });
  return {
    port: sock.address().port,
    address,
    received,
    send: (text, port, addr) => sock.send(text, port, addr),
    expect: (pred, what, timeoutMs = 15_000) => {
      const i = inbox.findIndex(pred);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (t: string) => { clearTimeout(timer); resolve(t); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => sock.close(),
  };
}

export function request(
  method: string, peer: RawPeer, target: { address: string; port: number }, callId: string,
  opts: { cseq?: number; toTag?: string; branch?: string; extra?: string[]; body?: string } = {},
): string {
  const body = opts.body ?? '';
  return [
    `${method} sip:svc@${target.address}:${target.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=${opts.branch ?? `z9hG4bK${callId}${method}${opts.cseq ?? 1}`};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@${peer.address}>;tag=f-${callId}`,
    `To: <sip:svc@${target.address}>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    `Contact: <sip:caller@${peer.address}:${peer.port}>`,
    ...(opts.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

export const header = (msg: string, name: string): string | undefined =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(msg)?.[1]?.trim();

export const status = (msg: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(msg)?.[1] ?? 0);

export type SrfApp = InstanceType<typeof Srf>;

/** A drachtio-srf app connected to the edge's control port. */
export async function srfApp(port: number, secret: string, setup: (srf: SrfApp) => void): Promise<SrfApp> {
  const srf = new Srf();
  setup(srf);
  const connected = once(srf as unknown as NodeJS.EventEmitter, 'connect');
  srf.connect({ host: '127.0.0.1', port, secret });
  const [err] = await connected;
  if (err) throw err;
  return srf;
}

/**
 * Resolves once the edge has every route an app asked for (srf sends `route|<verb>` after it
 * connects; a request sent before that lands finds no app). Polled, bounded.
 */
export async function waitRouted(edge: { routed(verb: string): boolean }, verbs: string[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!verbs.every((v) => edge.routed(v))) {
    if (Date.now() > end) throw new Error(`the edge has no route for ${verbs.filter((v) => !edge.routed(v)).join(', ')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n';

export interface SrfReq { get(h: string): string; body: string; method: string }
export interface SrfRes { send(status: number, opts?: object): void }
type VerbHandler = (req: SrfReq, res: SrfRes) => void;

/** Registers a verb handler (`srf.options(...)` etc.; the typings name only some verbs). */
export function onVerb(srf: SrfApp, verb: string, fn: VerbHandler): void {
  (srf as unknown as Record<string, (fn: VerbHandler) => void>)[verb](fn);
}

/** Disconnects an app once; srf asserts when its socket is already gone, which is fine here. */
export function disconnect(srf: SrfApp): void {
  const s = srf as unknown as { __gone?: boolean };
  if (s.__gone) return;
  s.__gone = true;
  try {
    srf.disconnect();
  } catch {
    // the edge closed the socket first
  }
}
