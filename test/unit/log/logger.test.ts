import t from 'tap';
import { LogManager, LogSubsystem } from '../../../src/log/index.js';
import { loadConfigObject } from '../../../src/config/index.js';

function capture(): { lines: Record<string, unknown>[]; write(line: string): void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
}

t.test('JSON lines with subsystem, level label and time', async (t) => {
  const dest = capture();
  const logs = new LogManager({ level: 'info', subsystems: {} }, dest);
  logs.child('sip').info({ callId: 'abc' }, 'hello');
  t.equal(dest.lines.length, 1);
  t.match(dest.lines[0], { level: 'info', subsystem: 'sip', callId: 'abc', msg: 'hello', pid: process.pid });
  t.match(dest.lines[0]!.time, /^\d{4}-\d\d-\d\dT/);
});

t.test('per-subsystem levels, and reconfigure changes loggers already handed out', async (t) => {
  const dest = capture();
  const logs = new LogManager({ level: 'warn', subsystems: { sip: 'debug' } }, dest);
  const sip = logs.child('sip');
  const media = logs.child('media');
  t.equal(logs.child('sip'), sip, 'one logger per subsystem');
  sip.debug('sip debug');
  media.info('media info (dropped)');
  media.warn('media warn');
  t.same(dest.lines.map((l) => l.msg), ['sip debug', 'media warn']);

  logs.reconfigure({ level: 'info', subsystems: {} });
  sip.debug('sip debug (dropped now)');
  media.info('media info');
  const perCall = sip.child({ callId: 'x' });
  perCall.info('call line');
  t.same(dest.lines.map((l) => l.msg), ['sip debug', 'media warn', 'media info', 'call line']);
  t.equal(logs.levelOf('sip'), 'info');
});

t.test('LogSubsystem applies log levels on reload', async (t) => {
  const dest = capture();
  const logs = new LogManager({ level: 'info', subsystems: {} }, dest);
  const sub = new LogSubsystem(logs);
  await sub.start();
  sub.reload(loadConfigObject({ log: { subsystems: { admin: 'error' } } }, { env: {} }));
  logs.child('admin').warn('dropped');
  logs.child('admin').error('kept');
  t.same(dest.lines.map((l) => l.msg), ['kept']);
  await sub.drain(Date.now());
  await sub.stop();
});
