// Digest authentication of a trunk's requests (RFC 3261 §22, RFC 2617 / RFC 7616 MD5 with
// qop=auth). Nonces are stateless: a timestamp and random bytes signed with an HMAC key held
// in memory, so any number of challenges costs no state and an expired nonce is recognised
// (and answered with stale=true) without a table. A restart changes the key: outstanding
// nonces then fail the signature check and get a fresh challenge, never a 403.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** Header parameters of `Digest k=v, k="v"` (quoted strings unescaped); undefined when not Digest. */
export function parseDigest(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+/i.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  re.lastIndex = m[0].length;
  while (re.lastIndex < header.length) {
    const p = re.exec(header);
    if (!p) return undefined;
    out[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] as string);
  }
  return out;
}

export interface DigestInput {
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** With qop=auth: the nonce count and client nonce. Without: RFC 2069 form. */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

/** The `response` value a client sends (MD5, RFC 2617 §3.2.2.1). */
export function digestResponse(d: DigestInput): string {
  const ha1 = md5(`${d.username}:${d.realm}:${d.password}`);
  const ha2 = md5(`${d.method}:${d.uri}`);
  if (d.qop === 'auth') return md5(`${ha1}:${d.nonce}:${d.nc ?? ''}:${d.cnonce ?? ''}:auth:${ha2}`);
  return md5(`${ha1}:${d.nonce}:${ha2}`);
}

export type DigestVerdict =
  | { result: 'ok' }
  /** No (usable) credentials, or a nonce we did not sign: challenge with a fresh nonce. */
  | { result: 'challenge'; stale: boolean; why: string }
  /** Credentials present, signed nonce, but wrong user/password/realm: refuse. */
  | { result: 'forbidden'; why: string };

export interface DigestServerOptions {
  /** Nonce lifetime; an older signed nonce gets a stale=true challenge. Default 300 s. */
  nonceTtlMs?: number;
  now?: () => number;
  /** HMAC key (default: 32 random bytes per process). */
  key?: Buffer;
}

export class DigestServer {
  readonly #key: Buffer;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(o: DigestServerOptions = {}) {
    this.#key = o.key ?? randomBytes(32);
    this.#ttl = o.nonceTtlMs ?? 300_000;
    this.#now = o.now ?? Date.now;
  }

  /** `<ms timestamp hex>.<random hex>.<hmac>`; the realm is signed in, so a nonce is good for its realm only. */
  nonce(realm: string): string {
    const body = `${this.#now().toString(16)}.${randomBytes(8).toString('hex')}`;
    return `${body}.${this.#sign(realm, body)}`;
  }

  /** The WWW-Authenticate value of a challenge. */
  challenge(realm: string, stale = false): string {
    return `Digest realm="${realm}", nonce="${this.nonce(realm)}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /** Checks an Authorization header value against the expected credentials. */
  verify(authorization: string | undefined, want: { realm: string; username: string; password: string; method: string }): DigestVerdict {
    if (!authorization) return { result: 'challenge', stale: false, why: 'no credentials' };
    const p = parseDigest(authorization);
    if (!p) return { result: 'challenge', stale: false, why: 'not a Digest Authorization header' };
    if (p.realm !== want.realm) return { result: 'challenge', stale: false, why: `credentials for another realm ${JSON.stringify(p.realm ?? '')}` };
    const alg = (p.algorithm ?? 'MD5').toUpperCase();
    if (alg !== 'MD5') return { result: 'challenge', stale: false, why: `unsupported algorithm ${alg}` };
    const nonce = p.nonce ?? '';
    const age = this.#nonceAge(want.realm, nonce);
    if (age === undefined) return { result: 'challenge', stale: false, why: 'nonce not issued by us' };
    if (p.qop !== 'auth' || !p.nc || !p.cnonce) return { result: 'challenge', stale: false, why: 'qop=auth with nc and cnonce required' };
    if (!p.uri || !p.response) return { result: 'challenge', stale: false, why: 'uri or response missing' };
    const expected = digestResponse({
      username: want.username, realm: want.realm, password: want.password, method: want.method,
      uri: p.uri, nonce, qop: 'auth', nc: p.nc, cnonce: p.cnonce,
    });
    const good = p.username === want.username && safeEqual(expected, p.response.toLowerCase());
    // A wrong password is refused even with an old nonce: staleness only matters for good credentials.
    if (!good) return { result: 'forbidden', why: p.username === want.username ? 'wrong password' : `unknown user ${JSON.stringify(p.username ?? '')}` };
    if (age > this.#ttl) return { result: 'challenge', stale: true, why: 'nonce expired' };
    // TODO(next): nonce-count replay tracking (RFC 7616 §3.3) needs per-nonce state; the TTL bounds replays meanwhile.
    return { result: 'ok' };
  }

  #sign(realm: string, body: string): string {
    return createHmac('sha256', this.#key).update(`${realm}\n${body}`).digest('base64url').slice(0, 22);
  }

  /** Age of a nonce we signed for this realm, ms; undefined when the signature does not match. */
  #nonceAge(realm: string, nonce: string): number | undefined {
    const parts = nonce.split('.');
    if (parts.length !== 3) return undefined;
    const body = `${parts[0]}.${parts[1]}`;
    if (!safeEqual(this.#sign(realm, body), parts[2] as string)) return undefined;
    const ts = parseInt(parts[0] as string, 16);
    if (!Number.isFinite(ts)) return undefined;
    return Math.max(0, this.#now() - ts);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
