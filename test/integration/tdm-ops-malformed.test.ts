// Malformed input on a live span, through the real daemon: with a pass-through call up on each
// of two PSTN ⇄ PBX span pairs, the PSTN end of the first pair sends HDLC garbage on the
// D-channel (frames with a bad FCS, aborts, short and overlong frames), well-framed Q.921/Q.931
// nonsense (bad call reference length, foreign protocol discriminator, a SETUP without its
// mandatory IEs, a nonsense IE, a DISCONNECT for a call reference nobody holds, unknown SAPI, a
// one-octet frame, an undefined control field), two SETUPs damaged inside valid I-frames, and
// UDP garbage from a foreign address. The daemon counts it (show spans, /metrics), logs it, never
// crashes; a SETUP cut short is refused with 96, a SETUP with a foreign protocol discriminator is
// ignored until libpri's T303 retransmission connects; both calls keep carrying DTMF.
import { createSocket } from 'node:dgram';
import t from 'tap';
import { runCli } from '../fixtures/daemon.js';
import { WAIT, connect, dtmfThrough, startGateway, until } from './support/tdm-daemon.js';
import type { SpanView } from '../../src/tdm/span-manager.js';

const ROUTING = {
  trunks: {
    pstn: { role: 'pstn', numberFormat: 'national' }, pstn2: { role: 'pstn', numberFormat: 'national' },
    pbx: { role: 'pbx', numberFormat: 'national' }, pbx2: { role: 'pbx', numberFormat: 'national' },
  },
  sites: [{ id: 'hq', ranges: [{ numbers: '+4930555100-+4930555199', owner: 'pbx' }, { numbers: '+4930555200-+4930555299', owner: 'pbx2' }] }],
};

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// Raw octets on the D-channel timeslot: flags (7e) around short runs, all-ones (aborts), junk.
const GARBAGE = hex('12fe7e3199ffff007e55aa7e010203fc3fff017e7e117e');
// Whole frames, sent with a good FCS. Address 02 01 / 00 01 = SAPI 0, TEI 0 (command / response
// bit both ways), control 03 = UI; then Q.931. The SETUPs name call references no call holds
// (0x7ff1, 0x7ff2): a message naming a live call's reference is that call's business (libpri
// clears a call whose reference arrives in a SETUP without mandatory IEs, with 96).
const FRAMES = [
  '0201 03 08 0f 0102 05',            // call reference length 15
  '0201 03 41 02 0001 05',            // protocol discriminator 0x41
  '0001 03 08 02 7ff1 05',            // SETUP with no bearer capability / channel id
  '0201 03 08 02 7ff2 05 047f 1801',  // SETUP with a bearer IE claiming 127 octets
  '0201 03 08 02 0055 45 0802 8090',  // DISCONNECT for call reference 0x55, which nobody holds
  'fcff 03 0102',                     // SAPI 63, TEI 127
  '00',                               // one octet
  '0201 ef',                          // undefined control field
].map(hex);

const errs = (s: SpanView | undefined): { hdlc: number; proto: number } => ({
  hdlc: (s?.counters.hdlcCrcErrors ?? 0) + (s?.counters.hdlcAborts ?? 0) + (s?.counters.hdlcLengthErrors ?? 0),
  proto: s?.counters.protocolErrors ?? 0,
});

t.test('malformed D-channel input and UDP garbage: counted, logged, calls go on', async (t) => {
  const gw = await startGateway(t, {
    simAddr: '127.0.22.30', gwAddr: '127.0.22.31', routing: ROUTING,
    spans: [
      { id: 'pstn', trunk: 'pstn', gw: 'user', port: 22030 },
      { id: 'pbx', trunk: 'pbx', gw: 'network', port: 22032, incoming: { action: 'answer' } },
      { id: 'pstn2', trunk: 'pstn2', gw: 'user', port: 22034 },
      { id: 'pbx2', trunk: 'pbx2', gw: 'network', port: 22036, incoming: { action: 'answer' } },
    ],
  });
  const { pstn, pbx, pstn2, pbx2 } = gw.sims;
  const c1 = await connect(pstn!, pbx!, '30555123');
  const c2 = await connect(pstn2!, pbx2!, '30555223');
  await until(async () => (await gw.spans()).every((s) => s.calls.length === 1 && s.calls[0]!.media === 'bridged'), 'two bridged calls');
  const before = errs((await gw.spans()).find((s) => s.id === 'pstn'));

  // 1. Garbage and nonsense frames into the live D-channel of span "pstn".
  for (let i = 0; i < 5; i++) pstn!.inject('raw', GARBAGE);
  for (const f of FRAMES) pstn!.inject('frame', f);
  for (let i = 0; i < 5; i++) pstn!.inject('raw', GARBAGE);
  let after = before;
  await until(async () => {
    after = errs((await gw.spans()).find((s) => s.id === 'pstn'));
    return after.hdlc > before.hdlc && after.proto > before.proto;
  }, async () => `error counters to rise: ${JSON.stringify({ before, after })}`);
  t.ok(after.hdlc > before.hdlc, `HDLC errors counted (${before.hdlc} → ${after.hdlc})`);
  t.ok(after.proto > before.proto, `Q.921/Q.931 protocol errors counted (${before.proto} → ${after.proto})`);
  const logged = await gw.d.waitFor((l) => l.span === 'pstn' && l.msg === 'malformed input on span', 'malformed input logged');
  t.match(logged, { level: 'warn' }, 'logged as a warning');
  t.type(logged.lastError, 'string');
  const m = await gw.metrics();
  t.match(m, /spangate_tdm_span_hdlc_errors\{span="pstn",kind="(crc|abort|length)"\} [1-9]/, 'HDLC errors in /metrics');
  t.match(m, /spangate_tdm_span_protocol_errors\{span="pstn"\} [1-9]/, 'protocol errors in /metrics');
  const text = await runCli(['show', 'spans', '--config', gw.f.config]);
  t.match(text.stdout, /^ {2}line 127\.0\.22\.31:22031 <-> 127\.0\.22\.30:22030: .* crc \d+ aborts \d+ bad length \d+ protocol errors [1-9]/m, 'show spans prints the error counters');
  t.match(text.stdout, /^ {2}last error: .+$/m, 'and libpri\'s last error');

  // Both calls are still up and carry DTMF both ways (the D-channel settles first).
  await pstn!.waitUp(WAIT);
  await until(async () => (await gw.spans()).every((s) => s.dchannel === 'up'), 'D-channels up');
  t.equal(await dtmfThrough(pstn!, c1.caller, pbx!, c1.callee, '19'), '19', 'the call on the attacked span carries DTMF PSTN → PBX');
  t.equal(await dtmfThrough(pbx!, c1.callee, pstn!, c1.caller, '#'), '#', 'and PBX → PSTN');
  t.equal(await dtmfThrough(pstn2!, c2.caller, pbx2!, c2.callee, '2'), '2', 'the other pair too');

  // 2. Malformed Q.931 inside valid I-frames: a SETUP cut after its message type is refused
  // with 96; a SETUP with protocol discriminator 0x41 is ignored, and libpri's T303
  // retransmission of it goes through the call core to the PBX.
  pstn!.inject('mangle', Uint8Array.from([255, 0, 9]));
  const cut = pstn!.waitFor((r) => r.event === 'hangup', WAIT);
  await pstn!.call({ calling: '301234567', called: '30555124', callingTon: 'national', calledTon: 'national' });
  t.match(await cut, { cause: 96 }, 'a SETUP cut short is refused with 96 (mandatory IE missing)');
  pstn!.inject('mangle', Uint8Array.from([4, 0x41, 0]));
  const c3 = await connect(pstn!, pbx!, '30555125');
  t.equal(await dtmfThrough(pstn!, c3.caller, pbx!, c3.callee, '6'), '6', 'the retransmitted SETUP connected a call that carries DTMF');

  // 3. UDP garbage at the span's port from an address that is not its peer.
  const sock = createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.22.32', () => r()));
  const foreignBefore = (await gw.spans()).find((s) => s.id === 'pstn')!.counters.rxForeign ?? 0;
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((r, j) => sock.send(Buffer.alloc(1 + i * 13, i), 22031, '127.0.22.31', (e) => (e ? j(e) : r())));
  }
  await until(async () => ((await gw.spans()).find((s) => s.id === 'pstn')!.counters.rxForeign ?? 0) >= foreignBefore + 20, 'foreign packets counted');
  t.pass('UDP garbage from a foreign address counted (rxForeign)');
  t.equal(await dtmfThrough(pbx!, c3.callee, pstn!, c3.caller, '0'), '0', 'calls on the span still carry DTMF');

  const st = await runCli(['status', '--config', gw.f.config]);
  t.equal(st.code, 0, 'the daemon still answers');
  t.match(st.stdout, /tdm +ok +4 of 4 spans up/);
  t.notOk(gw.d.lines.some((l) => l.level === 'error' || l.level === 'fatal'), 'no error or fatal log line');
  const ends = [c1, c2, c3].map((c, i) => ([pbx, pbx2, pbx][i])!.waitFor((r) => r.event === 'hangup' && r.leg === c.callee, WAIT));
  await pstn!.hangup(c1.caller, 16);
  await pstn2!.hangup(c2.caller, 16);
  await pstn!.hangup(c3.caller, 16);
  t.match(await Promise.all(ends), [{ cause: 16 }, { cause: 16 }, { cause: 16 }], 'every call clears normally');
});
