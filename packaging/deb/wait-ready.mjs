// Waits until a freshly started spangate daemon serves: GET /health on its metrics address
// answers 200 (or, with metrics off, the admin socket accepts a connection). Run by systemd as
// ExecStartPost, so spangate.service becomes "active" only once the gateway really listens.
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

/** host:port of the metrics/health listener from config key "metrics" (string or object form). */
function metricsTarget(m) {
  if (m === false || m === null) return undefined;
  let host = '127.0.0.1';
  let port = 9464;
  if (typeof m === 'string') {
    const i = m.lastIndexOf(':');
    if (i >= 0) { host = m.slice(0, i) || host; port = Number(m.slice(i + 1)); } else port = Number(m);
  } else if (typeof m === 'number') {
    port = m;
  } else if (m && typeof m === 'object') {
    if (m.enabled === false) return undefined;
    if (typeof m.listen === 'string' || typeof m.address === 'string' && m.address.includes(':') && m.port === undefined) {
      return metricsTarget(m.listen ?? m.address);
    }
    host = m.host ?? m.address ?? host;
    port = Number(m.port ?? port);
  }
  host = host.replace(/^\[|\]$/g, '');
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  if (host === '::') host = '::1';
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
