// Shared pieces of the rtpengine integration tests: a supervised rtpengine per test file, UDP
// endpoints that send and count RTP, SDP builders, and a small SRTP (RFC 3711,
// AES_CM_128_HMAC_SHA1_80) implementation on node:crypto used to check rtpengine's SRTP
// independently. Run directly, this file checks that SRTP code against RFC 3711's test vectors.
import t from 'tap';
import dgram from 'node:dgram';
import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { RtpengineSupervisor, type RtpengineOptions, type SupervisorLogger } from '../../src/media/rtpengine-supervisor.js';
import { parseSdp, audioMedia, mediaAddress } from '../../src/sip/sdp.js';
import { linearToUlaw } from '../../src/media/g711.js';

export interface LogLine { level: string; msg: string; obj: object }
export function memoryLogger(lines: LogLine[] = []): SupervisorLogger & { lines: LogLine[] } {
  const put = (level: string) => (obj: object, msg?: string): void => { lines.push({ level, msg: msg ?? '', obj }); };
  return { lines, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

/** Starts a managed rtpengine for one test file and stops it at teardown, pass or fail. */
export async function startRtpengine(tt: { teardown(fn: () => unknown): void }, o: Partial<RtpengineOptions> & { ip: string; ngPort: number; portMin: number; portMax: number }): Promise<{ sup: RtpengineSupervisor; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger();
  const { ip, ...rest } = o;
  const sup = new RtpengineSupervisor({
    mode: 'managed', ngHost: ip, interfaceAddress: ip,
    logLevel: 5, threads: 2, pingIntervalMs: 500, pingTimeoutMs: 1000, startTimeoutMs: 20_000, restartInitialMs: 200, ...rest,
  }, log);
  tt.teardown(() => sup.stop());
  await sup.start();
  return { sup, log };
}

export interface Received { pt: number; seq: number; ssrc: number; payload: Buffer; raw: Buffer }

/** A UDP socket standing for one SIP endpoint's media: it records every RTP packet it receives. */
export class Endpoint {
  readonly sock = dgram.createSocket('udp4');
  readonly got: Received[] = [];
  #waiters: { n: number; pt?: number; resolve: () => void }[] = [];
  transform: ((b: Buffer) => Buffer | undefined) | undefined;
  constructor(readonly ip: string) {
    this.sock.on('message', (m) => {
      const b = this.transform ? this.transform(m) : m;
      if (!b || b.length < 12 || (b[0]! >> 6) !== 2) return;
      const pt = b[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return; // RTCP on a muxed port
      const cc = b[0]! & 0x0f;
      this.got.push({ pt, seq: b.readUInt16BE(2), ssrc: b.readUInt32BE(8), payload: b.subarray(12 + 4 * cc), raw: m });
      this.#waiters = this.#waiters.filter((w) => { if (this.count(w.pt) >= w.n) { w.resolve(); return false; } return true; });
    });
  }
  async bind(): Promise<this> { await new Promise<void>((r) => this.sock.bind(0, this.ip, () => r())); return this; }
  get port(): number { return this.sock.address().port; }
  count(pt?: number): number { return pt === undefined ? this.got.length : this.got.filter((g) => g.pt === pt).length; }
  /** Resolves once n packets (of payload type pt) arrived; rejects after a generous timeout. */
  waitFor(n: number, pt?: number, timeoutMs = 30_000): Promise<void> {
    if (this.count(pt) >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.ip}:${this.port} got ${this.count(pt)} packets${pt === undefined ? '' : ` of pt ${pt}`}, wanted ${n}`)), timeoutMs);
      this.#waiters.push({ n, ...(pt === undefined ? {} : { pt }), resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }
  send(buf: Buffer, port: number, ip: string): Promise<void> {
    return new Promise((r, j) => this.sock.send(buf, port, ip, (e) => (e ? j(e) : r())));
  }
  /** Sends `count` RTP packets paced 20 ms apart (a real stream's pace, so transcoders keep up). */
  async stream(to: { ip: string; port: number }, opts: { pt: number; count: number; ssrc: number; payload: (i: number) => Buffer; tsStep?: number; protect?: (b: Buffer) => Buffer }): Promise<void> {
    for (let i = 0; i < opts.count; i++) {
      let pkt = rtp(opts.pt, 1000 + i, 160 * i * ((opts.tsStep ?? 160) / 160), opts.ssrc, opts.payload(i));
      if (opts.protect) pkt = opts.protect(pkt);
      await this.send(pkt, to.port, to.ip);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  close(): void { try { this.sock.close(); } catch { /* closed */ } }
}

export function rtp(pt: number, seq: number, ts: number, ssrc: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80; h[1] = pt & 0x7f;
  h.writeUInt16BE(seq & 0xffff, 2); h.writeUInt32BE(ts >>> 0, 4); h.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([h, payload]);
}

/** 20 ms of a 1 kHz tone in G.711 µ-law (160 bytes), so codecs have something real to code. */
export function ulawTone(i: number): Buffer {
  const b = Buffer.alloc(160);
  for (let k = 0; k < 160; k++) {
    const s = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (i * 160 + k)) / 8000));
    b[k] = linearToUlaw(s);
  }
  return b;
}

export interface CodecSpec { pt: number; name: string; rate: number; channels?: number; fmtp?: string }
export const PCMU: CodecSpec = { pt: 0, name: 'PCMU', rate: 8000 };
export const G722: CodecSpec = { pt: 9, name: 'G722', rate: 8000 };
export const G729: CodecSpec = { pt: 18, name: 'G729', rate: 8000, fmtp: 'annexb=no' };
export const OPUS: CodecSpec = { pt: 111, name: 'opus', rate: 48000, channels: 2 };
export const TEL: CodecSpec = { pt: 101, name: 'telephone-event', rate: 8000, fmtp: '0-16' };

export function sdp(ip: string, port: number, codecs: CodecSpec[], opts: { proto?: string; crypto?: string; direction?: string } = {}): string {
  const lines = [
    'v=0', `o=- ${port} 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
    `m=audio ${port} ${opts.proto ?? 'RTP/AVP'} ${codecs.map((c) => c.pt).join(' ')}`,
  ];
  for (const c of codecs) {
    lines.push(`a=rtpmap:${c.pt} ${c.name}/${c.rate}${c.channels ? `/${c.channels}` : ''}`);
    if (c.fmtp) lines.push(`a=fmtp:${c.pt} ${c.fmtp}`);
  }
  if (opts.crypto) lines.push(`a=crypto:${opts.crypto}`);
  lines.push('a=ptime:20', `a=${opts.direction ?? 'sendrecv'}`);
  return lines.join('\r\n') + '\r\n';
}

/** Where an SDP says to send RTP, and its codecs by name → payload type. */
export function target(text: string): { ip: string; port: number; proto: string; pts: Record<string, number>; crypto: { suite: string; keyParams: string }[] } {
  const s = parseSdp(text);
  const m = audioMedia(s)!;
  const pts: Record<string, number> = {};
  for (const c of m.codecs) pts[c.name] ??= c.pt;
  return { ip: mediaAddress(s, m)!, port: m.port, proto: m.proto, pts, crypto: m.crypto.map((c) => ({ suite: c.suite, keyParams: c.keyParams })) };
}

// ---- SRTP, RFC 3711, AES_CM_128_HMAC_SHA1_80, no MKI, kdr 0 ----

export interface SrtpKeys { key: Buffer; salt: Buffer; auth: Buffer }

function aesCm(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Session keys from a master key and salt (RFC 3711 §4.3.1). */
export function deriveSrtpKeys(masterKey: Buffer, masterSalt: Buffer): SrtpKeys {
  const prf = (label: number, len: number): Buffer => {
    const x = Buffer.alloc(16);
    masterSalt.copy(x, 0, 0, 14);
    x[7] = x[7]! ^ label;
    return aesCm(masterKey, x, Buffer.alloc(len));
  };
  return { key: prf(0, 16), auth: prf(1, 20), salt: prf(2, 14) };
}

/** Keys from an SDES `inline:<base64>` key-params value. */
export function srtpKeysFromInline(keyParams: string): SrtpKeys {
  const b64 = /^inline:([^|]+)/.exec(keyParams)![1]!;
  const km = Buffer.from(b64, 'base64');
  return deriveSrtpKeys(km.subarray(0, 16), km.subarray(16, 30));
}

function srtpIv(k: SrtpKeys, ssrc: number, index: bigint): Buffer {
  const iv = Buffer.alloc(16);
  k.salt.copy(iv, 0, 0, 14);
  const s = Buffer.alloc(4); s.writeUInt32BE(ssrc >>> 0);
  for (let i = 0; i < 4; i++) iv[4 + i] = iv[4 + i]! ^ s[i]!;
  const ix = Buffer.alloc(8); ix.writeBigUInt64BE(index);
  for (let i = 0; i < 6; i++) iv[8 + i] = iv[8 + i]! ^ ix[2 + i]!;
  return iv;
}

function headerLen(p: Buffer): number {
  let n = 12 + 4 * (p[0]! & 0x0f);
  if (p[0]! & 0x10) n += 4 + 4 * p.readUInt16BE(n + 2);
  return n;
}

/** RTP → SRTP (ROC 0: the tests' streams never wrap their sequence numbers). */
export function srtpProtect(k: SrtpKeys, p: Buffer, roc = 0): Buffer {
  const h = headerLen(p);
  const index = (BigInt(roc) << 16n) | BigInt(p.readUInt16BE(2));
  const enc = aesCm(k.key, srtpIv(k, p.readUInt32BE(8), index), p.subarray(h));
  const body = Buffer.concat([p.subarray(0, h), enc]);
  const r = Buffer.alloc(4); r.writeUInt32BE(roc);
  const tag = createHmac('sha1', k.auth).update(body).update(r).digest().subarray(0, 10);
  return Buffer.concat([body, tag]);
}

/** SRTP → RTP, or undefined when the authentication tag does not verify. */
export function srtpUnprotect(k: SrtpKeys, p: Buffer, roc = 0): Buffer | undefined {
  if (p.length < 22) return undefined;
  const body = p.subarray(0, p.length - 10);
  const r = Buffer.alloc(4); r.writeUInt32BE(roc);
  const want = createHmac('sha1', k.auth).update(body).update(r).digest().subarray(0, 10);
  if (!timingSafeEqual(want, p.subarray(p.length - 10))) return undefined;
  const h = headerLen(body);
  const index = (BigInt(roc) << 16n) | BigInt(body.readUInt16BE(2));
  return Buffer.concat([body.subarray(0, h), aesCm(k.key, srtpIv(k, body.readUInt32BE(8), index), body.subarray(h))]);
}

// Only when this file itself is the test being run: check the SRTP code against RFC 3711.
if (process.argv[1]?.endsWith('rtpengine-harness.test.ts')) {
  t.test('SRTP key derivation matches RFC 3711 appendix B.3', async (t) => {
    const k = deriveSrtpKeys(Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex'), Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex'));
    t.equal(k.key.toString('hex').toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
    t.equal(k.salt.toString('hex').toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
    t.equal(k.auth.toString('hex').toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });
  t.test('SRTP protect/unprotect round trip; a flipped bit fails authentication', async (t) => {
    const inline = `inline:${Buffer.alloc(30, 7).toString('base64')}`;
    const k = srtpKeysFromInline(inline);
    const p = rtp(0, 4242, 160, 0x11223344, ulawTone(3));
    const s = srtpProtect(k, p);
    t.equal(s.length, p.length + 10);
    t.not(s.subarray(12, 172).toString('hex'), p.subarray(12).toString('hex'), 'payload is encrypted');
    t.same(srtpUnprotect(k, s), p);
    s[20] = s[20]! ^ 1;
    t.equal(srtpUnprotect(k, s), undefined);
  });
  t.test('SDP helpers', async (t) => {
    const x = target(sdp('127.0.4.9', 4000, [PCMU, TEL]));
    t.same(x, { ip: '127.0.4.9', port: 4000, proto: 'RTP/AVP', pts: { PCMU: 0, 'telephone-event': 101 }, crypto: [] });
  });
}
