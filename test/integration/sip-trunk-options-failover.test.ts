// OPTIONS keepalive through the real SIP edge and drachtio-srf against two sipp UAS peers on
// loopback (127.0.24.11/12): both come up; the primary is stopped and goes down after
// downAfter unanswered probes, targets() then puts the secondary first; the primary is
// started again and comes back after upAfter answers, first in order again.
import t from 'tap';
import { OPTIONS_UAS, edgeWithTrunks, sipp, until, type Sipp } from '../fixtures/sip-trunks.js';

const EDGE = '127.0.24.1';
const PRIMARY = { ip: '127.0.24.11', port: 24011 };
const SECONDARY = { ip: '127.0.24.12', port: 24012 };

const uas = (tt: Parameters<typeof sipp>[0], p: { ip: string; port: number }): Sipp =>
  sipp(tt, OPTIONS_UAS, ['-t', 'u1', '-i', p.ip, '-p', String(p.port), '-timeout', '300']);

t.test('OPTIONS keepalive: primary down → secondary first; primary back → recovery', async (t) => {
  let primary = uas(t, PRIMARY);
  uas(t, SECONDARY);
  const { dir, metrics } = await edgeWithTrunks(t, EDGE, {
    carrier: {
      addresses: [`${PRIMARY.ip}:${PRIMARY.port}`, `${SECONDARY.ip}:${SECONDARY.port}`],
      // generous timeout: the machine is shared and loaded; a late answer must not look like a dead peer
      options: { intervalS: 1, timeoutMs: 3000, downAfter: 2, upAfter: 2 },
    },
  });
  const order = async (): Promise<string> => (await dir.targets('carrier')).map((x) => `${x.host}:${x.port}:${x.healthy ? 'up' : 'down'}`).join(' ');

  await until(dir, 'health', () => dir.health('carrier')?.detail?.startsWith('2/2 targets up') === true, 'both targets up');
  t.match(dir.health('carrier'), { state: 'up' });
  t.ok((dir.health('carrier')?.rttMs ?? -1) >= 0, 'round trip measured');
  t.match(await order(), /^127\.0\.24\.11:24011:up 127\.0\.24\.12:24012:/, 'configured order');

  await primary.stop();
  const failedOver = '127.0.24.12:24012:up 127.0.24.11:24011:down';
  let seen = '';
  let health = dir.health('carrier');
  await until(dir, 'health', async () => {
    seen = await order();
    health = dir.health('carrier');
    return seen === failedOver;
  }, 'primary down');
  t.equal(seen, failedOver, 'secondary first, primary still tried last');
  t.match(health, { state: 'up', detail: /1\/2 targets up; 127\.0\.24\.11:24011\/udp down: / });
  const text = (await metrics.render()).body;
  t.match(text, /spangate_sip_target_up\{trunk="carrier",target="127\.0\.24\.11:24011\/udp"\} 0/);
  t.match(text, /spangate_sip_options_failures_total\{trunk="carrier"\} ([2-9]|[1-9]\d+)$/m);

  primary = uas(t, PRIMARY);
  await until(dir, 'health', async () => (await order()) === '127.0.24.11:24011:up 127.0.24.12:24012:up', 'primary recovered');
  t.pass('primary back first in order after upAfter answers');
  t.match((await metrics.render()).body, /spangate_sip_trunk_up\{trunk="carrier"\} 1/);
});
