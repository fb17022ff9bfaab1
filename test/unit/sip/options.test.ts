// The gateway's own answers on a fresh Srf: OPTIONS 200 with Allow/Accept/Supported after the
// chain of added handlers, 503 + Retry-After for OPTIONS and new INVITEs while draining.
import t from 'tap';
import { ALLOW, installGatewayAnswers, type OptionsHandler } from '../../../src/sip/options.js';
import type { Srf, SrfRequest, SrfResponse } from '../../../src/sip/srf.js';

function setup(chain: OptionsHandler[] = []) {
  const handlers = new Map<string, Function>();
  const srf = { use: (m: string, fn: Function) => handlers.set(m, fn) } as unknown as Srf;
  const src = { accepting: true, retryAfterS: 7, optionsHandlers: () => chain, errors: [] as unknown[], onHandlerError(e: unknown) { this.errors.push(e); } };
  installGatewayAnswers(srf, src);
  const call = (method: 'options' | 'invite'): { status?: number; opts?: { headers?: Record<string, string> }; next: boolean } => {
    const out: { status?: number; opts?: { headers?: Record<string, string> }; next: boolean } = { next: false };
    const res = { send: (status: number, opts?: { headers?: Record<string, string> }) => Object.assign(out, { status, opts }) } as unknown as SrfResponse;
    handlers.get(method)!({ method: method.toUpperCase() } as unknown as SrfRequest, res, () => (out.next = true));
    return out;
  };
  return { src, call };
}

t.test('OPTIONS: 200 with Allow, Accept, Supported', async (t) => {
  const { call } = setup();
  const r = call('options');
  t.equal(r.status, 200);
  t.same(r.opts?.headers, { Allow: ALLOW, Accept: 'application/sdp', Supported: '100rel, timer' });
});

t.test('OPTIONS chain: a handler answers or passes on; one that throws is skipped', async (t) => {
  const seen: string[] = [];
  const chain: OptionsHandler[] = [
    (_q, _s, next) => { seen.push('a'); next(); },
    () => { seen.push('b'); throw new Error('boom'); },
    (_q, res) => { seen.push('c'); res.send(404); },
  ];
  const { call, src } = setup(chain);
  t.equal(call('options').status, 404);
  t.same(seen, ['a', 'b', 'c']);
  t.equal(src.errors.length, 1);
});

t.test('draining: 503 with Retry-After to OPTIONS (chain skipped) and to new INVITEs', async (t) => {
  let ran = false;
  const { call, src } = setup([() => (ran = true)]);
  t.equal(call('invite').next, true, 'INVITE passes on to the call flows while accepting');
  src.accepting = false;
  const o = call('options');
  t.equal(o.status, 503);
  t.same(o.opts?.headers, { 'Retry-After': '7' });
  t.equal(ran, false);
  const i = call('invite');
  t.equal(i.status, 503);
  t.equal(i.next, false);
});
