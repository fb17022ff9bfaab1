// The slice of drachtio-srf's API the call flows use, as structural types: the real `Srf`
// satisfies them (src/sip/gateway.ts hands it over), and unit tests can stand in a fake.
// drachtio-srf's bundled typings are incomplete (no cancel options, no dialog.request body),
// so the shapes used here are written out once, from its source (lib/srf.js, lib/dialog.js).

export interface SrfMessage {
  readonly body: string;
  readonly method?: string;
  readonly uri?: string;
  readonly status?: number;
  readonly reason?: string;
  readonly source_address: string;
  readonly source_port: string | number;
  readonly protocol: string;
  readonly callId: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

export interface SendOpts {
  headers?: Record<string, string>;
  body?: string;
}

export interface SrfRes {
  readonly finalResponseSent: boolean;
  send(status: number, opts?: SendOpts, cb?: (err: unknown) => void): void;
  send(status: number, reason: string, opts?: SendOpts, cb?: (err: unknown) => void): void;
}

/** An incoming INVITE (UAS side). `cancel` fires when the caller CANCELs it. */
export interface SrfInviteReq extends SrfMessage {
  readonly method: string;
  readonly uri: string;
  on(event: 'cancel', fn: (cancel: SrfMessage) => void): unknown;
}

/** An INVITE we sent (UAC side), given by createUAC's cbRequest, to CANCEL it. */
export interface SrfSentInvite {
  /** Headers of the INVITE as sent (Call-ID, From with our tag). */
  get?(name: string): string | undefined;
  cancel(opts?: { headers?: Record<string, string> }, cb?: (err: unknown) => void): void;
}

export interface SrfDialog {
  readonly id: string;
  readonly type: 'uac' | 'uas';
  readonly local: { sdp: string; uri: string };
  readonly remote: { sdp: string; uri: string };
  /** The dialog's identifiers (drachtio-srf's Dialog.sip). */
  readonly sip?: { callId: string; localTag: string; remoteTag: string };
  /** false once srf has seen the dialog end (BYE received or sent). */
  readonly connected?: boolean;
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  modify(sdp: string): Promise<string>;
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfMessage>;
  on(event: 'destroy', fn: (req: SrfMessage) => void): unknown;
  /** The ACK to our 200 (UAS dialogs); for a late offer its body is the far end's answer. */
  on(event: 'ack', fn: (req: SrfMessage) => void): unknown;
  off?(event: string, fn: (...args: never[]) => void): unknown;
  on(event: 'modify' | 'update' | 'info' | 'refer' | 'notify' | 'message', fn: (req: SrfMessage, res: SrfRes) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface UacOptions {
  headers?: Record<string, string>;
  localSdp?: string;
  auth?: { username: string; password: string };
  /** Send to this URI instead of the Request-URI's host (outbound proxy / resolved address). */
  proxy?: string;
  /** Without localSdp: resolve with the 200's offer and leave the ACK to us (SrfLateAnswer). */
  noAck?: boolean;
}

export interface UacCallbacks {
  cbRequest?: (err: unknown, req: SrfSentInvite) => void;
  cbProvisional?: (res: SrfMessage & { status: number }) => void;
}

/** A SIP final failure from createUAC (drachtio-srf's SipError). */
export interface SrfSipError extends Error {
  status: number;
  reason?: string;
  res?: SrfMessage;
}

export function isSrfSipError(e: unknown): e is SrfSipError {
  return e instanceof Error && typeof (e as { status?: unknown }).status === 'number';
}

/**
 * createUAC without localSdp (a late offer, srf's "3pcc" mode) resolves with this instead of a
 * dialog when the 200 carries an offer: the ACK (with our answer) is ours to send.
 */
export interface SrfLateAnswer {
  /** The far end's offer, from its 200. */
  readonly sdp: string;
  readonly res: SrfMessage;
  /** Sends the ACK with `localSdp` as the answer; resolves with the dialog. */
  ack(localSdp: string): Promise<SrfDialog>;
}

export function isSrfLateAnswer(x: SrfDialog | SrfLateAnswer): x is SrfLateAnswer {
  return typeof (x as Partial<SrfLateAnswer>).ack === 'function' && typeof (x as Partial<SrfLateAnswer>).sdp === 'string' && !('type' in x);
}

export interface SrfApi {
  createUAS(req: SrfInviteReq, res: SrfRes, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SrfDialog>;
  createUAC(uri: string, opts: UacOptions, cbs: UacCallbacks): Promise<SrfDialog | SrfLateAnswer>;
}
