import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { SecretSource } from './secret-source.js';

/** Running the gateway as a service: how it shuts down and who may read its metrics. */
export interface OperationsConfig {
  /** On SIGTERM/SIGINT, how long the requests in flight may take to finish before they are cut. */
  shutdownGraceSeconds: number;
  /**
   * The bearer token `/metrics` asks for, from an env var or a file (read at each scrape, so it can
   * be rotated). Without one, `/metrics` answers loopback clients only.
   */
  metricsToken: SecretSource | undefined;
}

/** 25 s: inside the 30 s a container runtime waits between SIGTERM and SIGKILL by default. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;

export const shutdownConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    grace_seconds: { type: 'integer', minimum: 0, maximum: 3600 },
  },
} as const;

export const metricsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    token_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    token_file: { type: 'string', minLength: 1 },
  },
} as const;

export interface RawShutdownConfig {
  grace_seconds?: number;
}

export interface RawMetricsConfig {
  token_env?: string;
  token_file?: string;
}

export function resolveOperationsConfig(shutdown: RawShutdownConfig | undefined, metrics: RawMetricsConfig | undefined, baseDir: string): OperationsConfig {
  if (metrics?.token_env !== undefined && metrics.token_file !== undefined) {
    throw new ConfigError('CONFIG_INVALID', 'invalid gitgate config: metrics: give either token_env or token_file, not both');
  }
  return {
    shutdownGraceSeconds: shutdown?.grace_seconds ?? DEFAULT_SHUTDOWN_GRACE_SECONDS,
    metricsToken:
      metrics?.token_env !== undefined
        ? { kind: 'env', name: metrics.token_env }
        : metrics?.token_file !== undefined
          ? { kind: 'file', path: resolve(baseDir, metrics.token_file) }
          : undefined,
  };
}
