// A dialog srf already ended (the far end's BYE read together with the ACK while createUAS was
// awaited) is taken as a BYE as soon as the binding exists, so the call does not stay up.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { SipDialogBinding, type DialogHost } from '../../../src/sip/dialog-binding.js';
import type { SrfDialog } from '../../../src/sip/srf-api.js';
import { GENERIC } from '../../../src/sip/trunk-profiles.js';

function fakeDialog(connected: boolean): SrfDialog {
  const e = new EventEmitter();
  return Object.assign(e, {
    id: 'd1', type: 'uas' as const, connected,
    local: { sdp: 'v=0\r\n', uri: 'sip:a@127.0.0.1' }, remote: { sdp: 'v=0\r\n', uri: 'sip:b@127.0.0.1' },
    destroy: async () => undefined, modify: async (s: string) => s,
    request: async () => { throw new Error('not here'); },
  }) as unknown as SrfDialog;
}

function host(ended: { cause: number; detail: string }[]): DialogHost {
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };
  return {
    id: 'leg1', isEnded: false, ctx: { settings: GENERIC, log: quiet }, remoteMedia: undefined,
    remoteEnded: (cause, detail) => { ended.push({ cause, detail }); },
    isAnswered: () => true, emitLeg: () => true, listenerCount: () => 0,
  };
}

t.test('a dialog srf already ended is a BYE', async (t) => {
  const ended: { cause: number; detail: string }[] = [];
  new SipDialogBinding(host(ended), fakeDialog(false), 'v=0\r\n');
  await new Promise((r) => setImmediate(r));
  t.same(ended, [{ cause: 16, detail: 'BYE' }]);
});

t.test('a live dialog is left alone, and its BYE ends the leg once', async (t) => {
  const ended: { cause: number; detail: string }[] = [];
  const d = fakeDialog(true);
  new SipDialogBinding(host(ended), d, 'v=0\r\n');
  await new Promise((r) => setImmediate(r));
  t.same(ended, []);
  const bye = { get: (h: string) => (h === 'Reason' ? 'Q.850;cause=17' : undefined) };
  (d as unknown as EventEmitter).emit('destroy', bye);
  (d as unknown as EventEmitter).emit('destroy', bye);
  t.same(ended, [{ cause: 17, detail: 'BYE' }]);
});
