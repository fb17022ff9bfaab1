// The demo's network: the gateway and two trunk peers on their own loopback addresses (a
// "pbx" and a "uc" server, sipp both) and a PRI span toward a simulated PSTN, on ports that are free now, so a busy 5060 (or a second
// demo on other addresses) does not get in the way. Routing is derived from one site's number
// ranges: the PBX owns +1555100xxxx, the UC server +1555200xxxx.
import dgram from 'node:dgram';
import type { TdmSpanConfig } from '../../config/schema/tdm.js';

export interface DemoNet {
  /** Gateway: SIP edge, rtpengine, and the demo phones' RTP. */
  gw: string;
  pbx: string;
  uc: string;
}

export interface DemoPorts {
  pbx: number;
  uc: number;
  /** The PSTN span (vspan over UDP on the gateway's address): the simulator's end and ours. */
  pstnSim: number;
  pstnGw: number;
  ng: number;
  rtpMin: number;
  rtpMax: number;
}

export const PBX_RANGE = '+15551001000-+15551001999';
export const UC_RANGE = '+15552001000-+15552001999';

/** The three addresses from the gateway's: the next two in the last octet. */
export function demoNet(gw: string): DemoNet {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(gw);
  if (!m || Number(m[3]) > 250) throw new Error(`demo address ${gw} must be a loopback address 127.x.y.z with z at most 250`);
  const at = (k: number): string => `127.${m[1]}.${m[2]}.${Number(m[3]) + k}`;
  return { gw, pbx: at(1), uc: at(2) };
}

/** rtpengine's media ports on the gateway's address (see demoPorts). */
const RTP_WINDOW: readonly [number, number] = [47000, 47199];

/**
 * A UDP port free on `ip` now (bound and released; the demo takes it right after), outside
 * `avoid` (a range something else will bind on the same address later).
 */
export async function freeUdpPort(ip: string, avoid?: readonly [number, number]): Promise<number> {
  for (;;) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => { s.once('error', rej); s.bind(0, ip, () => res()); });
    const port = s.address().port;
    await new Promise<void>((res) => s.close(() => res()));
    if (!avoid || port < avoid[0] || port > avoid[1]) return port;
  }
}

export async function demoPorts(net: DemoNet): Promise<DemoPorts> {
  // rtpengine's media range on the gateway's own address: taken fresh from where the kernel
  // hands out ephemeral ports would collide; a fixed window above them is free on loopback.
  return {
    pbx: await freeUdpPort(net.pbx), uc: await freeUdpPort(net.uc), ng: await freeUdpPort(net.gw, RTP_WINDOW),
    rtpMin: RTP_WINDOW[0], rtpMax: RTP_WINDOW[1],
    pstnSim: await freeUdpPort(net.gw, RTP_WINDOW), pstnGw: await freeUdpPort(net.gw, RTP_WINDOW),
  };
}

/** The PSTN caller's number (international, as the PSTN signals it). */
export const PSTN_CALLER = '+12125550100';

/** One T1 PRI span (National ISDN 2, US tones) toward the PSTN: the gateway is the user side. */
export function pstnSpan(net: DemoNet, ports: DemoPorts, side: 'user' | 'network'): TdmSpanConfig {
  const ours = side === 'user';
  return {
    id: 'pstn1', type: 't1', side, switchtype: 'national', trunk: 'pstn', country: 'us',
    localAddress: net.gw, localPort: ours ? ports.pstnGw : ports.pstnSim, remoteAddress: net.gw, remotePort: ours ? ports.pstnSim : ports.pstnGw,
  };
}

/** The config laid over the defaults (environment overrides still apply). */
export function demoConfig(net: DemoNet, ports: DemoPorts, stateDir: string): Record<string, unknown> {
  const trunk = (ip: string, port: number, codecs: string[]): Record<string, unknown> => ({
    addresses: [`${ip}:${port}`], transport: 'udp', codecs,
    options: { enabled: true, intervalS: 5, timeoutMs: 1000, downAfter: 2, upAfter: 1 },
  });
  return {
    sip: {
      edge: { listen: [{ proto: 'udp', host: net.gw, port: 0 }] },
      trunks: {
        pbx: trunk(net.pbx, ports.pbx, ['PCMU', 'PCMA', 'telephone-event']),
        // The UC server prefers wideband: PBX calls to it are transcoded G.711 ⇄ G.722.
        uc: trunk(net.uc, ports.uc, ['G722', 'PCMU', 'telephone-event']),
      },
    },
    media: {
      rtpengine: {
        mode: 'managed', ngHost: net.gw, ngPort: ports.ng, interface: net.gw, portMin: ports.rtpMin, portMax: ports.rtpMax,
        pidFile: `${stateDir.replace(/\/+$/, '')}/rtpengine-demo.pid`,
      },
    },
    // A PRI span toward the PSTN (its far end is the demo's PSTN simulator).
    tdm: { spans: [pstnSpan(net, ports, 'user')] },
    routing: {
      trunks: { pbx: { role: 'pbx', numberFormat: 'e164' }, uc: { role: 'uc', numberFormat: 'e164' }, pstn: { role: 'pstn', numberFormat: 'e164' } },
      sites: [{ id: 'hq', name: 'Headquarters', ranges: [{ numbers: PBX_RANGE, owner: 'pbx' }, { numbers: UC_RANGE, owner: 'uc' }] }],
    },
  };
}
