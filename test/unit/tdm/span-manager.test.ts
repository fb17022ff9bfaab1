// SpanManager against a fake native side: span opening, event dispatch by span and call,
// refusal of unrouted calls, outbound span choice, show.spans, health, stop.
import { EventEmitter } from 'node:events';
import t from 'tap';
import { AdminMethods } from '../../../src/admin/index.js';
import type { SpangateConfig } from '../../../src/config/index.js';
import type { NativeEvent } from '../../../src/ffi/events.js';
import type { PriCallInfo, PriSetupOptions, PriStatusValues } from '../../../src/ffi/pri.js';
import type { SpanStatsValues } from '../../../src/ffi/span.js';
import { SpanManager, type TdmNative } from '../../../src/tdm/span-manager.js';
import type { PriLeg } from '../../../src/tdm/pri-leg.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };

function rec(subsys: number, type: number, handle: number, p: { span?: number; channel?: number; cause?: number; flags?: number; aux?: number; digits?: string; alarms?: number; previous?: number } = {}): NativeEvent {
  const payload = Buffer.alloc(48);
  if (subsys === 3) {
    payload.writeUInt32LE(p.alarms ?? 0, 0);
    payload.writeUInt32LE(p.previous ?? 0, 4);
  } else {
    payload.writeUInt16LE(p.span ?? 0, 0);
    payload.writeUInt16LE(p.channel ?? 0, 2);
    payload.writeUInt8(p.cause ?? 0, 4);
    payload.writeUInt8(p.flags ?? 0, 5);
    payload.writeUInt32LE(p.aux ?? 0, 8);
    payload.write(p.digits ?? '', 12, 'latin1');
  }
  return { kind: 'raw', subsys, type, handle, timeNs: 0n, payload };
}

function fake() {
  const events = new EventEmitter<{ event: [NativeEvent] }>();
  const log: string[] = [];
  const calls = new Map<number, number>();
  let nextSpan = 1;
  const stats = (h: number): SpanStatsValues => ({ alarms: h === 99 ? 1 : 0, localPort: 62000 + h, jitterDepth: 0, slips: 2, rx_packets: 10, tx_packets: 11 } as unknown as SpanStatsValues);
  const n: TdmNative = {
    span: {
      open: (o) => { log.push(`span.open ${o.kind} ${o.role} ${o.localAddr}`); return nextSpan++; },
      close: (h) => { log.push(`span.close ${h}`); },
      stats,
    },
    pri: {
      spanOpen: (h, o) => { log.push(`pri.open ${h} ${o.switchtype} ${o.side}`); },
      spanClose: (h) => { log.push(`pri.close ${h}`); },
      restart: (h, c) => { log.push(`restart ${h} ${c}`); },
      status: (h): PriStatusValues => ({
        open: true, dchanUp: true, alarms: 0, calls: [...calls.values()].filter((s) => s === h).length, channels: h === 1 ? 1 : 30,
        outOfService: 0, protocolErrors: 0, callsIn: 0, callsOut: 0, rejected: 0, lastError: '',
      }),
      call: (h: number, s: PriSetupOptions) => { log.push(`call ${h} ${s.called.number}`); calls.set(500 + h, h); return 500 + h; },
      proceeding: () => undefined,
      alerting: () => undefined,
      progress: () => undefined,
      progressCause: () => undefined,
      answer: (c) => { log.push(`answer ${c}`); },
      hangup: (c, cause) => { log.push(`hangup ${c} ${cause}`); queueMicrotask(() => events.emit('event', rec(4, 8, c, { span: calls.get(c) ?? 1, cause, flags: 8 }))); calls.delete(c); },
      digits: () => undefined,
      callInfo: (c): PriCallInfo => ({
        span: 1, channel: 1, direction: 'incoming', state: 'ringing-in', exclusive: false, complete: true, bearer: 0, layer1: 0x23, progress: 0, cause: 0,
        calling: { number: '301234', name: '', ton: 'national', npi: 'e164', pres: 0 },
        called: { number: `55510${c % 10}`, name: '', ton: 'unknown', npi: 'unknown', pres: 0 },
      }),
    },
    events,
  };
  return { n, events, log, calls };
}

const span = (id: string, trunk: string, port: number) => ({
  id, trunk, type: 'e1', side: 'user', switchtype: 'euroisdn', localAddress: '127.0.10.20', localPort: port, remoteAddress: '127.0.10.21', remotePort: port,
});
const cfg = (spans: unknown[]) => ({ spans }) as unknown as SpangateConfig['tdm'];

t.test('no spans: nothing native is loaded', async (t) => {
  const m = new SpanManager({ config: cfg([]), native: () => { throw new Error('must not load'); }, admin: new AdminMethods(), log: quiet });
  await m.start();
  t.same(m.health(), { status: 'ok', detail: 'no spans configured' });
  t.same(m.show(), []);
  await m.stop();
});

t.test('bad span config is refused at construction', async (t) => {
  t.throws(() => new SpanManager({ config: cfg([span('a', 'x', 1), span('a', 'x', 2)]), native: () => fake().n, admin: new AdminMethods(), log: quiet }), /used twice/);
});

t.test('spans open at start, events update state, calls are dispatched and refused when unrouted', async (t) => {
  const f = fake();
  const admin = new AdminMethods();
  const m = new SpanManager({ config: cfg([span('a', 'pstn', 62001), span('b', 'pstn', 62002)]), native: () => f.n, admin, log: quiet });
  await m.start();
  t.same(f.log.splice(0), ['span.open e1 user 127.0.10.20', 'pri.open 1 euroisdn user', 'span.open e1 user 127.0.10.20', 'pri.open 2 euroisdn user']);
  t.match(m.health(), { status: 'down' });
  f.events.emit('event', rec(4, 1, 1, { span: 1 }));
  f.events.emit('event', rec(4, 1, 2, { span: 2 }));
  t.match(m.health(), { status: 'ok', detail: '2 of 2 spans up' });
  f.events.emit('event', rec(3, 1, 2, { alarms: 1, previous: 0 }));
  t.match(m.health(), { status: 'degraded', detail: '1 of 2 spans up' });
  t.same(m.show()[1]!.alarms, [], 'alarms shown are read from the line (fake says clear)');
  f.events.emit('event', rec(4, 1, 77, { span: 77 }));
  f.events.emit('event', rec(4, 3, 900, { span: 77, digits: '1' }));
  t.same(f.log, [], 'events of spans that are not ours are ignored');

  // No 'incoming' listener: the call is refused with 3.
  f.events.emit('event', rec(4, 3, 601, { span: 1, channel: 1, digits: '555101', flags: 4 }));
  t.same(f.log.splice(0), ['hangup 601 3']);

  const got: PriLeg[] = [];
  m.on('incoming', (l) => got.push(l));
  f.events.emit('event', rec(4, 3, 602, { span: 1, channel: 1, digits: '555102', flags: 4 }));
  t.equal(got.length, 1);
  t.match(got[0], { trunk: 'pstn', calling: '301234', called: '555102', spanId: 'a', direction: 'inbound' });
  t.equal(m.activeWork(), 1);
  t.match(admin.get('show.spans')!({}, { signal: new AbortController().signal }), [{ id: 'a', calls: [{ call: 602, called: '555102' }] }, { id: 'b', calls: [] }]);
  await got[0]!.answer();
  t.same(f.log.splice(0), ['answer 602']);
  const ended = new Promise((r) => got[0]!.once('hangup', r));
  f.events.emit('event', rec(4, 8, 602, { span: 1, cause: 16 }));
  t.match(await ended, { cause: 16, by: 'remote' });
  t.equal(m.activeWork(), 0);

  // Outbound: span b has more free channels than a (1 channel); a RESTART goes to the right handle.
  f.events.emit('event', rec(3, 1, 2, { alarms: 0, previous: 1 }));
  const out = m.createLeg('pstn');
  await out.originate({ calling: '1', called: '2' });
  t.equal(out.spanId, 'b');
  t.same(f.log.splice(0), ['call 2 2']);
  await t.rejects(m.createLeg('nowhere').originate({ calling: '1', called: '2' }), { name: 'SignalingError', q850Cause: 3 });
  m.restart('a', 1);
  t.same(f.log.splice(0), ['restart 1 1']);

  // Stop hangs up what is left, then closes the spans.
  await m.stop();
  t.same(f.log, ['hangup 502 31', 'pri.close 1', 'span.close 1', 'pri.close 2', 'span.close 2']);
  t.equal(out.state, 'ended');
});

t.test('draining refuses new calls with 41', async (t) => {
  const f = fake();
  const m = new SpanManager({ config: cfg([span('a', 'pstn', 62003)]), native: () => f.n, admin: new AdminMethods(), log: quiet });
  await m.start();
  m.on('incoming', () => t.fail('no call while draining'));
  await m.drain(Date.now() + 10);
  f.events.emit('event', rec(4, 3, 603, { span: 1, digits: '5', flags: 4 }));
  t.same(f.log.slice(-1), ['hangup 603 41']);
  await t.rejects(m.createLeg('pstn').originate({ calling: '1', called: '2' }), { name: 'SignalingError', q850Cause: 41 });
  await m.stop();
});

t.test('a span that cannot open fails start-up and closes the ones already open', async (t) => {
  const f = fake();
  let opened = 0;
  const open = f.n.span.open;
  f.n.span.open = (o) => {
    opened += 1;
    if (opened === 2) throw new Error('sg_span_open(127.0.10.20:62005): system call failed');
    return open(o);
  };
  const m = new SpanManager({ config: cfg([span('a', 'pstn', 62004), span('b', 'pstn', 62005)]), native: () => f.n, admin: new AdminMethods(), log: quiet });
  await t.rejects(m.start(), /system call failed/);
  t.same(f.log, ['span.open e1 user 127.0.10.20', 'pri.open 1 euroisdn user', 'pri.close 1', 'span.close 1']);
  t.same(m.show(), []);
});

t.test('span.restart admin method and the malformed-input warning', async (t) => {
  const f = fake();
  let crc = 0;
  let proto = 0;
  f.n.span.stats = (h: number): SpanStatsValues => ({
    alarms: 0, localPort: 62000 + h, jitterDepth: 0, hdlc_crc_errors: crc, hdlc_aborts: 0, hdlc_length_errors: 0, rx_malformed: 0,
  } as unknown as SpanStatsValues);
  const status = f.n.pri.status;
  f.n.pri.status = (h) => ({ ...status(h), protocolErrors: proto, lastError: proto ? 'Invalid call reference length' : '' });
  const warns: Record<string, unknown>[] = [];
  const log = { ...quiet, warn: (o: object, msg?: string) => { warns.push({ ...o, msg }); } };
  const admin = new AdminMethods();
  const m = new SpanManager({ config: cfg([span('a', 'pstn', 62005)]), native: () => f.n, admin, log });
  t.teardown(() => m.stop());
  await m.start();
  f.log.splice(0);
  const call = (p: Record<string, unknown>): unknown => admin.get('span.restart')!(p, { signal: new AbortController().signal });
  t.same(call({ span: 'a' }), { span: 'a', channel: 0, calls: 0 });
  t.same(call({ span: 'a', channel: 5 }), { span: 'a', channel: 5, calls: 0 });
  t.same(f.log.splice(0), ['restart 1 0', 'restart 1 5']);
  t.throws(() => call({}), { name: 'SignalingError' }, 'a span id is required');
  t.throws(() => call({ span: 'a', channel: 40 }), { name: 'SignalingError' }, 'a B-channel number');
  t.throws(() => call({ span: 'zz' }), { name: 'SignalingError', q850Cause: 3 });

  // The counters rise: one warning per reconcile pass, with what rose and libpri's text.
  crc = 7;
  proto = 2;
  const logged = (): Record<string, unknown> | undefined => warns.find((w) => w.msg === 'malformed input on span');
  for (let i = 0; i < 60 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(logged(), { span: 'a', hdlcErrors: 7, hdlcCrcErrors: 7, protocolErrors: 2, lastError: 'Invalid call reference length' });
  // The next rise is reported as the difference since the last warning.
  proto = 5;
  const second = (): Record<string, unknown> | undefined => warns.filter((w) => w.msg === 'malformed input on span')[1];
  for (let i = 0; i < 60 && !second(); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(second(), { span: 'a', protocolErrors: 3, hdlcErrors: 0 });
});
