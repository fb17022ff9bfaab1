// Source-address ACL: which trunk an inbound request's source address belongs to. Each trunk
// contributes networks (its `acl` CIDRs, or its resolved addresses as host routes when the
// ACL is empty); the longest matching prefix wins, ties go to the lower trunk id, so the
// answer never depends on config order or timing.

import { isIP } from 'node:net';

export interface Network {
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

/** 1.2.3.4, ::ffff:1.2.3.4 (an IPv4-mapped IPv6 source) and 2001:db8::1 → bytes; undefined when not an IP. */
export function ipBytes(addr: string): Uint8Array | undefined {
  let a = addr.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const v = isIP(a);
  if (v === 4) return Uint8Array.from(a.split('.').map(Number));
  if (v !== 6) return undefined;
  const out = new Uint8Array(16);
  // an embedded dotted quad takes the last 32 bits
  let tail: number[] = [];
  const dot = a.lastIndexOf(':');
  if (a.includes('.', dot)) {
    tail = a.slice(dot + 1).split('.').map(Number);
    a = a.slice(0, dot + 1) + '0:0';
  }
  const [head, rest] = a.includes('::') ? (a.split('::') as [string, string]) : [a, undefined];
  const hs = head === '' ? [] : head.split(':');
  const rs = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - rs.length).fill('0'), ...rs];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  // IPv4-mapped: compare as IPv4 (a dual-stack socket reports IPv4 peers this way)
  if (out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff) return out.slice(12);
  return out;
}

/** `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a host route). Throws on anything else. */
export function parseNetwork(cidr: string): Network {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(cidr.trim());
  const bytes = m ? ipBytes(m[1] as string) : undefined;
  if (!m || !bytes) throw new Error(`bad network ${JSON.stringify(cidr)}`);
  const max = bytes.length * 8;
  // an IPv4-mapped network (::ffff:192.0.2.0/120) becomes its IPv4 form
  let prefix = m[2] === undefined ? max : Number(m[2]);
  if (bytes.length === 4 && isIP(m[1] as string) === 6 && m[2] !== undefined) prefix -= 96;
  if (prefix < 0 || prefix > max) throw new Error(`bad prefix length in ${JSON.stringify(cidr)}`);
  return { bytes, prefix };
}

export function contains(net: Network, addr: Uint8Array): boolean {
  if (net.bytes.length !== addr.length) return false;
  const whole = net.prefix >> 3;
  for (let i = 0; i < whole; i++) if (net.bytes[i] !== addr[i]) return false;
  const bits = net.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((net.bytes[whole] as number) & mask) === ((addr[whole] as number) & mask);
}

interface Entry {
  trunk: string;
  net: Network;
}

/** The trunks' networks; rebuilt whenever config or resolved addresses change. */
export class AclTable {
  readonly #entries: Entry[] = [];

  /** Adds a trunk's networks (CIDRs, or plain IPs as host routes). Bad entries throw. */
  add(trunk: string, networks: Iterable<string>): void {
    for (const n of networks) this.#entries.push({ trunk, net: parseNetwork(n) });
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The trunk owning `source`: longest prefix, then lowest trunk id. Undefined when none. */
  match(source: string): string | undefined {
    const addr = ipBytes(source);
    if (!addr) return undefined;
    let best: Entry | undefined;
    for (const e of this.#entries) {
      if (!contains(e.net, addr)) continue;
      if (!best || e.net.prefix > best.net.prefix || (e.net.prefix === best.net.prefix && e.trunk < best.trunk)) best = e;
    }
    return best?.trunk;
  }
}
