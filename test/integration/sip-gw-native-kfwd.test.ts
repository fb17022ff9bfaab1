// Kernel forwarding through the real daemon: a pass-through PCMU call between two trunks on the
// native relay with media.native.kernelForwarding auto on lo, where the daemon may attach (root).
// Attaching a tc program to the host's shared loopback would put it in every other test's
// packet path, so this file re-runs itself in a private network namespace (unshare -n, its own
// lo) and the daemon, sipp and the RTP endpoints all live there. Asserts that the attach
// happened (health, metrics), RTP still arrives both ways, and the kernel forwarded packets.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { answeredCall, sippText, twoTrunkGateway } from './support/calls.js';
import { metric, waitCdrs } from './support/records.js';
import { slot } from './support/gateway.js';

const INNER = 'SPANGATE_KFWD_NETNS';
// A private namespace: nothing collides with the host's slots, slot 26 is as good as any.
const SLOT = 26;

if (process.env[INNER] !== '1') {
  const skip = process.getuid?.() === 0 ? false : 'needs root for unshare -n and the tc program';
  t.test('kernel forwarding in the daemon (in a private network namespace)', { skip }, async (t) => {
    const self = fileURLToPath(import.meta.url);
    const child = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, '--import', 'tsx', self], {
      env: { ...process.env, [INNER]: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const lines = out.split('\n').filter((l) => /^\s*(ok|not ok) /.test(l));
    for (const l of lines) t.comment(l.trim());
    t.equal(code, 0, `inner run passed:\n${out.slice(-6000)}`);
    t.ok(lines.some((l) => /kernel forwarded/.test(l)), 'the kernel-forwarding assertions ran');
  });
} else {
  t.test('pass-through call forwarded in the kernel', async (t) => {
    const native = { extra: { mediaRelay: 'native' } };
    const gw = await twoTrunkGateway(t, SLOT, {
      pbx: native,
      uc: native,
      extra: { media: { native: { address: slot(SLOT).gw, portMin: 23600, portMax: 23799, kernelForwarding: 'auto', kernelInterfaces: 'lo' } } },
    });
    const media = (await gw.health()).subsystems.media!;
    t.match(media.detail, /kernel forwarding on \(lo\)/, `media health: ${media.detail}`);
    t.equal(await metric(gw.metricsUrl, 'spangate_native_kfwd_attached'), 1);

    const r = await answeredCall(t, gw, { direction: 'pbx-to-uc', packets: 50 });
    t.equal(r.caller.code, 0, `caller sipp: ${sippText(r.caller)}`);
    t.equal(r.callee.code, 0, `callee sipp: ${sippText(r.callee)}`);
    t.ok(r.calleeRtp.count(0) >= 150, `callee received ${r.calleeRtp.count(0)} PCMU packets`);
    t.ok(r.callerRtp.count(0) >= 150, `caller received ${r.callerRtp.count(0)} PCMU packets`);
    const kernel = await metric(gw.metricsUrl, 'spangate_native_kfwd_packets_total');
    const all = await metric(gw.metricsUrl, 'spangate_native_relayed_packets_total');
    t.ok(kernel > 0, `kernel forwarded ${kernel} packets (${all} relayed in all)`);
    const [cdr] = await waitCdrs(gw.cdrFile, 1);
    t.equal(cdr!.disposition, 'answered');
    // The engine folds the kernel's packets into the endpoint counters the CDR reads.
    t.ok((cdr!.a.rtp?.packetsIn ?? 0) >= 100, `CDR: ${cdr!.a.rtp?.packetsIn} packets from the caller, kernel ones included`);
  });
}
