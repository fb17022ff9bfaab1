// A minimal UAS and sipp runner built on the edge layers, shared by the sipp integration tests.
// The UAS answers INVITE (180 then 200, optionally only after the INVITE was retransmitted),
// takes the ACK, and answers BYE/OPTIONS with 200.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipRequest } from '../../../../../src/sip/edge/message/index.js';
import { SipTransport, type InboundMessage, type TransportProtocol } from '../../../../../src/sip/edge/transport/index.js';
import { TransactionLayer, buildResponse, newTag, type ServerTransaction, type TransactionUser } from '../../../../../src/sip/edge/transaction/index.js';

export interface MiniUasOptions {
  protocol: TransportProtocol;
  address: string;
  /** Answer an INVITE only once this many copies arrived (2 = after one retransmission). */
  answerAfterCopies?: number;
}

export class MiniUas extends EventEmitter implements TransactionUser {
  readonly transport: SipTransport;
  readonly layer: TransactionLayer;
  invites = 0;
  acks = 0;
  byes = 0;
  inviteCopies = new Map<string, number>();
  private pending = new Map<string, ServerTransaction>();

  constructor(private readonly opts: MiniUasOptions) {
    super();
    this.transport = new SipTransport({ listen: [{ protocol: opts.protocol, address: opts.address, port: 0 }] });
    this.layer = new TransactionLayer({ transport: this.transport, tu: this, trying: 'none' });
    this.transport.on('message', (m) => {
      this.layer.receive(m);
      this.countCopies(m);
    });
  }

  async start(): Promise<number> {
    const [l] = await this.transport.start();
    return l.port;
  }

  async close(): Promise<void> {
    this.layer.close();
    await this.transport.close();
  }

  onRequest(txn: ServerTransaction): void {
    const req = txn.request;
    if (req.method === 'INVITE') {
      this.invites++;
      this.pending.set(req.callId, txn);
      this.maybeAnswer(req.callId);
    } else if (req.method === 'BYE' || req.method === 'OPTIONS') {
      if (req.method === 'BYE') this.byes++;
      txn.respond(buildResponse(req, 200, undefined, req.to.tag ?? newTag()));
      this.emit(req.method.toLowerCase());
    } else {
      txn.respond(buildResponse(req, 501, undefined, newTag()));
    }
  }

  onAck(): void {
    this.acks++;
    this.emit('ack');
  }

  onStrayResponse(): void {}

  private countCopies(m: InboundMessage): void {
    const msg = m.message;
    if (!msg.isRequest || msg.method !== 'INVITE') return;
    const n = (this.inviteCopies.get(msg.callId) ?? 0) + 1;
    this.inviteCopies.set(msg.callId, n);
    this.maybeAnswer(msg.callId);
  }

  private maybeAnswer(callId: string): void {
    const txn = this.pending.get(callId);
    if (txn === undefined || (this.inviteCopies.get(callId) ?? 0) < (this.opts.answerAfterCopies ?? 1)) return;
    this.pending.delete(callId);
    const req: SipRequest = txn.request;
    const tag = newTag();
    const l = this.transport.boundListeners[0];
    txn.respond(buildResponse(req, 180, undefined, tag));
    const ok = buildResponse(req, 200, undefined, tag);
    ok.add('Contact', `<sip:uas@${l.host}:${l.hostPort};transport=${l.protocol}>`);
    ok.add('Content-Type', 'application/sdp');
    ok.body = Buffer.from(`v=0\r\no=- 1 1 IN IP4 ${l.address}\r\ns=-\r\nc=IN IP4 ${l.address}\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n`);
    txn.respond(ok);
  }
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  errors: string;
}

/** Runs sipp with a scenario text; resolves when it exits (killed after `timeoutMs`). */
export function runSipp(scenario: string, args: string[], timeoutMs = 60000): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-sipp-'));
  const sf = join(dir, 'scenario.xml');
  writeFileSync(sf, scenario);
  return new Promise((resolve) => {
    const child = spawn('sipp', ['-sf', sf, '-nostdin', '-trace_err', '-error_file', join(dir, 'errors.log'), ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ef = join(dir, 'errors.log');
      const errors = existsSync(ef) ? readFileSync(ef, 'utf8') : '';
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, errors });
    });
  });
}

/**
 * The sipp UAC scenario both sipp integration tests run: INVITE (with SDP), 180 optional, 200,
 * ACK, BYE, 200. `retransMs` sets sipp's retransmission interval for INVITE and BYE (UDP only).
 */
export function uacCallScenario(name: string, retransMs?: number): string {
  const send = retransMs === undefined ? '<send>' : `<send retrans="${retransMs}">`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="${name}">
  ${send}
    <![CDATA[
      INVITE sip:edge@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: edge <sip:edge@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
    ]]>
  </send>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:edge@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: edge <sip:edge@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  ${send}
    <![CDATA[
      BYE sip:edge@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: edge <sip:edge@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}
