// The shape most sip-gw-* tests share: a gateway with a "pbx" trunk and a "uc" trunk (sipp
// peers on their own addresses), routes pbx → uc for +1555200… and uc → pbx for +1555100…,
// and a call placed from one side to the other with RTP endpoints on both, streaming both ways
// and counting what arrives at the far side.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SCENARIO_DIR, SippPeer, type PeerEventOf, type SippPeerOptions, type SippResult } from '../../../src/cli/demo/sipp-peer.js';
import { CODECS, RtpPeer, type StreamCodec } from './rtp.js';
import { Gateway, PORTS, slot, type GatewaySpec, type SlotAddresses, type TrunkSpec } from './gateway.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

/** Test-only sipp scenarios; those the demo also runs ship in share/sipp/ (SCENARIO_DIR). */
export const TEST_SCENARIOS = resolve(import.meta.dirname, '../../fixtures/sipp');

/**
 * Starts sipp (src/cli/demo/sipp-peer.ts) with a scenario by file name (share/sipp/, else
 * test/fixtures/sipp/) in its own temporary directory; a UAS is awaited until it listens. sipp
 * gives up after 90 s unless told otherwise; it is killed and its directory removed at teardown.
 */
export async function startSipp(t: T, o: Omit<SippPeerOptions, 'dir'>): Promise<SippPeer> {
  const shipped = join(SCENARIO_DIR, o.scenario);
  const scenario = existsSync(shipped) ? shipped : join(TEST_SCENARIOS, o.scenario);
  const dir = mkdtempSync(join(tmpdir(), 'sg-sipp-'));
  let peer: SippPeer | undefined;
  t.teardown(async () => {
    await peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  peer = await SippPeer.start({ timeoutS: 90, ...o, scenario, dir });
  return peer;
}

export const UC_NUMBER = '+15552001234';
export const PBX_NUMBER = '+15551001234';

/** Routes of the two-trunk gateway: by called prefix, each side to the other. */
export const TWO_TRUNK_ROUTES = [
  { id: 'pbx-to-uc', fromTrunk: ['pbx'], called: '+1555200*', targets: ['uc'] },
  { id: 'uc-to-pbx', fromTrunk: ['uc'], called: '+1555100*', targets: ['pbx'] },
];

export interface TwoTrunkOptions {
  pbx?: Partial<TrunkSpec>;
  uc?: Partial<TrunkSpec>;
  extraTrunks?: Record<string, TrunkSpec>;
  routes?: unknown[];
  extra?: GatewaySpec['extra'];
}

export function twoTrunkSpec(addr: SlotAddresses, o: TwoTrunkOptions = {}): GatewaySpec {
  return {
    addr,
    trunks: {
      pbx: { addresses: [`${addr.pbx}:${PORTS.uas}`], role: 'pbx', ...o.pbx },
      uc: { addresses: [`${addr.uc}:${PORTS.uas}`], role: 'uc', ...o.uc },
      ...o.extraTrunks,
    },
    routes: o.routes ?? TWO_TRUNK_ROUTES,
    ...(o.extra ? { extra: o.extra } : {}),
  };
}

export async function twoTrunkGateway(t: T, slotNo: number, o: TwoTrunkOptions = {}): Promise<Gateway> {
  return Gateway.start(t, twoTrunkSpec(slot(slotNo), o));
}

/** What the call helpers need of a gateway: its slot addresses and where sipp sends. */
export type SipTarget = Pick<Gateway, 'addr' | 'sipTarget'>;

/** Which trunk's peer calls and which answers. */
export type Direction = 'pbx-to-uc' | 'uc-to-pbx';

export interface CallOptions {
  direction: Direction;
  /** Codec the caller offers and the callee answers with (default PCMU both). */
  callerCodec?: StreamCodec;
  calleeCodec?: StreamCodec;
  /** Callee scenario (default uas-answer.xml) and caller scenario (default uac-call.xml). */
  uas?: string;
  uac?: string;
  /** ms the caller talks before BYE (its <pause/>; default 4000). */
  talkMs?: number;
  /** sipp -set for the callee (ring_ms, talk_ms). */
  calleeSets?: Record<string, string>;
  /** Each side streams 3× this many packets, 20 ms apart (default 50: 3 s); tests expect at least this many. */
  packets?: number;
  /** Where the caller's sipp runs and sends (default: its trunk's address, UDP, to the gateway). */
  caller?: { ip?: string; target?: string; transport?: 'udp' | 'tcp'; replace?: [string, string][]; keys?: Record<string, string>; extra?: string[] };
  /** Where the callee's sipp runs (default: its trunk's address, UDP), scenario text replacements. */
  callee?: { ip?: string; transport?: 'udp' | 'tcp'; replace?: [string, string][]; keys?: Record<string, string>; extra?: string[] };
  /** Runs while the call is up and RTP streams (checks mid-call); the call ends as scripted. */
  during?: (c: { callerSipp: SippPeer; calleeSipp: SippPeer; callerRtp: RtpPeer; calleeRtp: RtpPeer }) => Promise<void>;
}

export interface CallResult {
  caller: SippResult;
  callee: SippResult;
  /** RTP the caller's endpoint received, by payload type, and the callee's. */
  callerRtp: RtpPeer;
  calleeRtp: RtpPeer;
  /** Where the gateway told each side to send media (from the SDP it sent). */
  callerMedia: PeerEventOf<'media'>;
  calleeMedia: PeerEventOf<'media'>;
  callerSipp: SippPeer;
  calleeSipp: SippPeer;
}

/**
 * One answered call with RTP both ways: the callee's sipp answers, both RTP endpoints stream
 * to the addresses the gateway's SDP gave them, and the call ends by the caller's BYE (or
 * as the scenarios say). Resolves when both sipps have exited.
 */
export async function answeredCall(t: T, gw: SipTarget, o: CallOptions): Promise<CallResult> {
  const [from, to] = o.direction === 'pbx-to-uc' ? ['pbx', 'uc'] as const : ['uc', 'pbx'] as const;
  const callerCodec = o.callerCodec ?? CODECS.PCMU;
  const calleeCodec = o.calleeCodec ?? callerCodec;
  const callerRtp = await RtpPeer.open(t, gw.addr.gw);
  const calleeRtp = await RtpPeer.open(t, gw.addr.gw);
  const calleeSipp = await startSipp(t, {
    scenario: o.uas ?? 'uas-answer.xml', ip: o.callee?.ip ?? gw.addr[to], port: PORTS.uas, calls: 1,
    keys: { rtp_ip: gw.addr.gw, rtp_port: String(calleeRtp.port), pt: String(calleeCodec.pt), codec: calleeCodec.rtpmap, ...o.callee?.keys },
    sets: { ring_ms: '200', ...o.calleeSets },
    ...(o.callee?.transport ? { transport: o.callee.transport } : {}),
    ...(o.callee?.replace ? { replace: o.callee.replace } : {}),
    ...(o.callee?.extra ? { extra: o.callee.extra } : {}),
  });
  const callerSipp = await startSipp(t, {
    scenario: o.uac ?? 'uac-call.xml', ip: o.caller?.ip ?? gw.addr[from], port: PORTS.uac, target: o.caller?.target ?? gw.sipTarget, calls: 1,
    called: o.direction === 'pbx-to-uc' ? UC_NUMBER : PBX_NUMBER, pauseMs: o.talkMs ?? 4000,
    keys: { calling: o.direction === 'pbx-to-uc' ? PBX_NUMBER : UC_NUMBER, rtp_ip: gw.addr.gw, rtp_port: String(callerRtp.port), pt: String(callerCodec.pt), codec: callerCodec.rtpmap, ...o.caller?.keys },
    ...(o.caller?.transport ? { transport: o.caller.transport } : {}),
    ...(o.caller?.replace ? { replace: o.caller.replace } : {}),
    ...(o.caller?.extra ? { extra: o.caller.extra } : {}),
  });
  // The callee learns the relay's address from the INVITE, the caller from the 200.
  const calleeMedia = await calleeSipp.waitEvent('media');
  const callerMedia = await callerSipp.waitEvent('media');
  const n = o.packets ?? 50;
  const a = callerRtp.stream({ ip: callerMedia.ip, port: callerMedia.port }, callerCodec, n * 3);
  // The callee answers under the payload type the gateway offered (dynamic for Opus).
  const b = calleeRtp.stream({ ip: calleeMedia.ip, port: calleeMedia.port }, { ...calleeCodec, pt: calleeMedia.pt }, n * 3);
  if (o.during) await o.during({ callerSipp, calleeSipp, callerRtp, calleeRtp });
  const [caller, callee] = await Promise.all([callerSipp.done, calleeSipp.done]);
  a.stop();
  b.stop();
  return { caller, callee, callerRtp, calleeRtp, callerMedia, calleeMedia, callerSipp, calleeSipp };
}

/** Short text for assertion messages. */
export function sippText(r: SippResult): string {
  return `exit ${r.code}, ${r.successful} ok / ${r.failed} failed; ${r.errors.slice(-1500)} ${r.stderr.slice(-500)}`;
}

/** Starts the caller side of a call that is expected to fail: uac-fail.xml, returns its final status. */
export async function failingCall(t: T, gw: SipTarget, o: { from: keyof SlotAddresses; called: string; port?: number; keys?: Record<string, string>; replace?: [string, string][] }): Promise<{ status: number; result: SippResult }> {
  const caller = await startSipp(t, {
    ...(o.replace ? { replace: o.replace } : {}),
    scenario: 'uac-fail.xml', ip: gw.addr[o.from], port: o.port ?? PORTS.uac, target: gw.sipTarget, calls: 1, called: o.called,
    keys: { calling: PBX_NUMBER, rtp_ip: gw.addr.gw, rtp_port: '23998', ...o.keys },
  });
  const result = await caller.done;
  const final = caller.events.find((e) => e.kind === 'final');
  return { status: final?.kind === 'final' ? final.status : 0, result };
}

/** A callee that refuses every INVITE with `status reason` (uas-reject.xml), for `calls` calls. */
export function refusingCallee(t: T, gw: SipTarget, side: 'pbx' | 'uc' | 'uc2', status: number, reason: string, calls = 1): Promise<SippPeer> {
  return startSipp(t, {
    scenario: 'uas-reject.xml', ip: gw.addr[side], port: PORTS.uas, calls,
    replace: [['486 Busy Here', `${status} ${reason}`]],
  });
}
