// A gateway with a TLS trunk toward the UC server and a TCP trunk toward the PBX, for the
// sip-gw-tls-* tests: the UC side is Kamailio (support/kamailio-tls.ts) on the UC address,
// reached by its FQDN (uc.teams.test through sip.edge.hostMap) on TLS port 23561 with mutual
// TLS, with sipp behind it on the uc2 address over UDP; the PBX side is sipp over TCP (the
// ocs2007 profile). The gateway listens on UDP+TCP 23060 and TLS 23061 with the certificate of
// sbc.spangate.test, which the UC trunk advertises in its Contacts (contactFqdn).
import { join } from 'node:path';
import { makePki } from '../../fixtures/pki.js';
import { tmpDir } from '../../fixtures/tmp.js';
import { TWO_TRUNK_ROUTES } from './calls.js';
import { Gateway, PORTS, slot, type SlotAddresses, type TrunkSpec } from './gateway.js';
import { KamailioTls } from './kamailio-tls.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

export const GW_FQDN = 'sbc.spangate.test';
export const UC_FQDN = 'uc.teams.test';
export const TLS_PORTS = { gw: 23061, kamTls: 23561, kamUdp: 23560 } as const;

/** The scenario text change that makes a sipp UAS behind a proxy echo Record-Route in 18x/200. */
export const ECHO_RECORD_ROUTE: [string, string] = [
  '[last_CSeq:]\n      Contact:', '[last_CSeq:]\n      [last_Record-Route:]\n      Contact:',
];

/**
 * For sipp over TCP: its Contact says so (a Contact without a transport parameter means UDP,
 * RFC 3263, so the gateway's in-dialog requests would go to a UDP port nobody listens on).
 */
export const CONTACT_TRANSPORT: [string, string][] = [
  ['@[local_ip]:[local_port]>', '@[local_ip]:[local_port];transport=[transport]>'],
];

export interface TlsTrunkGateway {
  gw: Gateway;
  kam: KamailioTls;
  addr: SlotAddresses;
  pki: string;
  /** Where a UC-side sipp UAC sends (Kamailio's UDP side). */
  ucTarget: string;
}

export interface TlsTrunkOptions {
  /** The UC trunk (profile, srtp, …): merged over { addresses: [uc.teams.test:23561], contactFqdn }. */
  uc: Partial<TrunkSpec> & { extra?: Record<string, unknown> };
  pbx?: Partial<TrunkSpec> & { extra?: Record<string, unknown> };
  extra?: Record<string, Record<string, unknown>>;
}

export async function tlsTrunkGateway(t: T, slotNo: number, o: TlsTrunkOptions): Promise<TlsTrunkGateway> {
  const addr = slot(slotNo);
  const pki = tmpDir(t, 'sg-tls-pki-');
  // The UC side's certificate names only its FQDN (as Teams' does): checked against the name.
  makePki(pki, [['gw', GW_FQDN, addr.gw], ['uc', UC_FQDN, '']]);
  const kam = await KamailioTls.start(t, {
    pkiDir: pki, certName: 'uc', ip: addr.uc, tlsPort: TLS_PORTS.kamTls, udpPort: TLS_PORTS.kamUdp,
    gateway: { ip: addr.gw, port: TLS_PORTS.gw }, uas: { ip: addr.uc2, port: PORTS.uas },
  });
  const gw = await Gateway.start(t, {
    addr,
    trunks: {
      pbx: {
        addresses: [`${addr.pbx}:${PORTS.uas}`], role: 'pbx', ...o.pbx,
        extra: { profile: 'ocs2007', transport: 'tcp', ...o.pbx?.extra },
      },
      uc: {
        addresses: [`${UC_FQDN}:${TLS_PORTS.kamTls}`], role: 'uc', ...o.uc,
        extra: { transport: 'tls', contactFqdn: GW_FQDN, ...o.uc.extra },
      },
    },
    routes: TWO_TRUNK_ROUTES,
    edge: {
      listen: [
        { proto: 'udp', host: addr.gw, port: PORTS.sip },
        { proto: 'tcp', host: addr.gw, port: PORTS.sip },
        { proto: 'tls', host: addr.gw, port: TLS_PORTS.gw },
      ],
      tls: {
        cert: join(pki, 'gw.crt'), key: join(pki, 'gw.key'), ca: join(pki, 'ca.crt'),
        verifyClient: true, verifyServer: true, minVersion: 'TLSv1.2',
      },
      hostMap: { [UC_FQDN]: addr.uc },
    },
    ...(o.extra ? { extra: o.extra } : {}),
  });
  return { gw, kam, addr, pki, ucTarget: `${addr.uc}:${TLS_PORTS.kamUdp}` };
}
