import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { InvalidArgumentError } from 'commander';
import { liveTarget, parseMs } from '../../../src/cli/args.js';
import { tmpDir } from '../../fixtures/tmp.js';

t.test('--timeout values', async (t) => {
  t.equal(parseMs('250'), 250);
  for (const bad of ['0', '-1', '1.5', 'soon', '3600001']) t.throws(() => parseMs(bad), InvalidArgumentError, bad);
});

t.test('the admin socket comes from --socket or the config', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ admin: { socket: join(dir, 'x.sock'), requestTimeoutMs: 2000 } }));
  t.match(liveTarget({ config: file }), { socket: join(dir, 'x.sock'), timeoutMs: 3000, configFile: file });
  t.match(liveTarget({ socket: '/s.sock' }), { socket: '/s.sock', config: undefined });
  t.match(liveTarget({ config: file, socket: '/s.sock', timeout: 10 }), { socket: '/s.sock', timeoutMs: 10 });
  writeFileSync(file, '{"admin": {"sockt": 1}}');
  t.throws(() => liveTarget({ config: file }), { code: 'ECONFIG', path: 'admin.sockt' });
});
