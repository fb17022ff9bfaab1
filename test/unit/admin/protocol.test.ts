import t from 'tap';
import { errorBody, LineSplitter, parseRequest } from '../../../src/admin/protocol.js';
import { ConfigError, TimeoutError, ClosedError } from '../../../src/errors.js';

t.test('line splitting across chunks', async (t) => {
  const s = new LineSplitter(16);
  t.same(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  t.same(s.push(':2}\n\n'), ['{"b":2}'], 'blank lines skipped');
  t.throws(() => s.push('x'.repeat(17)), /longer than 16 bytes/);
});

t.test('requests', async (t) => {
  t.same(parseRequest('{"id":1,"method":"status"}'), { request: { id: 1, method: 'status', params: {} } });
  t.same(parseRequest('{"id":"a","method":"show.calls","params":{"x":1}}'), {
    request: { id: 'a', method: 'show.calls', params: { x: 1 } },
  });
  t.match(parseRequest('nope'), { id: null, error: { code: 'EBADREQUEST', message: /not valid JSON/ } });
  t.match(parseRequest('[1]'), { id: null, error: { code: 'EBADREQUEST' } });
  t.match(parseRequest('{"method":"status"}'), { id: null, error: { message: /needs an "id"/ } });
  t.match(parseRequest('{"id":2,"method":"Bad Name"}'), { id: 2, error: { message: /needs a "method"/ } });
  t.match(parseRequest('{"id":3,"method":"status","params":[1]}'), { id: 3, error: { message: /"params" must be an object/ } });
});

t.test('error bodies keep codes and details, never just text', async (t) => {
  t.same(errorBody(new ConfigError('f: k: bad', { file: 'f', path: 'k', reason: 'bad' })), {
    code: 'ECONFIG', message: 'f: k: bad', data: { file: 'f', path: 'k', reason: 'bad' },
  });
  t.same(errorBody(new TimeoutError('slow', 10)), { code: 'ETIMEOUT', message: 'slow', data: { timeoutMs: 10 } });
  t.same(errorBody(new ClosedError('gone')), { code: 'ECLOSED', message: 'gone' });
  t.same(errorBody(new Error('boom')), { code: 'EINTERNAL', message: 'boom' });
  t.same(errorBody('str'), { code: 'EINTERNAL', message: 'str' });
});
