// Reads the engine's event records: fixed 64-byte little-endian records on an AF_UNIX
// SOCK_STREAM socketpair (sg_events_fd), wrapped in a net.Socket so libuv's epoll drives it.
// Native threads never wait on this reader; when it falls behind, the native side drops
// events and counts them (droppedCount()).
import { EventEmitter } from 'node:events';
import net from 'node:net';
import koffi from 'koffi';
import type { NativeLibrary } from './native.js';
import {
  EvAddr, EvClosed, EvDtmf, EvRelay, EvRtcp, EvSsrc, EvTimeout, SG_EVENT_PAYLOAD_OFFSET, SG_EVENT_SIZE,
} from './types.js';

const SUBSYS_RTP = 1;
const SUBSYS_RELAY = 2;
const DIGITS = '0123456789*#ABCD!';

interface Base {
  handle: number;
  /** CLOCK_MONOTONIC of the native thread when it posted the event. */
  timeNs: bigint;
}

export type NativeEvent =
  | (Base & { kind: 'rtp.latched'; addr: string; port: number })
  | (Base & { kind: 'rtp.timeout' | 'rtp.resumed'; idleMs: number })
  | (Base & { kind: 'rtp.srtp-fail'; failures: number })
  | (Base & {
      kind: 'rtp.dtmf' | 'rtp.dtmf-sent';
      event: number;
      /** '0'-'9', '*', '#', 'A'-'D', '!' (flash) */
      digit: string;
      end: boolean;
      volume: number;
      durationMs: number;
      rtpTs: number;
    })
  | (Base & { kind: 'rtp.ssrc-changed'; oldSsrc: number; newSsrc: number })
  | (Base & {
      kind: 'rtp.rtcp';
      remoteSsrc: number;
      rttUs: number;
      remoteJitterUs: number;
      remoteLost: number;
      remoteFractionLost: number;
      jitterUs: number;
    })
  | (Base & {
      kind: 'rtp.closed';
      rxPackets: number;
      txPackets: number;
      rxLost: number;
      rxExpected: number;
      jitterUs: number;
      rttUs: number;
    })
  | (Base & {
      kind: 'relay.started' | 'relay.closed' | 'relay.error';
      endpointA: number;
      endpointB: number;
      mode: 'passthrough' | 'transcode';
      err: number;
    })
  /** Subsystems this reader does not decode (span, pri, dsp): the raw 48-byte payload. */
  | (Base & { kind: 'raw'; subsys: number; type: number; payload: Buffer });

const RTP_KINDS: Record<number, NativeEvent['kind']> = {
  1: 'rtp.latched', 2: 'rtp.timeout', 3: 'rtp.resumed', 4: 'rtp.dtmf', 5: 'rtp.ssrc-changed',
  6: 'rtp.rtcp', 7: 'rtp.srtp-fail', 8: 'rtp.dtmf-sent', 9: 'rtp.closed',
};
const RELAY_KINDS: Record<number, NativeEvent['kind']> = { 1: 'relay.started', 2: 'relay.closed', 3: 'relay.error' };

type Decoded = Record<string, unknown>;
const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** Decodes one 64-byte record (exported for tests). */
export function decodeEvent(rec: Buffer): NativeEvent {
  const subsys = rec.readUInt16LE(0);
  const type = rec.readUInt16LE(2);
  const base: Base = { handle: rec.readUInt32LE(4), timeNs: rec.readBigUInt64LE(8) };
  const payload = rec.subarray(SG_EVENT_PAYLOAD_OFFSET, SG_EVENT_SIZE);
  const dec = (t: koffi.IKoffiCType): Decoded => koffi.decode(payload, t) as Decoded;
  const kind = subsys === SUBSYS_RTP ? RTP_KINDS[type] : subsys === SUBSYS_RELAY ? RELAY_KINDS[type] : undefined;
  switch (kind) {
    case 'rtp.latched': {
      const d = dec(EvAddr);
      return { ...base, kind, addr: d.addr as string, port: n(d.port) };
    }
    case 'rtp.timeout':
    case 'rtp.resumed':
      return { ...base, kind, idleMs: n(dec(EvTimeout).idle_ms) };
    case 'rtp.srtp-fail':
      return { ...base, kind, failures: n(dec(EvTimeout).idle_ms) };
    case 'rtp.dtmf':
    case 'rtp.dtmf-sent': {
      const d = dec(EvDtmf);
      const event = n(d.event);
      return {
        ...base, kind, event, digit: DIGITS[event] ?? '?', end: n(d.end) !== 0, volume: n(d.volume),
        durationMs: n(d.duration_ms), rtpTs: n(d.rtp_ts),
      };
    }
    case 'rtp.ssrc-changed': {
      const d = dec(EvSsrc);
      return { ...base, kind, oldSsrc: n(d.old_ssrc), newSsrc: n(d.new_ssrc) };
    }
    case 'rtp.rtcp': {
      const d = dec(EvRtcp);
      return {
        ...base, kind, remoteSsrc: n(d.remote_ssrc), rttUs: n(d.rtt_us), remoteJitterUs: n(d.remote_jitter_us),
        remoteLost: n(d.remote_lost), remoteFractionLost: n(d.remote_fraction_lost), jitterUs: n(d.jitter_us),
      };
    }
    case 'rtp.closed': {
      const d = dec(EvClosed);
      return {
        ...base, kind, rxPackets: n(d.rx_packets), txPackets: n(d.tx_packets), rxLost: n(d.rx_lost),
        rxExpected: n(d.rx_expected), jitterUs: n(d.jitter_us), rttUs: n(d.rtt_us),
      };
    }
    case 'relay.started':
    case 'relay.closed':
    case 'relay.error': {
      const d = dec(EvRelay);
      return {
        ...base, kind, endpointA: n(d.endpoint_a), endpointB: n(d.endpoint_b),
        mode: n(d.mode) === 2 ? 'transcode' : 'passthrough', err: n(d.err),
      };
    }
    default:
      return { ...base, kind: 'raw', subsys, type, payload: Buffer.from(payload) };
  }
}

export interface NativeEventReaderEvents {
  event: [NativeEvent];
  error: [Error];
}

/**
 * The process-wide reader of the native event socket. The socket is unref'd: it never keeps
 * the process alive by itself. There is one per library (the fd is process-wide).
 */
export class NativeEventReader extends EventEmitter<NativeEventReaderEvents> {
  private static instance: NativeEventReader | undefined;
  private readonly socket: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private readonly dropped: () => unknown;

  private constructor(native: NativeLibrary) {
    super();
    const fd = native.check(native.lib.func('int sg_events_fd(void)')() as number, 'sg_events_fd');
    this.dropped = native.lib.func('uint64_t sg_events_dropped(void)');
    this.socket = new net.Socket({ fd, readable: true, writable: false });
    this.socket.unref();
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.emit('error', err));
  }

  static open(native: NativeLibrary): NativeEventReader {
    NativeEventReader.instance ??= new NativeEventReader(native);
    return NativeEventReader.instance;
  }

  /** Events the native side dropped because this reader fell behind. */
  droppedCount(): number {
    return n(this.dropped());
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= SG_EVENT_SIZE) {
      this.emit('event', decodeEvent(buf.subarray(off, off + SG_EVENT_SIZE)));
      off += SG_EVENT_SIZE;
    }
    this.pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
    buf = Buffer.alloc(0);
  }
}
