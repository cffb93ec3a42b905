import { CliUsageError, stringOption, type CliIO, type Command } from './command.js';
import { configFromArgs } from './config-option.js';
import { DEFAULT_LISTEN } from '../config/load-config.js';
import type { GatewayConfig } from '../config/config-types.js';
import { DEMO_REPOSITORY, ensureDemoRepository, ensureDemoToken } from '../demo/demo-setup.js';
import { adminTokenPath, ensureAdminToken } from '../approvals/admin-token.js';
import { TokenStore } from '../identity/token-store.js';
import { MALLOC_ENV, mallocSettingsMissing } from '../server/malloc-settings.js';
import { startGateway, type GatewayStartOptions, type RunningGateway } from '../server/start-gateway.js';
import { TlsCertificateError } from '../http/tls-certificate.js';
import type { ShutdownReport } from '../http/gateway-server.js';

function withPort(config: GatewayConfig, port: string | undefined): GatewayConfig {
  if (port === undefined) return config;
  const value = Number(port);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new CliUsageError(`--port must be 0-65535, not '${port}'`);
  return { ...config, listen: { ...config.listen, port: value } };
}

/**
 * What the process is asked: `requested` resolves to begin the graceful shutdown; `force` cuts its
 * grace short; `onReload` subscribes to reload requests (SIGHUP) and returns the unsubscribe.
 */
export interface ServeSignals {
  requested: Promise<void>;
  force?: AbortSignal;
  onReload?: (reload: () => void) => () => void;
}

/** SIGHUP: the TLS certificate is read again (policies and tokens reload by themselves). */
function reloadOnRequest(gateway: RunningGateway, io: CliIO): void {
  const result = gateway.server.reloadTlsCertificate();
  if (result === undefined) io.stderr('gitgate: reload asked: nothing to reload without tls (policies and tokens reload by themselves)\n');
  else if (result.status === 'reloaded') {
    io.stderr(`gitgate: TLS certificate reloaded: ${result.certificate.subject}, valid until ${result.certificate.notAfter.toISOString()}\n`);
  } else io.stderr(`gitgate: TLS certificate not reloaded: ${result.message}; still serving the previous one (valid until ${result.served.notAfter.toISOString()})\n`);
}

/**
 * Sets up the demo when there is no config file, starts the gateway, prints how to use it, serves
 * until the shutdown is requested, then lets the requests in flight finish (`shutdown.grace_seconds`).
 */
export async function runServe(config: GatewayConfig, io: CliIO, signals: ServeSignals, options: GatewayStartOptions = {}): Promise<number> {
  const demo = config.source === undefined;
  let demoToken: string | undefined;
  if (demo) {
    const upstream = config.upstreams[0];
    if (upstream?.type === 'file') ensureDemoRepository(upstream.path);
    demoToken = ensureDemoToken(config.dataDir, new TokenStore(config.tokensFile));
    ensureAdminToken(config.dataDir, new TokenStore(config.tokensFile));
  }
  io.stderr('gitgate: compiling policies and starting...\n');
  // Subscribed from the start: node's default for SIGHUP is to end the process.
  let started: RunningGateway | undefined;
  const stopReloads = signals.onReload?.(() => {
    if (started === undefined) io.stderr('gitgate: reload asked while starting: the files are being read now\n');
    else reloadOnRequest(started, io);
  });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, options);
  } catch (error) {
    stopReloads?.();
    if (!(error instanceof TlsCertificateError)) throw error;
    io.stderr(`gitgate serve: ${error.message} (${error.code})\n`);
    return 1;
  }
  started = gateway;
  const origin = new URL(gateway.url);
  if (demo && demoToken !== undefined) {
    // The approver's commands find the gateway on the default port (or $GITGATE_PORT, when the
    // second terminal has it too); on another port they need to be told.
    const urlOption = origin.port === String(DEFAULT_LISTEN.port) ? '' : ` --url ${gateway.url}`;
    io.stdout(
      `gitgate is ready on ${gateway.url} (embedded demo defaults; data in ${config.dataDir})\n` +
        `  clone:  git clone ${origin.protocol}//agent:${demoToken}@${origin.host}/${DEMO_REPOSITORY}.git\n` +
        `  config: none given; write a gitgate.yaml and run gitgate serve --config gitgate.yaml (tokens: ${config.tokensFile})\n` +
        `  approve: pushes to main touching src/ wait for approval: gitgate approvals list${urlOption} | approve <id>${urlOption} (approver token in ${adminTokenPath(config.dataDir)})\n` +
        `  web UI: ${gateway.url}/ui   (sign in with the approver token from ${adminTokenPath(config.dataDir)})\n`,
    );
  } else {
    io.stdout(
      `gitgate is ready on ${gateway.url}\n` +
        `  config: ${config.source} (tokens: ${config.tokensFile})\n` +
        `  clone:  git clone ${origin.protocol}//agent:<token>@${origin.host}/<owner>/<repo>.git   (gitgate token create --subject <name> --config ${config.source})\n`,
    );
  }
  gateway.logger.info({ url: gateway.url, policy_revision: gateway.policy.revision, upstreams: config.upstreams.map((u) => u.name) }, 'gitgate listening');
  const missing = mallocSettingsMissing();
  if (missing.length > 0) {
    gateway.logger.warn(
      { missing: missing.map((name) => `${name}=${MALLOC_ENV[name]}`) },
      'started without the malloc setting the gitgate command sets: memory freed after large pushes may stay with the process. Set it in the environment that runs node',
    );
  }
  await signals.requested;
  stopReloads?.();
  const graceSeconds = config.operations.shutdownGraceSeconds;
  io.stderr(`gitgate: shutting down; requests in flight have ${graceSeconds} s to finish (signal again to stop at once)\n`);
  let report: ShutdownReport;
  try {
    report = await gateway.close({ graceMs: graceSeconds * 1000, ...(signals.force === undefined ? {} : { force: signals.force }) });
  } catch (error) {
    // The requests are over; what failed is closing what they wrote to (the audit log's disk or directory gone).
    io.stderr(`gitgate: stopped, but the shutdown did not finish cleanly: ${(error as Error).message}. Check the data directory; gitgate audit verify reports what the audit log lacks\n`);
    return 1;
  }
  if (report.cut > 0) io.stderr(`gitgate: cut ${report.cut} request(s) still in flight after ${Math.round(report.waitedMs / 1000)} s\n`);
  io.stderr('gitgate: stopped\n');
  return 0;
}

/** The first SIGINT/SIGTERM asks for the graceful shutdown; a second one forces it; SIGHUP reloads. */
function processSignals(): ServeSignals {
  const force = new AbortController();
  const requested = new Promise<void>((resolve) => {
    const first = () => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      const second = () => {
        process.off('SIGINT', second);
        process.off('SIGTERM', second);
        force.abort();
      };
      process.on('SIGINT', second);
      process.on('SIGTERM', second);
      resolve();
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
  const onReload = (reload: () => void) => {
    process.on('SIGHUP', reload);
    return () => void process.off('SIGHUP', reload);
  };
  return { requested, force: force.signal, onReload };
}

/** `gitgate serve`: the gateway. Without a config, the embedded demo (local upstream, demo token). */
export const serveCommand: Command = {
  words: ['serve'],
  summary: 'Run the gateway (embedded demo defaults without --config)',
  usage: '[--config gitgate.yaml] [--port <n>]\n\nWithout --config (or $GITGATE_CONFIG): a demo upstream and token under ./.gitgate-data.',
  options: { config: { type: 'string' }, port: { type: 'string' } },
  async run(args, io) {
    const config = withPort(configFromArgs(args), stringOption(args, 'port') ?? process.env['GITGATE_PORT']);
    return runServe(config, io, processSignals());
  },
};
