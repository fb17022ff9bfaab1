// The embedded SIP edge: SIP transports + UA layer + the drachtio control socket, in the
// current thread. edge-worker.ts runs it off the main event loop; main.ts runs it standalone.

import type tls from 'node:tls';
import { ControlServer } from './control/control-server.js';
import type { EdgeLogger } from './logger.js';
import { nullLogger } from './logger.js';
import { UaContext, type OverloadLimits, type UaTimers } from './ua/context.js';
import { SipNet, type Listener } from './ua/net-adapter.js';
import { SipTransport, type TlsOptions } from './transport/index.js';
import type { Clock } from './transaction/index.js';

/** The TLS material a running edge can be given again (certificate rotation). */
export type EdgeTlsMaterial = Pick<TlsOptions, 'cert' | 'key' | 'ca'>;
import { UserAgent } from './ua/user-agent.js';

export interface SipEdgeOptions {
  /** SIP listeners, e.g. `[{proto:'udp', host:'127.0.0.10', port:5060}]`; port 0 = ephemeral. */
  sip: Listener[];
  control: {
    host: string;
    port: number;
    secret: string;
    /** TLS for the control socket (node TLS server options). */
    tls?: tls.TlsOptions;
    /** Plain-TCP port beside the TLS one (srf reconnects over plain TCP). */
    plainPort?: number;
  };
  /** Client certificate and trusted CAs for outbound SIP over TLS. */
  tlsClient?: TlsOptions;
  timers?: Partial<UaTimers>;
  /** Host name → IP address(es), consulted before DNS (several: tried in order). */
  hostMap?: Record<string, string | string[]>;
  overload?: Partial<OverloadLimits>;
  /** Header names passed through with their exact case (DRACHTIO_PRESERVE_HEADER_NAMES). */
  preserveHeaderNames?: string[];
  /** Version reported to apps; must match ^v\d+\.\d+\.\d+ for srf to ping outside test mode. */
  version?: string;
  logger?: EdgeLogger;
  /** The clock of every SIP timer; tests inject a ManualClock (in-thread only, not for SipEdgeHost). */
  clock?: Clock;
}

export interface SipEdgeAddresses {
  sip: Listener[];
  controlPort: number;
  controlPlainPort: number | undefined;
}

export const DEFAULT_TIMERS: UaTimers = { t1: 500, t2: 4000, t1For2xx: 500, pendingRequestMs: 64_000, minSessionExpires: 90 };
export const DEFAULT_OVERLOAD: OverloadLimits = { maxInviteRate: 0, maxPendingRequests: 5000, retryAfterSec: 5 };

export class SipEdge {
  private readonly net: SipNet;
  private readonly control: ControlServer;
  private readonly ua: UserAgent;
  /** The UA reads these on every new INVITE, so changing a field applies at once. */
  private readonly overload: OverloadLimits;
  private started = false;

  constructor(opts: SipEdgeOptions) {
    const log = opts.logger ?? nullLogger;
    this.net = new SipNet({ listeners: opts.sip, hostMap: opts.hostMap, tlsClient: opts.tlsClient, t1: opts.timers?.t1, t2: opts.timers?.t2, clock: opts.clock, logger: log });
    this.control = new ControlServer({
      host: opts.control.host,
      port: opts.control.port,
      secret: opts.control.secret,
      tls: opts.control.tls,
      plainPort: opts.control.plainPort,
      version: opts.version,
      logger: log,
    });
    this.overload = { ...DEFAULT_OVERLOAD, ...opts.overload };
    const ctx = new UaContext(
      this.net,
      this.control,
      { ...DEFAULT_TIMERS, ...opts.timers },
      this.overload,
      log,
      opts.preserveHeaderNames ?? [],
      this.net.clock,
    );
    this.ua = new UserAgent(ctx);
    this.control.setHandler(this.ua);
    this.control.setHostports(() => {
      const ls = this.net.listeners();
      return {
        hostports: ls.map((l) => `${l.proto}/${l.external ?? l.host}:${l.port}`).join(','),
        localHostports: ls.map((l) => `${l.proto}/${l.host}:${l.port}`).join(','),
      };
    });
  }

  async start(): Promise<SipEdgeAddresses> {
    if (this.started) throw new Error('edge already started');
    this.started = true;
    await this.net.start();
    try {
      const ports = await this.control.listen();
      return { sip: this.net.listeners(), controlPort: ports[0], controlPlainPort: ports[1] };
    } catch (err) {
      await this.net.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.ua.close();
    await this.control.close();
    await this.net.stop();
  }

  /** Whether a connected app has asked for requests of `verb` (its `route|verb` has landed). */
  routed(verb: string): boolean {
    return this.control.routes.has(verb);
  }

  /** New TLS material (certificate rotation on reload), for handshakes from now on. */
  setTls(m: EdgeTlsMaterial): void {
    this.net.setTls(m);
  }

  /** New overload limits, in effect for the next INVITE (config reload). */
  setOverload(o: Partial<OverloadLimits>): void {
    Object.assign(this.overload, o);
  }

  /**
   * Counters for metrics (read at scrape time). Besides the UA's own: the transport's
   * (`transport.<name>`), the client transaction layer's (`txn.<name>`) and the message
   * counters by method and status (keys of transport/traffic.ts).
   */
  stats(): Record<string, number> {
    const c = this.ua.ctx;
    const sizes = this.net.layer.size;
    const proxy = this.ua.proxy.size;
    const out: Record<string, number> = {
      ...this.net.stats,
      ...this.ua.stats,
      dialogs: c.dialogs.size,
      serverTransactions: c.serverById.size,
      clientTransactions: c.clientById.size,
      appConnections: this.control.connections().length,
      // state the edge holds, for memory checks: every map empties once calls end and timers run out
      dialogKeys: c.dialogByKey.size,
      earlyUac: c.earlyUac.size,
      pendingRequests: c.pendingRequests,
      layerServerTransactions: sizes.server,
      layerClientTransactions: sizes.client,
      layerMergeKeys: this.net.layer.mergeKeys,
      proxyJobs: proxy.jobs,
      proxyPins: proxy.pins,
    };
    const layer = this.net.layer;
    for (const [k, v] of Object.entries(layer.stats)) out[`txn.${k}`] = v;
    if (layer.transport instanceof SipTransport) {
      for (const [k, v] of Object.entries(layer.transport.stats)) out[`transport.${k}`] = v;
      Object.assign(out, layer.transport.traffic.snapshot());
    }
    return out;
  }
}
