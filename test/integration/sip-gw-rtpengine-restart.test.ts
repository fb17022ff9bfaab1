// rtpengine killed mid-call: the managed rtpengine is SIGKILLed while a call is up. New calls
// get a clear failure (a SIP 5xx, not silence) while it is down, the daemon restarts it
// (/health, spangate_rtpengine_restarts_total), and then calls work again with media.
// To be sure a call lands while rtpengine is down, the test holds its NG port for a moment
// after the kill, so the daemon's first restarts fail to bind and back off; then lets go.
import t from 'tap';
import dgram from 'node:dgram';
import { answeredCall, failingCall, sippText, twoTrunkGateway, UC_NUMBER } from './support/calls.js';
import { PORTS, waitUntil } from './support/gateway.js';
import { metric, readCdrs } from './support/records.js';

async function holdPort(ip: string, port: number): Promise<dgram.Socket> {
  let sock: dgram.Socket | undefined;
  await waitUntil(async () => {
    const s = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.bind(port, ip, () => r(true)); });
    if (ok) sock = s; else s.close();
    return ok;
  }, `NG port ${ip}:${port} free after the kill`, 10_000);
  return sock!;
}

t.test('kill rtpengine mid-call: new calls fail clearly, the daemon restarts it, calls work again', async (t) => {
  const gw = await twoTrunkGateway(t, 11);
  const pid = await gw.rtpenginePid();
  let failed = 0;
  const first = await answeredCall(t, gw, {
    direction: 'pbx-to-uc', talkMs: 3000,
    during: async ({ calleeRtp }) => {
      await calleeRtp.waitFor(25, 0);
      process.kill(pid, 'SIGKILL');
      const blocker = await holdPort(gw.addr.gw, PORTS.ng);
      t.teardown(() => { try { blocker.close(); } catch { /* closed */ } });
      await gw.waitHealth((h) => h.subsystems.media?.status === 'down', 'media down');
      const r = await failingCall(t, gw, { from: 'pbx', called: UC_NUMBER, port: PORTS.uac + 1 });
      t.equal(r.result.code, 0, `a new call while rtpengine is down gets a final response: ${sippText(r.result)}`);
      failed = r.status;
      blocker.close();
    },
  });
  t.ok(failed >= 500 && failed < 600, `the new call was refused with a 5xx (${failed})`);
  t.comment(`the call in progress when rtpengine died: caller sipp ${sippText(first.caller)}`);
  await gw.waitHealth((h) => h.subsystems.media?.status === 'ok', 'media up again');
  t.not(await gw.rtpenginePid(), pid, 'a new rtpengine process');
  t.ok(await metric(gw.metricsUrl, 'spangate_rtpengine_restarts_total') >= 1, 'restart counted');
  t.comment(`CDRs so far: ${JSON.stringify(readCdrs(gw.cdrFile).map((r) => [r.disposition, r.cause, r.causeText]))}`);

  const r = await answeredCall(t, gw, { direction: 'pbx-to-uc', talkMs: 2000 });
  t.equal(r.caller.code, 0, `a call after the restart: ${sippText(r.caller)}`);
  t.ok(r.calleeRtp.count(0) >= 50 && r.callerRtp.count(0) >= 50, 'with RTP both ways');
});
