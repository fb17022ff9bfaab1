// The UA's view of the SIP transports: receive parsed messages with their source, send raw
// messages to an address. A minimal UDP/TCP implementation lives here as an adapter until
// the transport layer of src/sip/edge/transport/ (sip-wire) is wired in.
// TODO(next): replace with src/sip/edge/transport/ (TLS, RFC 3263, connection reuse) when it lands.

import dgram from 'node:dgram';
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { SipMsg } from './sip-msg.js';
import type { EdgeLogger } from '../logger.js';

export type Proto = 'udp' | 'tcp';

export interface Listener {
  proto: Proto;
  host: string;
  port: number;
  /** Address to advertise (Contact, Via, hostports); defaults to host. */
  external?: string;
}

export interface Peer {
  proto: Proto;
  address: string;
  port: number;
}

export interface Inbound {
  msg: SipMsg;
  raw: string;
  bytes: number;
  peer: Peer;
  local: Listener;
}

export interface SipNetOptions {
  listeners: Listener[];
  hostMap?: Record<string, string>;
  maxMessageBytes?: number;
  logger: EdgeLogger;
}

interface BoundUdp {
  l: Listener;
  sock: dgram.Socket;
}

interface BoundTcp {
  l: Listener;
  srv: net.Server;
}

const CRLF2 = '\r\n\r\n';

export class SipNet {
  private readonly udp: BoundUdp[] = [];
  private readonly tcp: BoundTcp[] = [];
  private readonly tcpConns = new Map<string, net.Socket>();
  private onMsg: (m: Inbound) => void = () => undefined;
  private onBad: (raw: string, peer: Peer, local: Listener, err: unknown) => void = () => undefined;
  readonly stats = { received: 0, sent: 0, malformed: 0 };

  constructor(private readonly opts: SipNetOptions) {}

  onMessage(cb: (m: Inbound) => void): void {
    this.onMsg = cb;
  }

  onMalformed(cb: (raw: string, peer: Peer, local: Listener, err: unknown) => void): void {
    this.onBad = cb;
  }

  /** The bound listeners (ports filled in when 0 was asked). */
  listeners(): Listener[] {
    return [...this.udp.map((u) => u.l), ...this.tcp.map((t) => t.l)];
  }

  async start(): Promise<void> {
    for (const l of this.opts.listeners) {
      if (l.proto === 'udp') await this.bindUdp(l);
      else await this.bindTcp(l);
    }
  }

  async stop(): Promise<void> {
    for (const u of this.udp) u.sock.close();
    for (const s of this.tcpConns.values()) s.destroy();
    await Promise.all(this.tcp.map((t) => new Promise<void>((r) => t.srv.close(() => r()))));
    this.udp.length = 0;
    this.tcp.length = 0;
  }

  private bindUdp(l: Listener): Promise<void> {
    const sock = dgram.createSocket({ type: net.isIPv6(l.host) ? 'udp6' : 'udp4' });
    const bound: BoundUdp = { l: { ...l }, sock };
    sock.on('message', (buf, rinfo) => {
      const peer: Peer = { proto: 'udp', address: rinfo.address, port: rinfo.port };
      this.deliver(buf.toString('utf8'), buf.length, peer, bound.l);
    });
    sock.on('error', (err) => this.opts.logger.warn({ err }, 'udp socket error'));
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(l.port, l.host, () => {
        sock.off('error', reject);
        bound.l.port = sock.address().port;
        this.udp.push(bound);
        resolve();
      });
    });
  }

  private bindTcp(l: Listener): Promise<void> {
    const bound: BoundTcp = { l: { ...l }, srv: net.createServer((s) => this.acceptTcp(s, bound.l)) };
    return new Promise((resolve, reject) => {
      bound.srv.once('error', reject);
      bound.srv.listen(l.port, l.host, () => {
        bound.srv.off('error', reject);
        bound.l.port = (bound.srv.address() as net.AddressInfo).port;
        this.tcp.push(bound);
        resolve();
      });
    });
  }

  private acceptTcp(s: net.Socket, local: Listener): void {
    const peer: Peer = { proto: 'tcp', address: s.remoteAddress ?? '', port: s.remotePort ?? 0 };
    const key = `${peer.address}:${peer.port}`;
    this.tcpConns.set(key, s);
    this.readStream(s, peer, local);
    s.on('close', () => this.tcpConns.delete(key));
  }

  private readStream(s: net.Socket, peer: Peer, local: Listener): void {
    let buf = Buffer.alloc(0);
    const max = this.opts.maxMessageBytes ?? 65535;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        while (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) buf = buf.subarray(2);
        const end = buf.indexOf(CRLF2);
        if (end < 0) {
          if (buf.length > max) s.destroy();
          return;
        }
        const head = buf.toString('utf8', 0, end);
        const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        const total = end + 4 + len;
        if (total > max) {
          s.destroy();
          return;
        }
        if (buf.length < total) return;
        this.deliver(buf.toString('utf8', 0, total), total, peer, local);
        buf = buf.subarray(total);
      }
    });
    s.on('error', () => undefined);
  }

  private deliver(raw: string, bytes: number, peer: Peer, local: Listener): void {
    if (raw.trim() === '') return; // keep-alive
    this.stats.received++;
    let msg: SipMsg;
    try {
      msg = SipMsg.parse(raw);
    } catch (err) {
      this.stats.malformed++;
      this.onBad(raw, peer, local, err);
      return;
    }
    this.onMsg({ msg, raw, bytes, peer, local });
  }

  /** Resolves a host name through the host map, then DNS (A/AAAA). */
  async resolve(host: string): Promise<string> {
    const h = host.replace(/^\[|\]$/g, '');
    if (net.isIP(h)) return h;
    const mapped = this.opts.hostMap?.[h];
    if (mapped) return mapped;
    const r = await lookup(h);
    return r.address;
  }

  /** The listener to send from toward a peer: same protocol, preferring the same address family. */
  pickListener(proto: Proto, preferHost?: string): Listener | undefined {
    const all = this.listeners().filter((l) => l.proto === proto);
    return all.find((l) => l.host === preferHost) ?? all[0];
  }

  isLocal(proto: Proto, address: string, port: number): boolean {
    return this.listeners().some((l) => l.port === port && (l.host === address || l.external === address));
  }

  /** Sends raw bytes. UDP goes out of the listener's own socket (so Via/rport match). */
  send(raw: string, to: Peer, from?: Listener): void {
    this.stats.sent++;
    const data = Buffer.from(raw, 'utf8');
    if (to.proto === 'udp') {
      const u = this.udp.find((x) => x.l === from) ?? this.udp.find((x) => x.l.host === from?.host) ?? this.udp[0];
      if (!u) throw new Error('no UDP listener');
      u.sock.send(data, to.port, to.address);
      return;
    }
    const key = `${to.address}:${to.port}`;
    let s = this.tcpConns.get(key);
    if (!s || s.destroyed) {
      const local = from ?? this.tcp[0]?.l;
      s = net.connect({ host: to.address, port: to.port, localAddress: local?.host });
      this.tcpConns.set(key, s);
      const sock = s;
      sock.on('close', () => {
        if (this.tcpConns.get(key) === sock) this.tcpConns.delete(key);
      });
      if (local) this.readStream(sock, to, local);
    }
    s.write(data);
  }
}
