// The demo's network: the gateway and two trunk peers on their own loopback addresses (a
// "pbx" and a "uc" server, sipp both), on ports that are free now, so a busy 5060 (or a second
// demo on other addresses) does not get in the way. Routing is derived from one site's number
// ranges: the PBX owns +1555100xxxx, the UC server +1555200xxxx.
import dgram from 'node:dgram';

export interface DemoNet {
  /** Gateway: SIP edge, rtpengine, and the demo phones' RTP. */
  gw: string;
  pbx: string;
  uc: string;
}

export interface DemoPorts {
  pbx: number;
  uc: number;
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

/** A UDP port free on `ip` now (bound and released; the demo takes it right after). */
export async function freeUdpPort(ip: string): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res, rej) => { s.once('error', rej); s.bind(0, ip, () => res()); });
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

export async function demoPorts(net: DemoNet): Promise<DemoPorts> {
  // rtpengine's media range on the gateway's own address: taken fresh from where the kernel
  // hands out ephemeral ports would collide; a fixed window above them is free on loopback.
  return { pbx: await freeUdpPort(net.pbx), uc: await freeUdpPort(net.uc), ng: await freeUdpPort(net.gw), rtpMin: 47000, rtpMax: 47199 };
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
    routing: {
      trunks: { pbx: { role: 'pbx', numberFormat: 'e164' }, uc: { role: 'uc', numberFormat: 'e164' } },
      sites: [{ id: 'hq', name: 'Headquarters', ranges: [{ numbers: PBX_RANGE, owner: 'pbx' }, { numbers: UC_RANGE, owner: 'uc' }] }],
    },
  };
}
