// Boots a spangate appliance disk image under qemu (TCG, user networking with host forwards to
// free ports on 127.0.0.1) and checks it from the host: the console ready marker, /health and
// /metrics through the forward, then the CLI and systemd behaviour through a root login on the
// serial console (the first login, which must set a password), and a SIP OPTIONS from the host to
// the gateway's SIP port (UDP 5060, forwarded) that must be answered 200. Prints "ok - ..." /
// "not ok - ..." lines; qemu is killed on every exit path.
//   node boot-test.mjs disk.img workdir
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';

const [image, work] = process.argv.slice(2);
const BOOT_TIMEOUT_MS = Number(process.env.SPANGATE_BOOT_TIMEOUT_MS ?? 420_000);
const STEP_TIMEOUT_MS = 90_000;
const GUEST_METRICS_PORT = Number(process.env.SPANGATE_GUEST_METRICS_PORT ?? 9478);
const GUEST_SIP_PORT = Number(process.env.SPANGATE_GUEST_SIP_PORT ?? 5060);
const serialLog = join(work, 'serial.log');

let failed = 0;
const ok = (what) => console.log(`ok - ${what}`);
const nok = (what, detail) => {
  failed += 1;
  console.log(`not ok - ${what}`);
  if (detail) console.log(String(detail).split('\n').map((l) => `  # ${l}`).join('\n'));
};
const check = (cond, what, detail) => (cond ? ok(what) : nok(what, detail));

function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Sends a SIP OPTIONS over UDP to 127.0.0.1:port (the forward to the guest) and resolves with
 * the first final response's text. Retransmits as a UAC does (Timer E: 500 ms doubling to 4 s)
 * until `timeoutMs`; Via carries rport, so the answer comes back through qemu's NAT.
 */
function sipOptions(port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const callId = `${randomBytes(8).toString('hex')}@boot-test`;
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    let timer;
    let retrans;
    const finish = (fn, v) => { clearTimeout(timer); clearTimeout(retrans); sock.close(); fn(v); };
    sock.on('error', (err) => finish(reject, err));
    sock.on('message', (buf) => {
      const text = buf.toString('latin1');
      const m = /^SIP\/2\.0 (\d{3})/.exec(text);
      if (m && Number(m[1]) >= 200 && text.includes(callId)) finish(resolve, text);
    });
    sock.bind(0, '127.0.0.1', () => {
      const local = sock.address().port;
      const msg = Buffer.from([
        `OPTIONS sip:gateway@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:boot-test@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:gateway@127.0.0.1:${port}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Accept: application/sdp',
        'Content-Length: 0',
        '', '',
      ].join('\r\n'));
      let interval = 500;
      const sendIt = () => {
        sock.send(msg, port, '127.0.0.1');
        retrans = setTimeout(sendIt, interval);
        interval = Math.min(interval * 2, 4000);
      };
      sendIt();
      timer = setTimeout(() => finish(reject, new Error(`no final response to OPTIONS within ${timeoutMs / 1000} s`)), timeoutMs);
    });
  });
}

const httpPort = await freeTcpPort();
const sipPort = await freeUdpPort();
const args = [
  '-accel', 'tcg', '-m', '1024', '-smp', '2', '-display', 'none', '-monitor', 'none', '-no-reboot',
  '-serial', 'stdio',
  '-drive', `file=${image},format=raw,if=virtio,snapshot=on`,
  '-nic', `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${httpPort}-:${GUEST_METRICS_PORT},hostfwd=udp:127.0.0.1:${sipPort}-:${GUEST_SIP_PORT}`,
];
const qemu = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
writeFileSync(join(work, 'qemu.pid'), `${qemu.pid}\n`);
const killQemu = () => {
  if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
};
process.on('exit', killQemu);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { killQemu(); process.exit(1); });

let log = '';
let cursor = 0;
let exited = null;
const waiters = new Set();
const onData = (d) => {
  const s = d.toString('latin1');
  log += s;
  appendFileSync(serialLog, s);
  for (const w of waiters) w();
};
qemu.stdout.on('data', onData);
qemu.stderr.on('data', onData);
qemu.on('exit', (code, sig) => {
  exited = `qemu exited (${code ?? sig})`;
  for (const w of waiters) w();
});

/** Waits for a regex in the console output after the cursor; moves the cursor past the match. */
function expect(re, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let timer;
    const done = (fn, v) => { clearTimeout(timer); waiters.delete(test); fn(v); };
    const test = () => {
      const rest = log.slice(cursor);
      const m = re.exec(rest);
      if (m) { cursor += m.index + m[0].length; return done(resolve, m); }
      const bad = /Kernel panic|You are in emergency mode|Give root password for maintenance/.exec(rest);
      if (bad) return done(reject, new Error(`${what}: console shows "${bad[0]}"`));
      if (exited) return done(reject, new Error(`${what}: ${exited}`));
    };
    timer = setTimeout(() => done(reject, new Error(`${what}: nothing after ${Math.round((Date.now() - started) / 1000)} s`)), timeoutMs);
    waiters.add(test);
    test();
  });
}
const send = (s) => qemu.stdin.write(s);
const tail = () => log.slice(-2500).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

async function httpGet(path) {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.text() };
}

let seq = 0;
/** Runs a shell command on the logged-in serial console; returns its output and exit code. */
async function sh(cmd, timeoutMs = STEP_TIMEOUT_MS) {
  seq += 1;
  const tag = `__SG${seq}__`;
  // The tags are built by the shell (printf), so the echoed command line never matches them.
  send(`printf '%s\\n' "${tag.slice(0, 4)}""BEGIN${tag.slice(4)}"; ${cmd}; printf '%s\\n' "${tag.slice(0, 4)}""END${tag.slice(4)} rc=$?"\r`);
  await expect(new RegExp(`${tag.slice(0, 4)}BEGIN${tag.slice(4)}\\r?\\n`), timeoutMs, `begin of: ${cmd}`);
  const from = cursor;
  const m = await expect(new RegExp(`${tag.slice(0, 4)}END${tag.slice(4)} rc=(\\d+)`), timeoutMs, `end of: ${cmd}`);
  const output = log.slice(from, cursor - m[0].length).replace(/\r/g, '').trim();
  return { rc: Number(m[1]), out: output };
}

const t0 = Date.now();
try {
  // --- boot ------------------------------------------------------------------------------------
  const first = await expect(/SPANGATE-FIRSTBOOT instance=([0-9a-f-]{36}) tls-sha256=([0-9A-F:]+)/, BOOT_TIMEOUT_MS, 'first-boot line');
  ok(`first boot made instance id ${first[1]} and a TLS key`);
  const ready = await expect(/SPANGATE-READY[^\r\n]*(?=\r?\n)/, BOOT_TIMEOUT_MS, 'ready marker');
  const bootS = ((Date.now() - t0) / 1000).toFixed(1);
  ok(`ready marker after ${bootS} s: ${ready[0]}`);
  const activeAtBoot = / spangate=active /.test(ready[0]);
  check(activeAtBoot, 'spangate.service active at boot (started with the packaged config)', ready[0]);
  check(/ rtpengine=active /.test(ready[0]), 'rtpengine-daemon active at boot (through the spangate drop-in)', ready[0]);
  check(ready[0].includes(`instance=${first[1]}`), 'ready marker carries the first-boot instance id', ready[0]);
  check(/ addr=\d+\.\d+\.\d+\.\d+\//.test(ready[0]), 'uplink got an address by DHCP (systemd-networkd)', ready[0]);

  // --- from the host, through the forwarded port -------------------------------------------------
  if (!activeAtBoot) {
    // Not active yet (a slow first start on a loaded host): the host checks wait for /health.
    const until = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      const h = await httpGet('/health').catch(() => undefined);
      if (h?.status === 200 || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(`# /health answered ${((Date.now() - t0) / 1000).toFixed(1)} s after qemu started`);
  }
  try {
    const h = await httpGet('/health');
    check(h.status === 200, `GET /health answers 200 through hostfwd (${h.body.slice(0, 80).trim()})`, h.body);
  } catch (err) { nok('GET /health through hostfwd', err.message); }
  try {
    const m = await httpGet('/metrics');
    check(m.status === 200 && /spangate_build_info/.test(m.body), 'GET /metrics answers with spangate_build_info', m.body.slice(0, 300));
  } catch (err) { nok('GET /metrics through hostfwd', err.message); }
  try {
    const res = await sipOptions(sipPort, 30_000);
    const status = res.split('\r\n')[0];
    check(/^SIP\/2\.0 200 /.test(res) && /^Allow: .*INVITE/mi.test(res), `SIP OPTIONS to UDP ${GUEST_SIP_PORT} through hostfwd answered: ${status}`, res);
  } catch (err) { nok(`SIP OPTIONS to UDP ${GUEST_SIP_PORT} through hostfwd`, err.message); }

  // --- first login on the serial console: root must choose a password ------------------------------
  const pw = `Sg-${randomBytes(9).toString('base64url')}-9x`;
  send('\r');
  await expect(/login: *$/m, STEP_TIMEOUT_MS, 'login prompt');
  send('root\r');
  let loggedIn = false;
  for (let i = 0; i < 6 && !loggedIn; i += 1) {
    const m = await expect(/(Current password: *$|New password: *$|Retype new password: *$|Password: *$|# *$)/m, STEP_TIMEOUT_MS, 'first login dialogue');
    if (/Retype new password/.test(m[0]) || /New password/.test(m[0])) send(`${pw}\r`);
    else if (/Current password|Password/.test(m[0])) send('\r');
    else loggedIn = true;
  }
  check(loggedIn, 'first root login on ttyS0 (empty password, forced to set one)', tail());
  send("export PS1='sg# ' TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0; stty -echo\r");
  await expect(/sg# $/m, STEP_TIMEOUT_MS, 'shell prompt');

  // --- the CLI over the admin socket, inside the appliance ---------------------------------------
  let r = await sh('spangate status');
  check(r.rc === 0 && /running/.test(r.out), 'spangate status answers over the admin socket', r.out);
  if (r.rc !== 0 || !activeAtBoot) {
    const why = await sh('systemctl status spangate --no-pager -n 0 | head -n 8; journalctl -b -u spangate -o short-monotonic --no-pager | grep -v "^ *$" | tail -n 40');
    console.log(why.out.split('\n').map((l) => `  # ${l}`).join('\n'));
  }
  r = await sh('spangate show sip');
  check(r.rc === 0 && /srf connected/.test(r.out) && /listen udp 0\.0\.0\.0:5060/.test(r.out) && /listen tcp 0\.0\.0\.0:5060/.test(r.out),
    'spangate show sip: embedded edge on udp+tcp 0.0.0.0:5060, srf connected', r.out);
  r = await sh('spangate config validate /etc/spangate/spangate.json');
  check(r.rc === 0, 'spangate config validate on the packaged config', r.out);
  r = await sh('stat -c "%a %U" /usr/share/spangate-appliance/manifest.txt; grep -c . /usr/share/spangate-appliance/manifest.txt; grep "^spangate\\s" /usr/share/spangate-appliance/manifest.txt');
  check(r.rc === 0 && /^444 root/m.test(r.out) && /^spangate\s/m.test(r.out), 'read-only package manifest (0444, lists spangate)', r.out);
  r = await sh('stat -c "%a %U:%G" /etc/spangate/tls/server.key; cat /etc/spangate/instance-id');
  check(r.rc === 0 && /^640 root:spangate/m.test(r.out) && r.out.includes(first[1]), 'TLS key 0640 root:spangate, instance id on disk', r.out);
  r = await sh('systemctl show -p ExecStart --value rtpengine-daemon | grep -o "config-file [^ ;]*"');
  check(r.rc === 0 && r.out.includes('/etc/spangate/rtpengine.conf'), 'rtpengine runs on /etc/spangate/rtpengine.conf', r.out);
  r = await sh('journalctl -u spangate -o cat --no-pager | grep -c "daemon ready"');
  check(r.rc === 0 && Number(r.out.split('\n').pop()) >= 1, 'spangate logs go to the journal', r.out);
  r = await sh('journalctl -b -u spangate -o short-monotonic --no-pager | grep -E "Started|Failed|exited|metrics-listening|sip-edge-started|sip-connected|daemon ready" | cut -c1-160');
  console.log(`# spangate start timeline (guest monotonic clock):\n${r.out.split('\n').map((l) => `#   ${l}`).join('\n')}`);
  r = await sh('systemctl is-system-running --wait; systemctl --failed --no-legend --plain');
  check(/^running$/m.test(r.out), 'system state "running" (no failed units)', r.out);

  // --- drain on systemctl stop -------------------------------------------------------------------
  r = await sh('systemctl stop spangate; systemctl show -p ExecMainCode -p ExecMainStatus -p Result spangate; journalctl -u spangate -o cat --no-pager | grep -c "\\"event\\":\\"draining\\""');
  check(r.rc === 0 && /ExecMainStatus=0/.test(r.out) && /Result=success/.test(r.out), 'systemctl stop drains and spangate exits 0', r.out);
  check(Number(r.out.split('\n').pop()) >= 1, 'the drain is logged in the journal', r.out);
  r = await sh('systemctl start spangate; systemctl is-active spangate', BOOT_TIMEOUT_MS);
  check(r.rc === 0 && /^active$/m.test(r.out), 'systemctl start brings it back (ready again)', r.out);
  try {
    const h = await httpGet('/health');
    check(h.status === 200, 'GET /health answers again after the restart', h.body);
  } catch (err) { nok('GET /health after restart', err.message); }
  console.log(`# boot to ready marker: ${bootS} s; whole boot test: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} catch (err) {
  nok(err.message, tail());
} finally {
  killQemu();
}
// Exit only once qemu is really gone (reaped), so the caller's check sees no process.
if (qemu.exitCode === null && qemu.signalCode === null) {
  await new Promise((resolve) => { qemu.once('exit', resolve); setTimeout(resolve, 10_000); });
}
process.exit(failed === 0 ? 0 : 1);
