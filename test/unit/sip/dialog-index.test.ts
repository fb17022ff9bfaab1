// The gateway's dialogs by Call-ID, matched against a Replaces header by RFC 3891 §3: to-tag
// against our tag, from-tag against the far end's; early dialogs, ended ones and tag
// mismatches give the status a transfer's NOTIFY carries.
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { Leg } from '../../../src/call/leg.js';
import { SipDialogIndex, TOMBSTONE_MS } from '../../../src/sip/dialog-index.js';
import type { ReplacesId } from '../../../src/sip/replaces.js';

const leg = (id: string, direction: 'inbound' | 'outbound' = 'inbound'): Leg => Object.assign(new EventEmitter(), { id, direction }) as unknown as Leg;
const rep = (callId: string, toTag: string, fromTag: string, earlyOnly = false): ReplacesId => ({ callId, toTag, fromTag, earlyOnly, value: '' });

t.test('confirmed dialog: found by Call-ID and both tags; early-only → 486; wrong tags → 481; unknown Call-ID', async (t) => {
  const ix = new SipDialogIndex();
  const l = leg('l1');
  ix.add(l, 'cid-1', { uac: false, remoteTag: 'theirs' });
  ix.confirm(l, 'cid-1', 'ours', 'theirs');
  t.same(ix.match(rep('cid-1', 'ours', 'theirs')), { kind: 'found', leg: l });
  t.same(ix.match(rep('cid-1', 'ours', 'theirs', true)), { kind: 'refused', status: 486, reason: 'Busy Here' });
  t.same(ix.match(rep('cid-1', 'theirs', 'ours')), { kind: 'refused', status: 481, reason: 'Call Does Not Exist' }, 'tags the wrong way round');
  t.same(ix.match(rep('cid-1', 'ours', 'other')), { kind: 'refused', status: 481, reason: 'Call Does Not Exist' });
  t.same(ix.match(rep('cid-2', 'ours', 'theirs')), { kind: 'unknown' });
});

t.test('early dialogs: one we received → 481, one we placed → 603', async (t) => {
  const ix = new SipDialogIndex();
  ix.add(leg('in'), 'cid-in', { uac: false, remoteTag: 'caller' });
  t.same(ix.match(rep('cid-in', 'x', 'caller')), { kind: 'refused', status: 481, reason: 'Call Does Not Exist' });
  ix.add(leg('out', 'outbound'), 'cid-out', { uac: true, localTag: 'mine' });
  t.same(ix.match(rep('cid-out', 'mine', 'y')), { kind: 'refused', status: 603, reason: 'Declined' });
});

t.test('ended dialogs: 603 while remembered, then unknown', async (t) => {
  let now = 1000;
  const ix = new SipDialogIndex(() => now);
  const l = leg('l');
  ix.confirm(l, 'cid', 'ours', 'theirs');
  t.equal(ix.size, 1);
  ix.remove(l);
  t.equal(ix.size, 0);
  t.same(ix.match(rep('cid', 'ours', 'theirs')), { kind: 'refused', status: 603, reason: 'Declined' });
  now += TOMBSTONE_MS + 1;
  t.same(ix.match(rep('cid', 'ours', 'theirs')), { kind: 'unknown' });
});
