// The native relay in the real daemon: both trunks say `mediaRelay: native`, so no rtpengine is
// started and the native engine (libspangate) anchors the calls. A PCMU call pbx → uc with RTP
// counted both ways at the far ends and a CDR; a PCMU ⇄ G.722 call transcoded by the engine;
// `show calls` and /health say which relay. Kernel forwarding is `auto` on an interface that
// does not exist, so the daemon takes the refusal path (logs why, relays in user space): the
// kernel path itself is exercised by native/test/test_kfwd.c in a private network namespace,
// since attaching a tc program to this host's shared loopback would put it in every other
// test's packet path.
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';
import { answeredCall, sippText, twoTrunkGateway, PBX_NUMBER, UC_NUMBER } from './support/calls.js';
import { CODECS } from './support/rtp.js';
import { metric, waitCdrs } from './support/records.js';
import { slot, waitUntil } from './support/gateway.js';

const SLOT = 26;

t.test('native relay through the daemon', async (t) => {
  const native = { extra: { mediaRelay: 'native' } };
  const gw = await twoTrunkGateway(t, SLOT, {
    pbx: native,
    uc: native,
    extra: {
      media: {
        native: { address: slot(SLOT).gw, portMin: 23600, portMax: 23799, kernelForwarding: 'auto', kernelInterfaces: 'sgnosuch0',
          // Receive steering on (as root it attaches: the calls below then arrive through the
          // media threads' steering sockets; without the privilege it logs why and stays off).
          receiveSteering: 'auto', receiveIntervalUs: 1000 },
      },
    },
  });

  const h = await gw.health();
  const media = h.subsystems.media!;
  t.equal(media.status, 'ok', `media health: ${media.detail}`);
  t.match(media.detail, /native relay up \(127\.\d+\.23\.\d+\), 0 sessions, kernel forwarding off: kernel forwarding on sgnosuch0/);
  t.match(media.detail, /rtpengine not used/);
  t.match(media.detail, /receive steering (on \(every 1000 us\)|off: .*(CAP_BPF|not available))/);
  await gw.waitLog((l) => l.msg === 'kernel forwarding could not attach: relaying every stream in user space' || String(l.msg).startsWith('kernel forwarding not permitted'), 'kfwd refusal logged');
  t.equal(await metric(gw.metricsUrl, 'spangate_native_relay_up'), 1);
  t.equal(await metric(gw.metricsUrl, 'spangate_rtpengine_up'), 0, 'rtpengine not started');

  t.test('pbx → uc, PCMU both ways, CDR, show calls says native', async (t) => {
    let shown = '';
    const r = await answeredCall(t, gw, {
      // Long enough for `show calls` (a CLI process each time) to catch the call on a loaded host.
      direction: 'pbx-to-uc', packets: 50, talkMs: 15_000,
      during: async () => {
        await waitUntil(async () => {
          const c = await runCli(['show', 'calls', '--socket', gw.adminSocket]);
          shown = c.stdout;
          return /native/.test(shown);
        }, 'show calls lists the call on the native relay');
      },
    });
    t.equal(r.caller.code, 0, `caller sipp: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, `callee sipp: ${sippText(r.callee)}`);
    t.match(shown, /pbx +uc +\+15551001234 +\+15552001234 +native/);
    t.equal(r.calleeMedia.ip, gw.addr.gw, 'the callee is told to send media to the native relay');
    t.equal(r.callerMedia.ip, gw.addr.gw, 'the caller is told to send media to the native relay');
    t.ok(r.calleeMedia.port >= 23600 && r.calleeMedia.port <= 23799, `native port ${r.calleeMedia.port} from media.native`);
    t.ok(r.calleeRtp.count(0) >= 50, `callee received ${r.calleeRtp.count(0)} PCMU packets from the caller`);
    t.ok(r.callerRtp.count(0) >= 50, `caller received ${r.callerRtp.count(0)} PCMU packets from the callee`);
    t.equal(r.calleeRtp.source?.ip, gw.addr.gw, 'RTP arrives from the relay');

    const [cdr] = await waitCdrs(gw.cdrFile, 1);
    t.equal(cdr!.disposition, 'answered');
    t.equal(cdr!.cause, 16);
    t.equal(cdr!.a.trunk, 'pbx');
    t.equal(cdr!.b?.trunk, 'uc');
    t.equal(cdr!.a.calling, PBX_NUMBER);
    t.equal(cdr!.a.called, UC_NUMBER);
    t.equal(cdr!.a.codec, 'PCMU');
    t.equal(cdr!.b?.codec, 'PCMU');
    t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 50, `the native relay counted ${cdr!.a.rtp?.packetsIn} packets from the caller`);
    t.ok((cdr!.b?.rtp?.packetsIn ?? 0) >= 50, `the native relay counted ${cdr!.b?.rtp?.packetsIn} packets from the callee`);
    t.ok(await metric(gw.metricsUrl, 'spangate_native_relayed_packets_total') >= 100, 'relayed by the engine');
    t.equal(await metric(gw.metricsUrl, 'spangate_native_kfwd_packets_total'), 0, 'nothing in the kernel');
    await waitUntil(async () => (await metric(gw.metricsUrl, 'spangate_native_relay_sessions')) === 0, 'the session closed with the call');
  });

  // The UC phone offers only G.722; the PBX trunk's list puts PCMU first (added by the relay
  // as a transcoding target) and the PBX answers PCMU: the engine transcodes both ways.
  t.test('G.722 ⇄ PCMU transcoded by the native relay', async (t) => {
    const r = await answeredCall(t, gw, { direction: 'uc-to-pbx', callerCodec: CODECS.G722, calleeCodec: CODECS.PCMU });
    t.equal(r.caller.code, 0, `caller sipp: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, `callee sipp: ${sippText(r.callee)}`);
    t.equal(r.calleeMedia.pt, 0, `the PBX side is offered PCMU first (${r.calleeMedia.codec})`);
    t.equal(r.callerMedia.codec, 'G722', 'the UC side is answered G722');
    t.ok(r.calleeRtp.count(0) >= 50, `PBX side received ${r.calleeRtp.count(0)} PCMU packets; by pt ${JSON.stringify([...r.calleeRtp.byPt])}`);
    t.equal(r.calleeRtp.count(9), 0, 'no G722 leaked to the PBX side');
    t.ok(r.callerRtp.count(9) >= 50, `UC side received ${r.callerRtp.count(9)} G722 packets; by pt ${JSON.stringify([...r.callerRtp.byPt])}`);
    t.equal(r.callerRtp.count(0), 0, 'no PCMU leaked to the UC side');
    const rows = await waitCdrs(gw.cdrFile, 2);
    const cdr = rows.find((x) => x.a.trunk === 'uc')!;
    t.equal(cdr.disposition, 'answered');
    t.equal(cdr.a.codec, 'G722');
    t.equal(cdr.b?.codec, 'PCMU');
    t.ok(await metric(gw.metricsUrl, 'spangate_native_relayed_packets_total') >= 200, 'transcoded packets counted');
  });
});
