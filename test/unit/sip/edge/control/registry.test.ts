import t from 'tap';
import { RouteRegistry } from '../../../../../src/sip/edge/control/registry.js';

const a = { id: 'a', tags: ['blue'] };
const b = { id: 'b', tags: [] as string[] };
const c = { id: 'c', tags: ['blue', 'red'] };

t.test('round robin across the apps that routed a verb', async (t) => {
  const r = new RouteRegistry<typeof a>();
  r.add('INVITE', a);
  r.add('invite', b);
  r.add('invite', c);
  r.add('invite', a);
  t.same([1, 2, 3, 4].map(() => r.pick('invite')?.id), ['a', 'b', 'c', 'a']);
  t.equal(r.pick('options'), undefined);
});

t.test('tags narrow the choice; removal is immediate', async (t) => {
  const r = new RouteRegistry<typeof a>();
  for (const x of [a, b, c]) r.add('invite', x);
  t.same([1, 2, 3].map(() => r.pick('invite', 'blue')?.id), ['a', 'c', 'a']);
  t.equal(r.pick('invite', 'green'), undefined);
  r.removeClient(a);
  t.same([1, 2].map(() => r.pick('invite', 'blue')?.id), ['c', 'c']);
  r.remove('invite', c);
  r.remove('invite', b);
  t.notOk(r.has('invite'));
});
