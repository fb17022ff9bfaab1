// sipp calls an srf UAS app through the edge over TCP (srf's own uac.xml scenario, 5 calls on
// one connection): INVITE → 200 (createUAS) → ACK → BYE → 200, responses on the same connection.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { SipEdge } from '../../src/sip/edge/server.js';
import { SDP, disconnect, srfApp, waitRouted } from '../unit/sip/edge/ua/sip-edge-peer.js';

const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), '../../node_modules/drachtio-srf/test/scenarios');

type CreateUas = (req: unknown, res: unknown, opts: { localSdp: string }) => Promise<{ on(ev: string, fn: () => void): void }>;

t.test('five calls over TCP through the edge to srf createUAS', async (t) => {
  const edge = new SipEdge({ sip: [{ proto: 'tcp', host: '127.0.2.190', port: 0 }], control: { host: '127.0.0.1', port: 0, secret: 'tcp' } });
  const addr = await edge.start();
  t.teardown(() => edge.stop());
  let answered = 0;
  let ended = 0;
  const srf = await srfApp(addr.controlPort, 'tcp', (s) => {
    const createUAS = (s as unknown as { createUAS: CreateUas }).createUAS.bind(s);
    (s as unknown as { invite(fn: (req: unknown, res: unknown) => void): void }).invite((req, res) => {
      void createUAS(req, res, { localSdp: SDP }).then((dlg) => {
        answered++;
        // The ACK and the BYE may reach srf in the same read as the 200's confirmation (a
        // busy event loop): then the dialog is gone before this runs.
        if ((dlg as unknown as { connected: boolean }).connected) dlg.on('destroy', () => ended++);
        else ended++;
      });
    });
  });
  t.teardown(() => disconnect(srf));
  await waitRouted(edge, ['invite']);
  const code = await new Promise<number | null>((resolve) => {
    const sipp = spawn('sipp', ['-sf', join(SCENARIOS, 'uac.xml'), '-t', 't1', '-m', '5', '-r', '5', '-nostdin', '-timeout', '60s', '-timeout_error',
      '-i', '127.0.2.191', '-p', '0', `127.0.2.190:${addr.sip[0].port}`], { stdio: 'ignore' });
    t.teardown(() => sipp.kill('SIGKILL'));
    sipp.on('exit', (c) => resolve(c));
  });
  t.equal(code, 0, 'sipp: 5 successful calls');
  t.equal(answered, 5, 'the app answered five calls');
  // srf raises `destroy` once its 200 to the BYE is echoed, which may land after sipp exits.
  const deadline = Date.now() + 60_000;
  while (ended < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(ended, 5, 'and saw five BYEs');
});
