// Replacement for drachtio-srf's test/sipp.js: runs the Debian sipp on loopback instead of
// docker (shared/drachtio-protocol.md §4.4). Same exports as the original.
const { spawn } = require('child_process');
const path = require('path');
const SUT = process.env.SUT || '127.0.0.10:5060';
const UAC_IP = process.env.UAC_IP || '127.0.0.31';
const HOSTS = process.env.HOSTS_JSON ? JSON.parse(process.env.HOSTS_JSON) : { 'sipp-uas-b-teardown': '127.0.0.30' };
const PORT_BASE = Number(process.env.UAC_PORT_BASE || 43100);
const SCEN = path.join(__dirname, 'scenarios');
let output = '';
let idx = 1;
const obj = {};
module.exports = () => obj;
obj.output = () => output;
obj.sippUac = (file) => {
  const n = idx++;
  output = '';
  return run(['-sf', path.join(SCEN, file), '-m', '1', '-sleep', '250ms', '-nostdin',
    '-cid_str', `%u-%p@%s-${n}-${process.pid}`, '-i', UAC_IP, '-p', String(PORT_BASE + (n % 800)),
    '-timeout', '120s', ...trace(`uac-${n}`), SUT]);
};
// SIPP_TRACE_DIR=<dir> keeps each sipp run's messages for debugging.
function trace(name) {
  const dir = process.env.SIPP_TRACE_DIR;
  return dir ? ['-trace_msg', '-message_file', path.join(dir, `${name}.msg`)] : [];
}
obj.sippUas = (file, name) => HOSTS[name]
  ? run(['-sf', path.join(SCEN, file), '-m', '1', '-nostdin', '-i', HOSTS[name], '-p', '5060', '-timeout', '120s'])
  : Promise.reject(new Error(`no address for ${name}`));
function run(args) {
  return new Promise((resolve, reject) => {
    const cp = spawn('sipp', args, { cwd: SCEN, stdio: ['ignore', 'pipe', 'pipe'] });
    const add = (d) => { for (const c of d.toString()) if (c.charCodeAt(0) < 128) output += c; };
    cp.stdout.on('data', add);
    cp.stderr.on('data', add);
    cp.on('error', reject);
    cp.on('exit', (code) => (code === 0 ? resolve() : reject(code)));
  });
}
