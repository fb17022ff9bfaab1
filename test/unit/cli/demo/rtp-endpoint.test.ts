// The demo phone's RTP stream is paced on the clock: after the event loop was held up, the next
// timer tick sends the packets that came due meanwhile (a burst of at most STREAM_BURST), and the
// stream still sends exactly `count` packets, all of which arrive.
import t from 'tap';
import { DEMO_CODECS, RtpEndpoint, STREAM_BURST } from '../../../../src/cli/demo/rtp-endpoint.js';

t.test('a held-up stream catches up with the clock in bursts and sends exactly count packets', async (t) => {
  const a = await RtpEndpoint.open('127.0.0.1');
  const b = await RtpEndpoint.open('127.0.0.1');
  t.teardown(() => { a.close(); b.close(); });
  const count = 40;
  a.stream('127.0.0.1', b.port, DEMO_CODECS.PCMU, 0, count);
  // Hold the event loop for 200 ms (10 packets' worth): no timer can fire meanwhile.
  const until = Date.now() + 200;
  while (Date.now() < until) { /* busy */ }
  await new Promise((r) => setTimeout(r, 25));
  t.ok(a.sent >= STREAM_BURST, `the first tick after the hold-up sent a burst (${a.sent} sent)`);
  // Then every packet goes out, and no more: wait for them to arrive.
  for (let i = 0; i < 1000 && b.count(0) < count; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(b.count(0), count, 'all packets arrived');
  t.equal(a.sent, count, 'exactly count were sent');
});
