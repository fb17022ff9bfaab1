// Minimal drachtio-srf B2BUA for bench/sip: every INVITE becomes a B-leg to the sipp UAS
// (SDP passed through, no media relay); a BYE on either leg ends the other.
// Usage: node b2bua.mjs <controlHost> <controlPort> <secret> <target sip URI>
// On SIGUSR2 it prints one JSON line {"b2bua":{rss,heapUsed,calls}} after a GC (run with --expose-gc).
import Srf from 'drachtio-srf';

const [host, port, secret, target] = process.argv.slice(2);
const srf = new Srf();
let calls = 0;
let failed = 0;
srf.connect({ host, port: Number(port), secret });
srf.on('connect', () => console.log('b2bua connected'));
srf.on('error', (err) => console.error(`b2bua srf error: ${err.message}`));
srf.invite(async (req, res) => {
  try {
    const { uas, uac } = await srf.createB2BUA(req, res, target, { localSdpB: req.body });
    calls++;
    let ended = false;
    const end = (other) => {
      if (ended) return;
      ended = true;
      calls--;
      other.destroy().catch(() => undefined);
    };
    uas.on('destroy', () => end(uac));
    uac.on('destroy', () => end(uas));
    // A BYE that srf handled in the same read as the ACK (sipp sends them back to back with
    // -d 0) destroyed a leg before the handlers above existed: without this check the other
    // leg was never hung up and stayed in srf and in the edge (found by the burst memory check).
    if (!uas.connected) end(uac);
    else if (!uac.connected) end(uas);
  } catch (err) {
    failed++;
    if (failed <= 5) console.error(`b2bua call failed: ${err.status ?? err.message}`);
  }
});
process.on('SIGUSR2', () => {
  if (global.gc) global.gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ b2bua: { rss: m.rss, heapUsed: m.heapUsed, calls, failed } }));
});
process.on('SIGTERM', () => { srf.disconnect(); process.exit(0); });
