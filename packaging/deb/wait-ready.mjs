// Waits until a freshly started spangate daemon serves: GET /health on its metrics address
// (config metrics.address/port) answers, or with metrics off, the admin socket accepts a
// connection. Run by systemd as ExecStartPost, so spangate.service becomes "active" only once
// the gateway really listens.
//   node wait-ready.mjs /etc/spangate/spangate.json [timeout-seconds]
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const [file = '/etc/spangate/spangate.json', timeoutArg = '150'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;

let config = {};
try {
  config = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  process.stderr.write(`wait-ready: cannot read ${file}: ${err.message}; using defaults\n`);
}

/** Where /health answers, from config keys metrics.{enabled,address,port} (schema defaults otherwise). */
function metricsTarget(m = {}) {
  if (m.enabled === false) return undefined;
  let host = m.address ?? '127.0.0.1';
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  const port = Number(m.port ?? 9478);
  return Number.isInteger(port) && port > 0 ? { host, port } : undefined;
}

const target = metricsTarget(config.metrics);
const socket = config.admin?.socket ?? '/run/spangate/admin.sock';

function probeHealth() {
  return new Promise((resolve) => {
    const req = http.get({ host: target.host, port: target.port, path: '/health', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function probeSocket() {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

for (;;) {
  if (await (target ? probeHealth() : probeSocket())) process.exit(0);
  if (Date.now() > deadline) {
    const what = target ? `http://${target.host}:${target.port}/health` : `admin socket ${socket}`;
    process.stderr.write(`wait-ready: ${what} did not answer within ${timeoutArg} s\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
