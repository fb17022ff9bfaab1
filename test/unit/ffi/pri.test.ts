// The PRI binding: struct layout as in pri.h, event decoding, argument errors from the real library.
import koffi from 'koffi';
import t from 'tap';
import { NativeError } from '../../../src/errors.js';
import { loadNative } from '../../../src/ffi/native.js';
import { PriBinding, PriCallInfo, PriConfig, PriEv, PriParty, PriSetup, PriStatus, decodePriEvent, decodeTdmEvent } from '../../../src/ffi/pri.js';

t.test('struct sizes and offsets match the C header (x86-64)', async (t) => {
  t.same([koffi.sizeof(PriConfig), koffi.sizeof(PriParty), koffi.sizeof(PriSetup), koffi.sizeof(PriCallInfo), koffi.sizeof(PriStatus), koffi.sizeof(PriEv)],
    [40, 84, 188, 212, 160, 48]);
  t.same([koffi.offsetof(PriParty, 'name'), koffi.offsetof(PriParty, 'ton'), koffi.offsetof(PriParty, 'npi'), koffi.offsetof(PriParty, 'pres')], [32, 80, 81, 82]);
  t.same(['channel', 'exclusive', 'bearer', 'complete', 'called', 'calling'].map((f) => koffi.offsetof(PriSetup, f)), [4, 8, 12, 16, 20, 104]);
  t.same([koffi.offsetof(PriCallInfo, 'calling'), koffi.offsetof(PriCallInfo, 'called')], [44, 128]);
  t.equal(koffi.offsetof(PriEv, 'digits'), 12);
});

function payload(o: { span?: number; channel?: number; cause?: number; flags?: number; progress?: number; aux?: number; digits?: string }): Buffer {
  const p = Buffer.alloc(48);
  p.writeUInt16LE(o.span ?? 0, 0);
  p.writeUInt16LE(o.channel ?? 0, 2);
  p.writeUInt8(o.cause ?? 0, 4);
  p.writeUInt8(o.flags ?? 0, 5);
  p.writeUInt16LE(o.progress ?? 0, 6);
  p.writeUInt32LE(o.aux ?? 0, 8);
  p.write(o.digits ?? '', 12, 'latin1');
  return p;
}

t.test('PRI event records decode into typed events', async (t) => {
  t.same(decodePriEvent(3, 6146, payload({ span: 1, channel: 3, flags: 4, digits: '4930555100' })),
    { kind: 'pri.ring', call: 6146, span: 1, channel: 3, flags: 4, progress: 0, called: '4930555100' });
  t.same(decodePriEvent(8, 4097, payload({ span: 2, channel: 1, cause: 17, flags: 8 })),
    { kind: 'pri.hangup', call: 4097, span: 2, channel: 1, flags: 8, progress: 0, cause: 17 });
  t.same(decodePriEvent(1, 2, payload({ span: 2 })), { kind: 'pri.dchan-up', span: 2 });
  t.same(decodePriEvent(9, 2, payload({ span: 2, aux: 1 })), { kind: 'pri.restart', span: 2, channel: 0, ours: true });
  t.same(decodePriEvent(13, 2, payload({ span: 2, aux: 1 })), { kind: 'pri.alarm', span: 2, alarms: 1 });
  t.same(decodePriEvent(14, 2, payload({ span: 2, channel: 4, aux: 2 })), { kind: 'pri.service', span: 2, channel: 4, inService: false });
  t.match(decodePriEvent(11, 5, payload({ digits: '12#' })), { kind: 'pri.digits', digits: '12#' });
  t.equal(decodePriEvent(77, 5, payload({})), undefined);
  const raw = { kind: 'raw' as const, subsys: 4, type: 7, handle: 9, timeNs: 0n, payload: payload({ span: 1 }) };
  t.match(decodeTdmEvent(raw), { kind: 'pri.answer', call: 9 });
  t.match(decodeTdmEvent({ ...raw, subsys: 3, type: 2 }), { kind: 'span.closed', span: 9 });
  t.equal(decodeTdmEvent({ ...raw, subsys: 5 }), undefined);
});

t.test('the real library refuses bad PRI requests with NativeError', async (t) => {
  const pri = new PriBinding(loadNative());
  t.throws(() => pri.callInfo(12345), NativeError);
  t.throws(() => pri.answer(12345), NativeError);
  t.throws(() => pri.status(31), NativeError);
  t.throws(() => pri.spanOpen(31, { switchtype: 'euroisdn', side: 'user' }), NativeError);
  t.throws(() => pri.spanOpen(1, { switchtype: 'bogus' as 'qsig', side: 'user' }), /unknown switchtype/);
  t.throws(() => pri.hangup(1, 0), /cause 0/);
  t.throws(() => pri.digits(1, 'abc!'), /digits/);
  t.throws(() => pri.call(31, { called: { number: '12x' }, calling: { number: '1' } }), /called number/);
  t.throws(() => pri.call(31, { called: { number: '1' }, calling: { number: '1', name: 'n'.repeat(60) } }), /name/);
  t.throws(() => pri.call(31, { called: { number: '1' }, calling: { number: '1' } }), NativeError, 'no such span');
});
