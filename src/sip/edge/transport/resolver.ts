// RFC 3263 server location: NAPTR → SRV → A/AAAA, giving an ordered list of targets to try
// (failover goes down the list). DNS is injectable; a static host map answers first.
import { promises as dnsp } from 'node:dns';
import net from 'node:net';
import { SignalingError } from '../../../errors.js';
import type { SipUri } from '../message/index.js';
import type { Endpoint, TransportProtocol } from './types.js';
import { defaultPort } from './via-routing.js';

/** The subset of node:dns/promises.Resolver used here, so tests can inject answers. */
export interface DnsLookup {
  resolveNaptr(name: string): Promise<Array<{ flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }>>;
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export interface ResolverOptions {
  /** DNS to query (default: node's resolver with the system settings). */
  dns?: DnsLookup;
  /** Static host map consulted before DNS A/AAAA: lower-case name → addresses. */
  hosts?: Record<string, string[]>;
  /** Protocols we can send on (targets for others are skipped). Default all three. */
  protocols?: TransportProtocol[];
  /** Random source in [0, 1) for SRV weights (RFC 2782); injectable for tests. */
  random?: () => number;
}

/** One place to send to; `servername` is the host name TLS should verify. */
export interface ResolvedTarget extends Endpoint {
  servername: string | undefined;
}

const NAPTR_SERVICE: Record<string, TransportProtocol> = { 'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls' };
const SRV_PREFIX: Record<TransportProtocol, string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };

export class SipResolver {
  private readonly dns: DnsLookup;
  private readonly hosts: Map<string, string[]>;
  private readonly protocols: TransportProtocol[];
  private readonly random: () => number;

  constructor(opts: ResolverOptions = {}) {
    this.dns = opts.dns ?? new dnsp.Resolver();
    this.hosts = new Map(Object.entries(opts.hosts ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.protocols = opts.protocols ?? ['udp', 'tcp', 'tls'];
    this.random = opts.random ?? Math.random;
  }

  /**
   * Ordered targets for a request to `uri` (its maddr, else host). Throws SignalingError with
   * sipStatus 503 when nothing resolves, 416-like 400 for a transport we cannot use.
   */
  async resolve(uri: SipUri): Promise<ResolvedTarget[]> {
    if (!uri.isSip) throw new SignalingError(`cannot route to a ${uri.scheme}: URI`, { sipStatus: 416 });
    const sips = uri.scheme === 'sips';
    const maddr = uri.params.get('maddr');
    const host = (typeof maddr === 'string' ? maddr : uri.hostname).toLowerCase();
    const hostname = host.charCodeAt(0) === 0x5b ? host.slice(1, -1) : host;
    const tparam = uri.params.get('transport');
    let forced: TransportProtocol | undefined;
    if (typeof tparam === 'string') {
      const t = tparam.toLowerCase();
      if (t === 'udp') forced = 'udp';
      else if (t === 'tcp') forced = sips ? 'tls' : 'tcp';
      else if (t === 'tls') forced = 'tls';
      else throw new SignalingError(`unsupported transport ${tparam}`, { sipStatus: 503 });
      if (sips && forced === 'udp') throw new SignalingError('sips: over UDP', { sipStatus: 400 });
    }
    const fallback: TransportProtocol = forced ?? (sips ? 'tls' : 'udp');
    const servername = net.isIP(hostname) ? undefined : hostname;
    let out: ResolvedTarget[];
    if (net.isIP(hostname)) {
      out = [{ protocol: fallback, address: hostname, port: uri.port ?? defaultPort(fallback), servername }];
    } else if (uri.port !== undefined || this.hosts.has(hostname)) {
      // numeric port (§4.2), or a name our static map answers: A/AAAA only
      out = (await this.addresses(hostname)).map((address) => ({ protocol: fallback, address, port: uri.port ?? defaultPort(fallback), servername }));
    } else {
      out = [];
      if (forced === undefined) {
        for (const n of await this.naptr(hostname, sips)) out.push(...(await this.srv(n.replacement, n.protocol, servername)));
        if (out.length === 0) {
          for (const p of sips ? (['tls'] as const) : (['udp', 'tcp', 'tls'] as const)) {
            if (this.protocols.includes(p)) out.push(...(await this.srv(SRV_PREFIX[p] + hostname, p, servername)));
          }
        }
      } else {
        out.push(...(await this.srv(SRV_PREFIX[forced] + hostname, forced, servername)));
      }
      if (out.length === 0) {
        out = (await this.addresses(hostname)).map((address) => ({ protocol: fallback, address, port: defaultPort(fallback), servername }));
      }
    }
    out = out.filter((t) => this.protocols.includes(t.protocol));
    if (out.length === 0) throw new SignalingError(`cannot resolve ${hostname}`, { sipStatus: 503 });
    return dedupe(out);
  }

  private async naptr(host: string, sips: boolean): Promise<Array<{ replacement: string; protocol: TransportProtocol }>> {
    const recs = await quiet(this.dns.resolveNaptr(host));
    return recs
      .filter((r) => r.flags.toLowerCase() === 's' && NAPTR_SERVICE[r.service.toUpperCase()] !== undefined)
      .filter((r) => !sips || r.service.toUpperCase() === 'SIPS+D2T')
      .filter((r) => this.protocols.includes(NAPTR_SERVICE[r.service.toUpperCase()]))
      .sort((a, b) => a.order - b.order || a.preference - b.preference)
      .map((r) => ({ replacement: r.replacement, protocol: NAPTR_SERVICE[r.service.toUpperCase()] }));
  }

  private async srv(name: string, protocol: TransportProtocol, servername: string | undefined): Promise<ResolvedTarget[]> {
    const recs = await quiet(this.dns.resolveSrv(name));
    const out: ResolvedTarget[] = [];
    for (const r of orderSrv(recs, this.random)) {
      if (r.name === '.' || r.name === '') continue;
      for (const address of await this.addresses(r.name)) out.push({ protocol, address, port: r.port, servername: servername ?? r.name });
    }
    return out;
  }

  private async addresses(host: string): Promise<string[]> {
    const mapped = this.hosts.get(host.toLowerCase());
    if (mapped !== undefined) return mapped;
    if (net.isIP(host)) return [host];
    const [v4, v6] = await Promise.all([quiet(this.dns.resolve4(host)), quiet(this.dns.resolve6(host))]);
    return [...v4, ...v6];
  }
}

/** RFC 2782 order: priority ascending, weighted random within a priority. */
export function orderSrv<T extends { priority: number; weight: number }>(recs: T[], random: () => number): T[] {
  const byPrio = new Map<number, T[]>();
  for (const r of recs) {
    const l = byPrio.get(r.priority);
    if (l) l.push(r);
    else byPrio.set(r.priority, [r]);
  }
  const out: T[] = [];
  for (const prio of [...byPrio.keys()].sort((a, b) => a - b)) {
    const left = [...byPrio.get(prio)!].sort((a, b) => a.weight - b.weight); // zero weights first
    while (left.length > 0) {
      const total = left.reduce((s, r) => s + r.weight, 0);
      const pick = random() * (total + 1);
      let sum = 0;
      let idx = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        sum += left[i].weight;
        if (sum >= pick) {
          idx = i;
          break;
        }
      }
      out.push(left[idx]);
      left.splice(idx, 1);
    }
  }
  return out;
}

async function quiet<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch {
    return [];
  }
}

function dedupe(ts: ResolvedTarget[]): ResolvedTarget[] {
  const seen = new Set<string>();
  return ts.filter((t) => {
    const k = t.protocol + '|' + t.address + '|' + t.port;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
