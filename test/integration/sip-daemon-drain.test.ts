// Drain with a SIP dialog up: new INVITEs and OPTIONS get 503 + Retry-After, while the
// established dialog keeps working both ways (our INFO, the peer's BYE); the SIP subsystem's
// drain ends when the edge holds no dialog, and the daemon stops.
// The daemon runs in this process (startDaemon, the same code `spangate run` runs) because the
// dialog needs an INVITE handler on the daemon's Srf: here a minimal UAS registered through
// SipSubsystem.onReady, as the call flows (src/sip/gateway.ts) register theirs. sipp's call
// leg uses a fixed port (21911): our in-dialog INFO goes to its Contact.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { startDaemon } from '../../src/main.js';
import type { Srf } from '../../src/sip/srf.js';
import { inviteRejectedScenario, optionsScenario, runSipp, sipp } from '../fixtures/sip.js';
import { tmpDir } from '../fixtures/tmp.js';

const GW = '127.0.21.10';
const PEER = '127.0.21.11';
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.21.10\r\ns=-\r\nc=IN IP4 127.0.21.10\r\nt=0 0\r\nm=audio 21900 RTP/AVP 0\r\n';

/** A call that stays up until we send INFO; then the peer hangs up. */
const CALL = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call held through the drain">
  <send retrans="500">
    <![CDATA[
      INVITE sip:+4930555123@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+4989123@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:+4930555123@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true">
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/></action>
  </recv>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+4989123@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="INFO" timeout="60000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:+4989123@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [$to_hdr]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
`;

interface DialogLike { request(opts: { method: string }): Promise<unknown>; on(e: 'destroy', fn: () => void): void }

t.test('drain: new INVITEs and OPTIONS get 503, the dialog goes on, then the daemon stops', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({
    daemon: { pidFile: join(dir, 'p.pid'), stateDir: join(dir, 'state'), drainTimeoutMs: 60_000 },
    admin: { socket: join(dir, 'a.sock') },
    metrics: { address: '127.0.0.1', port: 0 },
    sip: { edge: { listen: [{ proto: 'udp', host: GW, port: 0 }], overload: { retryAfterS: 11 } } },
  }));
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const running = await startDaemon({
    configFile: file, signals: false,
    logDestination: { write: (l) => { lines.push(JSON.parse(l) as Record<string, unknown>); for (const w of [...waiters]) w(); } },
  });
  t.teardown(() => running.daemon.shutdown('teardown'));
  const event = (name: string): Promise<Record<string, unknown>> => new Promise((resolve) => {
    const check = (): void => {
      const l = lines.find((x) => x.event === name);
      if (l) {
        waiters.delete(check);
        resolve(l);
      }
    };
    waiters.add(check);
    check();
  });

  // A minimal UAS on the daemon's Srf, as the call flows would register one.
  let dialogUp!: (d: DialogLike) => void;
  const dialog = new Promise<DialogLike>((r) => (dialogUp = r));
  let peerBye!: () => void;
  const byeSeen = new Promise<void>((r) => (peerBye = r));
  running.sip.onReady((srf: Srf) => {
    srf.invite((req, res) => {
      void srf.createUAS(req, res, { localSdp: SDP }).then((d) => {
        const dl = d as unknown as DialogLike;
        dl.on('destroy', () => peerBye());
        dialogUp(dl);
      });
    });
  });
  const port = running.sip.listeners[0]!.port;

  const call = runSipp(CALL, ['-t', 'u1', '-i', PEER, '-p', '21911', '-m', '1', '-timeout', '90', '-timeout_error', `${GW}:${port}`], 100_000);
  const d = await dialog;
  t.pass('dialog established');

  const stopped = running.daemon.shutdown('test drain');
  await event('sip-draining');
  t.equal(running.sip.accepting, false);
  t.equal(running.daemon.state, 'draining');

  const inv = await sipp(inviteRejectedScenario(503), 'udp', PEER, GW, port);
  t.equal(inv.code, 0, `a new INVITE while draining: 503 with Retry-After: ${inv.errors.slice(0, 1000)}`);
  const opt = await sipp(optionsScenario(503), 'udp', PEER, GW, port);
  t.equal(opt.code, 0, `OPTIONS while draining: 503 with Retry-After: ${opt.errors.slice(0, 1000)}`);
  t.equal(running.daemon.state, 'draining', 'still draining: the dialog is up');

  // The dialog works both ways: our INFO is answered, the peer's BYE arrives.
  await d.request({ method: 'INFO' });
  await byeSeen;
  const r = await call;
  t.equal(r.code, 0, `the held call ended normally: ${r.errors.slice(0, 1000)}`);

  await stopped;
  t.equal(running.daemon.state, 'stopped', 'drain ended once the dialog was gone');
  t.equal(await running.daemon.done, 0);
});
