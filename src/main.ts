// The composition root: the one place that builds the daemon's parts from the config and
// hands each its dependencies through its constructor.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AdminMethods, AdminServer } from './admin/index.js';
import { CallRegistry } from './call/registry.js';
import { AdmissionControl } from './call/admission.js';
import { CallDispatcher } from './call/dispatcher.js';
import { CallsSubsystem } from './calls-subsystem/subsystem.js';
import { CdrSubsystem } from './cdr/subsystem.js';
import { loadConfig, loadConfigObject, resolveConfigFile, type SpangateConfig } from './config/index.js';
import { Daemon, PidLock } from './daemon/index.js';
import { ConfigError } from './errors.js';
import { loadNative } from './ffi/native.js';
import { LogManager, LogSubsystem, type LogDestination } from './log/index.js';
import { MediaSubsystem } from './media/subsystem.js';
import { Metrics, MetricsServer } from './metrics/index.js';
import { RoutingSubsystem } from './routing/subsystem.js';
import { SipSubsystem } from './sip/subsystem.js';
import { asSrfServer, attachSipGateway } from './sip/gateway.js';
import { createTrunkDirectory, TrunksSubsystem } from './sip/trunks/index.js';
import { SpanManager, TdmProvider, loadTdmNative } from './tdm/index.js';
import { VERSION } from './version.js';

export interface StartOptions {
  /** Config file; undefined: $SPANGATE_CONFIG or /etc/spangate/spangate.json when it exists. */
  configFile?: string;
  /** Ignore config files: embedded defaults plus environment overrides (the demo). */
  defaultsOnly?: boolean;
  /**
   * With defaultsOnly: values laid over the defaults before the environment applies (the demo
   * listens for SIP on loopback ephemeral ports, so it runs where 5060 is taken).
   */
  baseConfig?: Record<string, unknown>;
  /** Log destination (default stdout). */
  logDestination?: LogDestination;
  /** Install SIGHUP/SIGTERM/SIGINT handlers on the process (default true; tests say false). */
  signals?: boolean;
  /**
   * Attach the SIP call flows to the SIP subsystem's srf (default true). Tests of the SIP
   * subsystem alone say false and register their own INVITE handler.
   */
  sipGateway?: boolean;
}

export interface RunningDaemon {
  daemon: Daemon;
  logs: LogManager;
  config: SpangateConfig;
  configFile: string | undefined;
  adminSocket: string;
  /** The metrics URL base (http://addr:port), undefined when metrics are disabled. */
  metricsUrl: string | undefined;
  /** SIP: the Srf for call flows, the listeners, accepting. */
  sip: SipSubsystem;
}

/** Builds and starts the daemon. Throws ConfigError, DaemonError or NativeError. */
export async function startDaemon(opts: StartOptions = {}): Promise<RunningDaemon> {
  // Chosen again on every reload: the default file may appear after start (`config set`).
  const readConfig = (): { config: SpangateConfig; file: string | undefined } => {
    const named = opts.configFile === undefined ? undefined : resolve(opts.configFile);
    const file = opts.defaultsOnly ? undefined : resolveConfigFile(named);
    if (file === undefined && opts.baseConfig) return { config: loadConfigObject(opts.baseConfig), file };
    return { config: loadConfig(file), file };
  };
  const { config, file: configFile } = readConfig();

  const logs = new LogManager(config.log, opts.logDestination);
  const log = logs.child('daemon');
  const native = loadNative();
  log.debug({ native: native.info }, 'native library loaded');

  try {
    mkdirSync(config.daemon.stateDir, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new ConfigError(`daemon.stateDir: cannot create ${config.daemon.stateDir}: ${(err as NodeJS.ErrnoException).code}`, {
      file: configFile, path: 'daemon.stateDir', reason: 'cannot create directory', cause: err,
    });
  }

  const metrics = new Metrics({ version: VERSION, node: process.version, nativeAbi: String(native.info.abiVersion) });
  const methods = new AdminMethods();
  const admin = new AdminServer(config.admin, methods, logs.child('admin'));
  let daemon: Daemon | undefined;
  const metricsServer = new MetricsServer(
    config.metrics, metrics,
    () => daemon?.healthReport() ?? { status: 'starting', subsystems: {} },
    logs.child('metrics'),
  );
  const metricsUrl = (): string | undefined => {
    const a = metricsServer.address();
    if (!a) return undefined;
    return a.address.includes(':') ? `http://[${a.address}]:${a.port}` : `http://${a.address}:${a.port}`;
  };
  // B-channels of PRI⇄SIP calls get RTP endpoints on tdm.rtp (restart-required), facing the relay.
  const tdm = new SpanManager({
    config: config.tdm, admin: methods, metrics, log: logs.child('tdm'), media: true,
    native: () => loadTdmNative({ portMin: config.tdm.rtp.portMin, portMax: config.tdm.rtp.portMax }),
    rtp: () => ({ address: config.tdm.rtp.address || config.media.rtpengine.interface }),
  });
  const reloads = metrics.counter('spangate_config_reloads_total', 'Config reloads by result.', ['result']);

  // The call core and the subsystems around it. Started in this order, stopped in reverse:
  // calls end (and their CDRs are written) before media, routing and the CDR store go away.
  const cdr = new CdrSubsystem({ config, log: logs.child('cdr'), metrics });
  const media = new MediaSubsystem({ config, log: logs.child('media'), metrics });
  const routing = new RoutingSubsystem({ config, log: logs.child('routing'), admin: methods });
  const registry = new CallRegistry();
  registry.onEnded((r) => cdr.record(r));
  // SIP always runs: the gateway answers OPTIONS even with no trunk configured.
  const sip = new SipSubsystem({ config, log: logs.child('sip'), metrics, admin: methods });
  // SIP trunks: addresses, ACL, digest auth, OPTIONS keepalive (through the SIP subsystem's srf
  // once it is connected). `show trunks` reads its health.
  const trunks = createTrunkDirectory({
    config, srf: () => (sip.connected ? sip.srf : undefined), log: logs.child('trunks'), metrics,
    // the port a contactFqdn Contact advertises, per transport
    localPort: (t) => sip.listeners.find((l) => l.proto === t)?.port,
  });
  const calls = new CallsSubsystem({
    config, log: logs.child('calls'), metrics, admin: methods, registry, trunkHealth: (id) => trunks.health(id),
  });
  const currentConfig = (): SpangateConfig => daemon?.config ?? config;
  // Every call, from SIP or PRI, is routed and started by the dispatcher; the SIP gateway and
  // the span manager add themselves as leg providers for their trunks.
  // Limits come from the trunk runtime's resolved settings (resolved once per reload, not per call).
  const admission = new AdmissionControl((trunk) => {
    const s = trunks.settings(trunk);
    return s ? { maxCalls: s.maxCalls, maxCps: s.maxCps } : undefined;
  });
  const dispatcher = new CallDispatcher({
    registry,
    router: routing,
    // Per call: rtpengine or the native relay (src/media/relay-choice.ts).
    relay: (legs) => media.relayFor(legs),
    admission,
    accepting: () => calls.accepting,
    ringTimeoutMs: () => currentConfig().sip.ringTimeoutMs,
    log: logs.child('calls'),
  });
  // The SIP side: INVITEs from every (re)connected srf become inbound legs; SIP trunks are a
  // leg provider.
  const sipGateway = attachSipGateway({
    dispatcher,
    directory: trunks,
    plan: () => currentConfig().routing.plan,
    log: logs.child('sip'),
    accepting: () => sip.accepting && calls.accepting,
    retryAfterS: () => sip.retryAfterS,
    invites: metrics.counter('spangate_sip_invites_total', 'INVITEs received, by outcome.', ['result']),
    instanceId: `sg-${randomBytes(4).toString('hex')}`,
    localPorts: () => Object.fromEntries(sip.listeners.map((l) => [l.proto, l.port])),
    ownSentBy: () => sip.listeners.flatMap((l) => [`${l.host}:${l.port}`, ...(l.advertisedAddress ? [`${l.advertisedAddress}:${l.port}`] : [])]),
  });
  if (opts.sipGateway !== false) {
    sip.onReady((srf) => sipGateway.attach(asSrfServer(srf)));
    sip.on('down', () => sipGateway.detach());
  }
  // The span manager: its incoming PRI calls go to the dispatcher, and it places the outbound
  // legs on TDM span groups.
  dispatcher.addProvider(new TdmProvider({
    manager: tdm, inbound: (leg) => dispatcher.inbound(leg), plan: () => currentConfig().routing.plan, log: logs.child('tdm'),
  }));

  daemon = new Daemon({
    config,
    configFile,
    readConfig,
    onReload: (result) => reloads.inc({ result }),
    subsystems: [new LogSubsystem(logs), metricsServer, admin, cdr, media, routing, sip, new TrunksSubsystem(trunks), calls, tdm],
    lock: new PidLock(config.daemon.pidFile, log),
    admin: methods,
    log,
    version: VERSION,
    describe: () => ({
      adminSocket: admin.socketPath,
      metricsUrl: metricsUrl() ?? null,
      sipListeners: sip.listeners.map((l) => `${l.proto}/${l.host}:${l.port}`),
    }),
  });
  await daemon.start();
  if (opts.signals !== false) daemon.installSignalHandlers();
  return { daemon, logs, config, configFile, adminSocket: admin.socketPath, metricsUrl: metricsUrl(), sip };
}
