// A trunk's configured addresses → next hops, in the configured failover order. An IP is a
// target as it is; a host name is looked up through DNS SRV (when `srv` is set and the entry
// names no port: _sip._udp / _sip._tcp / _sips._tcp by transport, RFC 3263 §4.2) and then
// A/AAAA. DNS is injectable so tests never touch the network.

import { promises as dnsp } from 'node:dns';
import { isIP } from 'node:net';
import type { Transport, TrunkSettings } from '../trunk-profiles.js';

/** The subset of node:dns/promises.Resolver used here. */
export interface TrunkResolver {
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/** One resolved next hop (the IP is plain, without brackets). */
export interface ResolvedHop {
  ip: string;
  port: number;
  transport: Transport;
  /** The host name this came from (configured or SRV target); undefined for a literal IP. */
  name: string | undefined;
  /** The configured entry it was resolved from, for logs and `show trunks`. */
  entry: string;
}

export interface Resolution {
  hops: ResolvedHop[];
  /** Entries that resolved to nothing, with the reason (their old hops were kept if any). */
  failures: { entry: string; why: string }[];
}

const SRV_PREFIX: Record<Transport, string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };

/** The system's DNS servers, each query bounded (2 s, 2 tries) so a dead server cannot stall admission long. */
export function defaultResolver(): TrunkResolver {
  return new dnsp.Resolver({ timeout: 2000, tries: 2 });
}

/**
 * The resolver with `sip.edge.hostMap` answered first (A/AAAA only; SRV stays DNS): names the
 * edge itself resolves from the map must resolve the same way for trunks, or a trunk named
 * there would have no next hops (air-gapped sites, tests). Keys are matched case-insensitively.
 */
export function withHostMap(dns: TrunkResolver, hostMap: Record<string, string | readonly string[]>): TrunkResolver {
  const map = new Map<string, string[]>();
  for (const [k, v] of Object.entries(hostMap)) map.set(k.toLowerCase().replace(/\.$/, ''), typeof v === 'string' ? [v] : [...v]);
  if (map.size === 0) return dns;
  const pick = (name: string, family: 4 | 6): string[] | undefined => {
    const ips = map.get(name.toLowerCase().replace(/\.$/, ''));
    return ips === undefined ? undefined : ips.filter((ip) => isIP(ip) === family);
  };
  return {
    resolveSrv: (name) => dns.resolveSrv(name),
    resolve4: async (name) => pick(name, 4) ?? dns.resolve4(name),
    resolve6: async (name) => pick(name, 6) ?? dns.resolve6(name),
  };
}

/** `host`, `host:port`, `1.2.3.4:5060`, `[2001:db8::1]:5061`, `2001:db8::1`. */
export function splitHostPort(entry: string): { host: string; port: number | undefined } {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(entry);
  if (v6) return { host: v6[1] as string, port: v6[2] === undefined ? undefined : Number(v6[2]) };
  if (isIP(entry) === 6) return { host: entry, port: undefined };
  const i = entry.lastIndexOf(':');
  if (i < 0) return { host: entry, port: undefined };
  return { host: entry.slice(0, i), port: Number(entry.slice(i + 1)) };
}

/** The URI host part for an IP: IPv6 in brackets. */
export const uriHost = (ip: string): string => (isIP(ip) === 6 ? `[${ip}]` : ip);

export const hopKey = (h: { ip: string; port: number; transport: Transport }): string => `${h.transport}:${uriHost(h.ip)}:${h.port}`;

async function addressesOf(dns: TrunkResolver, name: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([dns.resolve4(name), dns.resolve6(name)]);
  const out = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (out.length === 0) {
    const err = v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined;
    throw new Error(`no A/AAAA records for ${name}${err ? ` (${(err as NodeJS.ErrnoException).code ?? String(err)})` : ''}`);
  }
  return out;
}

async function resolveEntry(dns: TrunkResolver, s: TrunkSettings, entry: string): Promise<ResolvedHop[]> {
  const { host, port } = splitHostPort(entry);
  const transport = s.transport;
  if (isIP(host)) return [{ ip: host, port: port ?? s.port, transport, name: undefined, entry }];
  const name = host.toLowerCase().replace(/\.$/, '');
  if (s.srv && port === undefined) {
    let records: Awaited<ReturnType<TrunkResolver['resolveSrv']>> = [];
    try {
      records = await dns.resolveSrv(SRV_PREFIX[transport] + name);
    } catch {
      records = []; // no SRV: fall back to A/AAAA on the configured port (RFC 3263 §4.2)
    }
    if (records.length > 0) {
      // Priority, then weight (heaviest first), then name: a deterministic failover order.
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight || a.name.localeCompare(b.name));
      const out: ResolvedHop[] = [];
      const errors: string[] = [];
      for (const r of records) {
        if (r.name === '.' || r.name === '') continue; // "service not available here"
        try {
          for (const ip of await addressesOf(dns, r.name)) out.push({ ip, port: r.port, transport, name: r.name.toLowerCase(), entry });
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      if (out.length === 0) throw new Error(`SRV ${SRV_PREFIX[transport]}${name}: no usable targets${errors.length ? ` (${errors.join('; ')})` : ''}`);
      return out;
    }
  }
  return (await addressesOf(dns, name)).map((ip) => ({ ip, port: port ?? s.port, transport, name, entry }));
}

/**
 * Resolves every address of a trunk, keeping the configured order; duplicates keep their first
 * place. An entry that fails keeps the hops it had in `previous` (DNS trouble must not take a
 * working trunk away) and is listed in `failures`.
 */
export async function resolveTrunkAddresses(dns: TrunkResolver, s: TrunkSettings, previous: ResolvedHop[] = []): Promise<Resolution> {
  const results = await Promise.allSettled(s.addresses.map((e) => resolveEntry(dns, s, e)));
  const hops: ResolvedHop[] = [];
  const failures: Resolution['failures'] = [];
  const seen = new Set<string>();
  results.forEach((r, i) => {
    const entry = s.addresses[i] as string;
    let got: ResolvedHop[];
    if (r.status === 'fulfilled') got = r.value;
    else {
      failures.push({ entry, why: (r.reason as Error).message });
      got = previous.filter((h) => h.entry === entry && h.transport === s.transport);
    }
    for (const h of got) {
      const k = hopKey(h);
      if (seen.has(k)) continue;
      seen.add(k);
      hops.push(h);
    }
  });
  return { hops, failures };
}
