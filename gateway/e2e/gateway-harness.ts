import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../config/config-types.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { startGateway, type GatewayStartOptions, type RunningGateway } from '../server/start-gateway.js';

export interface GatewayHarness {
  gateway: RunningGateway;
  config: GatewayConfig;
  root: string;
  upstreamDir: string;
  token: string;
  /** Every log line the gateway wrote. */
  logs: () => string;
  /** `http(s)://agent:<token>@host:port/<path>.git` */
  remote: (path: string, token?: string) => string;
  close: () => Promise<void>;
}

/** A gateway on a free port with a file upstream holding `demo/hello` and extra configured upstreams. */
export async function startHarness(
  extraUpstreams: unknown[] = [],
  policyData?: Record<string, unknown>,
  extraConfig: Record<string, unknown> = {},
  startOptions: Omit<GatewayStartOptions, 'logDestination'> = {},
): Promise<GatewayHarness> {
  const root = mkdtempSync(join(tmpdir(), 'gitgate-e2e-'));
  const upstreamDir = join(root, 'upstream');
  mkdirSync(upstreamDir);
  ensureDemoRepository(upstreamDir);
  const config = resolveConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      data_dir: 'data',
      upstreams: [{ type: 'file', name: 'local', path: 'upstream' }, ...extraUpstreams],
      ...(policyData === undefined ? {} : { policies: { data: policyData } }),
      ...extraConfig,
    },
    root,
    join(root, 'gitgate.yaml'),
  );
  let logText = '';
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logText += chunk.toString();
      callback();
    },
  });
  const gateway = await startGateway(config, { ...startOptions, logDestination });
  const { token } = gateway.tokens.create('agent-1', ['agents']);
  const origin = new URL(gateway.url);
  return {
    gateway,
    config,
    root,
    upstreamDir,
    token,
    logs: () => logText,
    remote: (path, t = token) => `${origin.protocol}//agent:${t}@${origin.host}/${path}.git`,
    close: async () => {
      await gateway.close();
    },
  };
}
