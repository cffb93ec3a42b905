import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { SecretSource } from './secret-source.js';

/** Running the gateway as a service: how it shuts down, who may read its metrics, how long it waits for clients, how many pushes it takes at once. */
export interface OperationsConfig {
  /** On SIGTERM/SIGINT, how long the requests in flight may take to finish before they are cut. */
  shutdownGraceSeconds: number;
  /**
   * The bearer token `/metrics` asks for, from an env var or a file (read at each scrape, so it can
   * be rotated). Without one, `/metrics` answers loopback clients only.
   */
  metricsToken: SecretSource | undefined;
  /**
   * A request whose body stops arriving for this long, while the gateway waits for it, is cut
   * (0: never). There is no limit on how long a body may take as long as its bytes keep coming.
   */
  clientIdleSeconds: number;
  /** Pushes handled at once, from receiving to the answer; more wait their turn (bounds the gateway's memory). */
  concurrentPushes: number;
  /** How long a push may wait for its turn before it is refused with 503. */
  pushQueueSeconds: number;
}

/** 25 s: inside the 30 s a container runtime waits between SIGTERM and SIGKILL by default. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;

/** What nginx waits between two reads of a request body by default (`client_body_timeout`). */
export const DEFAULT_CLIENT_IDLE_SECONDS = 60;

export const timeoutsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    client_idle_seconds: { type: 'integer', minimum: 0, maximum: 86400 },
  },
} as const;

export const DEFAULT_CONCURRENT_PUSHES = 8;
export const DEFAULT_PUSH_QUEUE_SECONDS = 60;

export const limitsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    concurrent_pushes: { type: 'integer', minimum: 1, maximum: 1000 },
    push_queue_seconds: { type: 'integer', minimum: 0, maximum: 3600 },
  },
} as const;

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

export interface RawTimeoutsConfig {
  client_idle_seconds?: number;
}

export interface RawLimitsConfig {
  concurrent_pushes?: number;
  push_queue_seconds?: number;
}

export interface RawMetricsConfig {
  token_env?: string;
  token_file?: string;
}

export function resolveOperationsConfig(
  {
    shutdown,
    metrics,
    timeouts,
    limits,
  }: { shutdown?: RawShutdownConfig | undefined; metrics?: RawMetricsConfig | undefined; timeouts?: RawTimeoutsConfig | undefined; limits?: RawLimitsConfig | undefined },
  baseDir: string,
): OperationsConfig {
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
    clientIdleSeconds: timeouts?.client_idle_seconds ?? DEFAULT_CLIENT_IDLE_SECONDS,
    concurrentPushes: limits?.concurrent_pushes ?? DEFAULT_CONCURRENT_PUSHES,
    pushQueueSeconds: limits?.push_queue_seconds ?? DEFAULT_PUSH_QUEUE_SECONDS,
  };
}
