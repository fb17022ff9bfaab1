// `spangate show sip` text, and the demo's SIP listeners (loopback, ephemeral ports).
import t from 'tap';
import { DEMO_CONFIG } from '../../../../src/cli/commands/daemon.js';
import { formatSip } from '../../../../src/cli/commands/show-sip.js';
import { loadConfigObject } from '../../../../src/config/index.js';
import type { SipView } from '../../../../src/sip/subsystem.js';

const VIEW: SipView = {
  mode: 'embedded', runIn: 'child', state: 'connected', connected: true, accepting: true,
  listeners: [{ proto: 'udp', host: '0.0.0.0', port: 5060 }, { proto: 'tls', host: '0.0.0.0', port: 5061, advertisedAddress: '203.0.113.5' }],
  control: '127.0.0.1:41234', edge: { pid: 4321, threadId: null, restarts: 2 }, reconnects: 3, downReason: null,
  stats: {
    'req|in|OPTIONS': 4, 'req|in|INVITE': 2, 'req|out|BYE': 1, 'res|out|OPTIONS|200': 4, 'res|in|BYE|200': 1,
    'transport.parseErrors': 3, 'transport.badRequestsAnswered': 1, 'overload|INVITE': 1, dialogs: 1, serverTransactions: 2, clientTransactions: 0, appConnections: 1,
  },
};

t.test('connected embedded edge', async (t) => {
  t.equal(formatSip(VIEW), [
    'sip: embedded edge in a child process (pid 4321), control 127.0.0.1:41234, srf connected',
    'edge restarts 2, srf reconnects 3',
    '  listen udp 0.0.0.0:5060',
    '  listen tls 0.0.0.0:5061 (advertised 203.0.113.5)',
    'messages: requests in 6 out 1, responses in 1 out 4; malformed 3 (400 sent 1); overload 503 1',
    'now: dialogs 1, server transactions 2, client transactions 0, app connections 1',
    'requests in by method: OPTIONS 4, INVITE 2',
  ].join('\n'));
});

t.test('down and draining, external', async (t) => {
  const text = formatSip({ ...VIEW, mode: 'external', runIn: null, connected: false, accepting: false, edge: null, downReason: 'control connection closed', stats: null, listeners: [] });
  t.match(text, /^sip: external drachtio-server, control 127\.0\.0\.1:41234, DOWN \(control connection closed\), draining/);
  t.match(text, /listeners: none/);
});

t.test('the demo listens on loopback ephemeral ports', async (t) => {
  t.same(loadConfigObject(DEMO_CONFIG, { env: {} }).sip.edge.listen, [{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'tcp', host: '127.0.0.1', port: 0 }]);
});
