// A TLS front for sipp (Debian's sipp has no TLS): Kamailio (Debian, tls module) on the UC
// trunk's address plays the UC server's SIP proxy. It answers OPTIONS that reach it over TLS
// itself (the gateway's keepalive), relays INVITEs from the gateway (TLS) to a sipp UAS behind
// it (UDP) and INVITEs from a sipp UAC (UDP) to the gateway's TLS listener, record-routing both
// so that every in-dialog request between it and the gateway stays on TLS. Mutual TLS both ways
// with certificates from one test CA. Each request and reply crossing its TLS side is logged
// (one `SGTLS …` line: method or status, Request-URI, Contact, Record-Route, Via) so tests can
// check what the gateway put on the wire. Stopped at teardown.
import { type ChildProcess } from 'node:child_process';
import { spawnTied } from '../../../src/process/spawn-tied.js';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { waitUntil } from './gateway.js';

interface T {
  teardown(fn: () => void | Promise<void>): void;
}

export interface KamailioTlsOptions {
  /** Directory with ca.crt and <certName>.{crt,key} (test/fixtures/pki.ts). */
  pkiDir: string;
  certName: string;
  /** Kamailio's address, TLS port (toward the gateway) and UDP port (toward sipp). */
  ip: string;
  tlsPort: number;
  udpPort: number;
  /** The gateway's TLS listener, where calls from the UDP side go. */
  gateway: { ip: string; port: number };
  /** The sipp UAS that calls from the gateway reach (UDP). */
  uas: { ip: string; port: number };
}

/** One line Kamailio logged about a message on its TLS side. */
export interface TlsWireLine {
  /** 'req' for a request received over TLS, 'rpl' for a reply received over TLS. */
  kind: 'req' | 'rpl';
  /** Method (requests) or status code (replies). */
  what: string;
  ruri: string;
  contact: string;
  recordRoute: string;
  via: string;
  cseq: string;
  proto: string;
  /** The TLS version of the connection it came on (TLSv1.2, TLSv1.3). */
  tlsVersion: string;
  raw: string;
}

export class KamailioTls {
  readonly lines: TlsWireLine[] = [];
  #log = '';
  #partial = '';

  private constructor(readonly child: ChildProcess) {}

  static async start(t: T, o: KamailioTlsOptions): Promise<KamailioTls> {
    const dir = o.pkiDir;
    const key = join(dir, `${o.certName}.key`);
    const crt = join(dir, `${o.certName}.crt`);
    const ca = join(dir, 'ca.crt');
    writeFileSync(
      join(dir, 'kamailio-tls.cfg'),
      `[server:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n` +
        `private_key = ${key}\ncertificate = ${crt}\nca_list = ${ca}\n\n` +
        `[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n` +
        `private_key = ${key}\ncertificate = ${crt}\nca_list = ${ca}\n`,
    );
    const gw = `sip:${o.gateway.ip}:${o.gateway.port};transport=tls`;
    const uas = `sip:${o.uas.ip}:${o.uas.port}`;
    const wire = 'ruri=[$ru] contact=[$hdr(Contact)] rr=[$hdr(Record-Route)] via=[$hdr(Via)] cseq=[$hdr(CSeq)] proto=[$proto] tls=[$tls_version]';
    const cfg = `#!KAMAILIO
debug=1
log_stderror=yes
log_prefix=""
children=1
tcp_children=1
auto_aliases=no
listen=udp:${o.ip}:${o.udpPort}
listen=tls:${o.ip}:${o.tlsPort}
enable_tls=yes
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "textops.so"
modparam("tls", "config", "${dir}/kamailio-tls.cfg")
modparam("rr", "enable_double_rr", 1)

request_route {
  if ($proto == "tls") xlog("L_ALERT", "SGTLS req $rm ${wire}\\n");
  if ($proto == "tls" && is_method("OPTIONS") && !has_totag()) {
    sl_send_reply("200", "OK from the UC proxy");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      t_relay();
      exit;
    }
    if (is_method("ACK") && t_check_trans()) {
      t_relay();
      exit;
    }
    # sipp sends its in-dialog requests straight to us without a Route: on to the gateway
    if ($proto == "udp") {
      $du = "${gw}";
      force_send_socket(tls:${o.ip}:${o.tlsPort});
      t_relay();
      exit;
    }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) t_relay();
    exit;
  }
  record_route();
  if ($proto == "tls") {
    $du = "${uas}";
    force_send_socket(udp:${o.ip}:${o.udpPort});
  } else {
    $du = "${gw}";
    force_send_socket(tls:${o.ip}:${o.tlsPort});
  }
  t_relay();
}

reply_route {
  if ($proto == "tls") xlog("L_ALERT", "SGTLS rpl $rs ${wire}\\n");
}
`;
    const file = join(dir, 'kamailio.cfg');
    writeFileSync(file, cfg);
    const child = spawnTied('kamailio', ['-DD', '-E', '-n', '1', '-m', '32', '-M', '8', '-Y', dir, '-f', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    const k = new KamailioTls(child);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => k.#onLog(d));
    t.teardown(async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const gone = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
      const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await gone;
      clearTimeout(timer);
    });
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}: ${k.#log.slice(-2000)}`);
      return tcpOpen(o.ip, o.tlsPort);
    }, `kamailio listening on tls:${o.ip}:${o.tlsPort}`);
    return k;
  }

  /** The last part of Kamailio's log, for assertion messages. */
  get log(): string {
    return this.#log.slice(-3000);
  }

  /** Waits until a logged TLS-side line matches. */
  async waitLine(pred: (l: TlsWireLine) => boolean, what: string, from = 0, timeoutMs?: number): Promise<TlsWireLine> {
    let found: TlsWireLine | undefined;
    await waitUntil(() => (found = this.lines.slice(from).find(pred)) !== undefined, `${what} (kamailio log: ${this.log})`, timeoutMs);
    return found!;
  }

  #onLog(d: string): void {
    this.#log = (this.#log + d).slice(-50_000);
    const text = this.#partial + d;
    const end = text.lastIndexOf('\n');
    this.#partial = text.slice(end + 1);
    for (const m of text.slice(0, end + 1).matchAll(/SGTLS (req|rpl) (\S+) ruri=\[(.*?)\] contact=\[(.*?)\] rr=\[(.*?)\] via=\[(.*?)\] cseq=\[(.*?)\] proto=\[(.*?)\] tls=\[(.*?)\]/g)) {
      this.lines.push({
        kind: m[1] as 'req' | 'rpl', what: m[2]!, ruri: m[3]!, contact: m[4]!, recordRoute: m[5]!, via: m[6]!, cseq: m[7]!, proto: m[8]!, tlsVersion: m[9]!, raw: m[0],
      });
    }
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
