// koffi binding of the PRI API (native/include/spangate/pri.h): libpri signalling on open spans,
// call commands, call info and status, and the decoder of SG_SUBSYS_PRI event records.
// Every call is synchronous and non-blocking; a negative sg_err becomes a NativeError.
import koffi from 'koffi';
import { NativeError } from '../errors.js';
import type { NativeEvent } from './events.js';
import { checkStructSizes, type NativeLibrary } from './native.js';
import { SG_SUBSYS_SPAN, decodeSpanEvent, type SpanEvent } from './span.js';

export const SG_SUBSYS_PRI = 4;

export const SWITCHTYPES = ['national', 'dms100', '4ess', '5ess', 'euroisdn', 'qsig'] as const;
export type Switchtype = (typeof SWITCHTYPES)[number];
export type PriSide = 'user' | 'network';

export const TON = { unknown: 0, international: 1, national: 2, network: 3, subscriber: 4, abbreviated: 6 } as const;
export type Ton = keyof typeof TON;
export const NPI = { unknown: 0, e164: 1, private: 9 } as const;
export type Npi = keyof typeof NPI;
/** Presentation octet: restriction (0x00 allowed, 0x20 restricted, 0x40 unavailable) | screening (0-3). */
export const PRES_ALLOWED = 0x00;
export const PRES_RESTRICTED = 0x20;
export const PRES_UNAVAILABLE = 0x40;
export const SCREEN_USER_PASSED = 0x01;
export const SCREEN_NETWORK = 0x03;

export const PRI_F_INBAND = 0x01;
export const PRI_F_EXCLUSIVE = 0x02;
export const PRI_F_COMPLETE = 0x04;
export const PRI_F_LOCAL = 0x08;
export const PROG_INBAND = 0x08;

const NUMBER_MAX = 32;
const NAME_MAX = 48;

export const PriConfig = koffi.struct('sg_pri_config_t', {
  struct_size: 'uint32_t',
  switchtype: 'uint32_t',
  side: 'uint32_t',
  overlap: 'uint32_t',
  digit_timeout_ms: 'uint32_t',
  t200_ms: 'uint32_t',
  t203_ms: 'uint32_t',
  service_messages: 'uint32_t',
  alarm_clear_ms: 'uint32_t',
  t309_ms: 'uint32_t',
});

export const PriParty = koffi.struct('sg_pri_party_t', {
  number: koffi.array('char', NUMBER_MAX, 'String'),
  name: koffi.array('char', NAME_MAX, 'String'),
  ton: 'uint8_t',
  npi: 'uint8_t',
  pres: 'uint8_t',
  reserved: 'uint8_t',
});

export const PriSetup = koffi.struct('sg_pri_setup_t', {
  struct_size: 'uint32_t',
  channel: 'int32_t',
  exclusive: 'uint32_t',
  bearer: 'uint32_t',
  complete: 'uint32_t',
  called: PriParty,
  calling: PriParty,
});

export const PriCallInfo = koffi.struct('sg_pri_call_info_t', {
  struct_size: 'uint32_t',
  span: 'int32_t',
  channel: 'int32_t',
  direction: 'uint32_t',
  state: 'uint32_t',
  exclusive: 'uint32_t',
  complete: 'uint32_t',
  bearer: 'uint32_t',
  layer1: 'uint32_t',
  progress: 'uint32_t',
  cause: 'uint32_t',
  calling: PriParty,
  called: PriParty,
});

export const PriStatus = koffi.struct('sg_pri_status_t', {
  struct_size: 'uint32_t',
  open: 'uint32_t',
  dchan_up: 'uint32_t',
  alarms: 'uint32_t',
  calls: 'uint32_t',
  channels: 'uint32_t',
  out_of_service: 'uint32_t',
  reserved: 'uint32_t',
  protocol_errors: 'uint64_t',
  calls_in: 'uint64_t',
  calls_out: 'uint64_t',
  rejected: 'uint64_t',
  last_error: koffi.array('char', 96, 'String'),
});

export const PriEv = koffi.struct('sg_pri_ev_t', {
  span: 'uint16_t',
  channel: 'uint16_t',
  cause: 'uint8_t',
  flags: 'uint8_t',
  progress: 'uint16_t',
  aux: 'uint32_t',
  digits: koffi.array('char', 36, 'String'),
});

/** Sizes from the C header (x86-64); checked with the library's sg_struct_size() (checkStructSizes). */
export const PRI_STRUCTS: ReadonlyArray<readonly [string, koffi.IKoffiCType, number]> = [
  ['sg_pri_config_t', PriConfig, 40],
  ['sg_pri_party_t', PriParty, 84],
  ['sg_pri_setup_t', PriSetup, 188],
  ['sg_pri_call_info_t', PriCallInfo, 212],
  ['sg_pri_status_t', PriStatus, 160],
  ['sg_pri_ev_t', PriEv, 48],
];

export interface PriOpenOptions {
  switchtype: Switchtype;
  side: PriSide;
  /** Overlap receiving: collect digits after SETUP ACK until digitTimeoutMs of silence. */
  overlap?: boolean;
  digitTimeoutMs?: number;
  t200Ms?: number;
  t203Ms?: number;
  serviceMessages?: boolean;
  /** Red-alarm integration: a span alarm must last this long before its calls clear (38); 0 = 2500. */
  alarmClearMs?: number;
  /** Q.931 T309: active calls survive a D-channel loss this long; 0 = libpri's 6000. */
  t309Ms?: number;
}

export interface PriParty {
  number: string;
  name: string;
  ton: Ton;
  npi: Npi;
  /** Presentation octet (PRES_* | SCREEN_*). */
  pres: number;
}

export interface PriSetupOptions {
  /** B-channel (timeslot); 0 = any free. */
  channel?: number;
  exclusive?: boolean;
  /** 'speech' (default) or '3.1khz' audio. */
  bearer?: 'speech' | '3.1khz';
  /** Sending Complete (default true); false = overlap sending. */
  complete?: boolean;
  called: Partial<PriParty> & { number: string };
  calling: Partial<PriParty> & { number: string };
}

export type PriCallState = 'setup' | 'overlap' | 'ringing-in' | 'proceeding' | 'alerting' | 'active' | 'releasing';
const CALL_STATES: Record<number, PriCallState> = {
  1: 'setup', 2: 'overlap', 3: 'ringing-in', 4: 'proceeding', 5: 'alerting', 6: 'active', 7: 'releasing',
};

export interface PriCallInfo {
  span: number;
  channel: number;
  direction: 'incoming' | 'outgoing';
  state: PriCallState | 'unknown';
  exclusive: boolean;
  complete: boolean;
  bearer: number;
  /** User layer 1: 0x22 mu-law, 0x23 A-law. */
  layer1: number;
  progress: number;
  cause: number;
  calling: PriParty;
  called: PriParty;
}

export interface PriStatusValues {
  open: boolean;
  dchanUp: boolean;
  alarms: number;
  calls: number;
  channels: number;
  outOfService: number;
  protocolErrors: number;
  callsIn: number;
  callsOut: number;
  rejected: number;
  lastError: string;
}

interface CallEventBase { call: number; span: number; channel: number; flags: number; progress: number }
export type PriEvent =
  | { kind: 'pri.dchan-up' | 'pri.dchan-down'; span: number }
  | (CallEventBase & { kind: 'pri.ring'; called: string })
  | (CallEventBase & { kind: 'pri.proceeding' | 'pri.ringing' | 'pri.answer' | 'pri.setup-ack' })
  /** cause: the PROGRESS's cause IE (in-band tones before clearing), 0 when none. */
  | (CallEventBase & { kind: 'pri.progress'; cause: number })
  | (CallEventBase & { kind: 'pri.hangup'; cause: number })
  | (CallEventBase & { kind: 'pri.digits'; digits: string })
  | { kind: 'pri.restart' | 'pri.restart-ack'; span: number; channel: number; ours: boolean }
  | { kind: 'pri.alarm'; span: number; alarms: number }
  | { kind: 'pri.service'; span: number; channel: number; inService: boolean };

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const tonName = (v: number): Ton => (Object.entries(TON).find(([, x]) => x === v)?.[0] as Ton | undefined) ?? 'unknown';
const npiName = (v: number): Npi => (Object.entries(NPI).find(([, x]) => x === v)?.[0] as Npi | undefined) ?? 'unknown';

/** Decodes an SG_SUBSYS_PRI record's type, handle and 48-byte payload; undefined for an unknown type. */
export function decodePriEvent(type: number, handle: number, payload: Buffer): PriEvent | undefined {
  const d = koffi.decode(payload, PriEv) as Record<string, unknown>;
  const span = num(d.span);
  const channel = num(d.channel);
  const flags = num(d.flags);
  const base: CallEventBase = { call: handle, span, channel, flags, progress: num(d.progress) };
  switch (type) {
    case 1: return { kind: 'pri.dchan-up', span: handle };
    case 2: return { kind: 'pri.dchan-down', span: handle };
    case 3: return { ...base, kind: 'pri.ring', called: String(d.digits) };
    case 4: return { ...base, kind: 'pri.proceeding' };
    case 5: return { ...base, kind: 'pri.ringing' };
    case 6: return { ...base, kind: 'pri.progress', cause: num(d.cause) };
    case 7: return { ...base, kind: 'pri.answer' };
    case 8: return { ...base, kind: 'pri.hangup', cause: num(d.cause) };
    case 9: return { kind: 'pri.restart', span: handle, channel, ours: num(d.aux) === 1 };
    case 10: return { kind: 'pri.restart-ack', span: handle, channel, ours: true };
    case 11: return { ...base, kind: 'pri.digits', digits: String(d.digits) };
    case 12: return { ...base, kind: 'pri.setup-ack' };
    case 13: return { kind: 'pri.alarm', span: handle, alarms: num(d.aux) };
    case 14: return { kind: 'pri.service', span: handle, channel, inService: num(d.aux) === 0 };
    default: return undefined;
  }
}

/** Span and PRI events out of the reader's records (it hands them over as 'raw'); undefined for others. */
export function decodeTdmEvent(e: NativeEvent): SpanEvent | PriEvent | undefined {
  if (e.kind !== 'raw') return undefined;
  if (e.subsys === SG_SUBSYS_SPAN) return decodeSpanEvent(e.type, e.handle, e.payload);
  if (e.subsys === SG_SUBSYS_PRI) return decodePriEvent(e.type, e.handle, e.payload);
  return undefined;
}

function encodeParty(p: Partial<PriParty> & { number: string }, what: string): Record<string, unknown> {
  if (!/^[0-9*#A-Da-d]{0,31}$/.test(p.number)) throw new NativeError(`sg_pri_call: ${what} number ${JSON.stringify(p.number)} must be up to 31 digits`);
  const name = p.name ?? '';
  if (Buffer.byteLength(name) >= NAME_MAX) throw new NativeError(`sg_pri_call: ${what} name is longer than ${NAME_MAX - 1} bytes`);
  return {
    number: p.number, name, ton: TON[p.ton ?? 'unknown'], npi: NPI[p.npi ?? 'unknown'],
    pres: p.pres ?? PRES_ALLOWED, reserved: 0,
  };
}

function decodeParty(d: Record<string, unknown>): PriParty {
  return {
    number: String(d.number), name: String(d.name), ton: tonName(num(d.ton)), npi: npiName(num(d.npi)), pres: num(d.pres),
  };
}

/** What PriLeg and SpanManager need of the PRI layer (a fake implements it in unit tests). */
export interface PriApi {
  call(span: number, setup: PriSetupOptions): number;
  proceeding(call: number, inband: boolean): void;
  alerting(call: number, inband: boolean): void;
  progress(call: number): void;
  /** PROGRESS with progress indicator 8 and a cause IE (a refusal with in-band tones). */
  progressCause(call: number, cause: number): void;
  answer(call: number): void;
  hangup(call: number, cause: number): void;
  digits(call: number, digits: string): void;
  callInfo(call: number): PriCallInfo;
}

/** The PRI functions of one loaded library. */
export class PriBinding implements PriApi {
  private readonly f: Record<string, koffi.KoffiFunction>;

  constructor(private readonly native: NativeLibrary) {
    checkStructSizes(native, PRI_STRUCTS);
    const l = native.lib;
    this.f = {
      spanOpen: l.func('int sg_pri_span_open(int span, const sg_pri_config_t *cfg)'),
      spanClose: l.func('int sg_pri_span_close(int span)'),
      call: l.func('int sg_pri_call(int span, const sg_pri_setup_t *setup)'),
      proceeding: l.func('int sg_pri_proceeding(uint32_t call, int inband)'),
      alerting: l.func('int sg_pri_alerting(uint32_t call, int inband)'),
      progress: l.func('int sg_pri_progress(uint32_t call)'),
      progressCause: l.func('int sg_pri_progress_cause(uint32_t call, int cause)'),
      answer: l.func('int sg_pri_answer(uint32_t call)'),
      hangup: l.func('int sg_pri_hangup(uint32_t call, int cause)'),
      digits: l.func('int sg_pri_digits(uint32_t call, const char *digits)'),
      restart: l.func('int sg_pri_restart(int span, int channel)'),
      service: l.func('int sg_pri_service(int span, int channel, int in_service)'),
      callInfo: l.func('int sg_pri_call_info(uint32_t call, _Out_ sg_pri_call_info_t *out, uint32_t size)'),
      status: l.func('int sg_pri_status(int span, _Out_ sg_pri_status_t *out, uint32_t size)'),
    };
  }

  private run(name: string, what: string, ...args: unknown[]): number {
    return this.native.check(this.f[name]!(...args) as number, what);
  }

  spanOpen(span: number, o: PriOpenOptions): void {
    const sw = SWITCHTYPES.indexOf(o.switchtype);
    if (sw < 0) throw new NativeError(`sg_pri_span_open: unknown switchtype ${String(o.switchtype)}`);
    this.run('spanOpen', `sg_pri_span_open(${span})`, span, {
      struct_size: koffi.sizeof(PriConfig), switchtype: sw + 1, side: o.side === 'user' ? 1 : 2,
      overlap: o.overlap ? 1 : 0, digit_timeout_ms: o.digitTimeoutMs ?? 0, t200_ms: o.t200Ms ?? 0,
      t203_ms: o.t203Ms ?? 0, service_messages: o.serviceMessages ? 1 : 0,
      alarm_clear_ms: o.alarmClearMs ?? 0, t309_ms: o.t309Ms ?? 0,
    });
  }

  spanClose(span: number): void {
    this.run('spanClose', `sg_pri_span_close(${span})`, span);
  }

  call(span: number, s: PriSetupOptions): number {
    return this.run('call', `sg_pri_call(${span})`, span, {
      struct_size: koffi.sizeof(PriSetup), channel: s.channel ?? 0, exclusive: s.exclusive ? 1 : 0,
      bearer: s.bearer === '3.1khz' ? 1 : 0, complete: s.complete === false ? 0 : 1,
      called: encodeParty(s.called, 'called'), calling: encodeParty(s.calling, 'calling'),
    });
  }

  proceeding(call: number, inband: boolean): void {
    this.run('proceeding', `sg_pri_proceeding(${call})`, call, inband ? 1 : 0);
  }

  alerting(call: number, inband: boolean): void {
    this.run('alerting', `sg_pri_alerting(${call})`, call, inband ? 1 : 0);
  }

  progress(call: number): void {
    this.run('progress', `sg_pri_progress(${call})`, call);
  }

  progressCause(call: number, cause: number): void {
    if (!Number.isInteger(cause) || cause < 1 || cause > 127) throw new NativeError(`sg_pri_progress_cause: cause ${cause} is not 1-127`);
    this.run('progressCause', `sg_pri_progress_cause(${call}, ${cause})`, call, cause);
  }

  answer(call: number): void {
    this.run('answer', `sg_pri_answer(${call})`, call);
  }

  hangup(call: number, cause: number): void {
    if (!Number.isInteger(cause) || cause < 1 || cause > 127) throw new NativeError(`sg_pri_hangup: cause ${cause} is not 1-127`);
    this.run('hangup', `sg_pri_hangup(${call}, ${cause})`, call, cause);
  }

  digits(call: number, digits: string): void {
    if (!/^[0-9*#A-Da-d]{1,31}$/.test(digits)) throw new NativeError(`sg_pri_digits: ${JSON.stringify(digits)} is not 1-31 digits`);
    this.run('digits', `sg_pri_digits(${call})`, call, digits);
  }

  /** RESTART one B-channel, or all when channel is 0; their calls clear with 41. */
  restart(span: number, channel = 0): void {
    this.run('restart', `sg_pri_restart(${span}, ${channel})`, span, channel);
  }

  service(span: number, channel: number, inService: boolean): void {
    this.run('service', `sg_pri_service(${span}, ${channel})`, span, channel, inService ? 1 : 0);
  }

  callInfo(call: number): PriCallInfo {
    const o: Record<string, unknown> = {};
    this.run('callInfo', `sg_pri_call_info(${call})`, call, o, koffi.sizeof(PriCallInfo));
    const state = CALL_STATES[num(o.state)];
    return {
      span: num(o.span), channel: num(o.channel), direction: num(o.direction) === 1 ? 'incoming' : 'outgoing',
      state: state ?? 'unknown', exclusive: num(o.exclusive) !== 0, complete: num(o.complete) !== 0,
      bearer: num(o.bearer), layer1: num(o.layer1), progress: num(o.progress), cause: num(o.cause),
      calling: decodeParty(o.calling as Record<string, unknown>), called: decodeParty(o.called as Record<string, unknown>),
    };
  }

  status(span: number): PriStatusValues {
    const o: Record<string, unknown> = {};
    this.run('status', `sg_pri_status(${span})`, span, o, koffi.sizeof(PriStatus));
    return {
      open: num(o.open) !== 0, dchanUp: num(o.dchan_up) !== 0, alarms: num(o.alarms), calls: num(o.calls),
      channels: num(o.channels), outOfService: num(o.out_of_service), protocolErrors: num(o.protocol_errors),
      callsIn: num(o.calls_in), callsOut: num(o.calls_out), rejected: num(o.rejected), lastError: String(o.last_error),
    };
  }
}
