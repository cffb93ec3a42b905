import { join, resolve } from 'node:path';

/** The audit log (`audit` in gitgate.yaml). Everything has an embedded default under the data dir. */
export interface AuditConfig {
  /** Segments, checkpoints and packs live here (default `<data_dir>/audit`). */
  directory: string;
  /** A segment file is closed once it reaches this size. */
  segmentBytes: number;
  /** How often the chain's head is signed (also at start and stop). */
  checkpointIntervalSeconds: number;
  /** Pushed and replay packs older than this are deleted. */
  packRetentionDays: number;
  /** The Ed25519 private key (PEM, mode 0600) that signs checkpoints; created when absent. */
  signingKeyFile: string;
}

export const auditConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    directory: { type: 'string', minLength: 1 },
    segment_bytes: { type: 'integer', minimum: 4096, maximum: 4 * 1024 * 1024 * 1024 },
    checkpoint_interval_seconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    pack_retention_days: { type: 'integer', minimum: 1, maximum: 36_500 },
    signing_key_file: { type: 'string', minLength: 1 },
  },
} as const;

export interface RawAuditConfig {
  directory?: string;
  segment_bytes?: number;
  checkpoint_interval_seconds?: number;
  pack_retention_days?: number;
  signing_key_file?: string;
}

export function resolveAuditConfig(raw: RawAuditConfig | undefined, baseDir: string, dataDir: string): AuditConfig {
  const directory = raw?.directory === undefined ? join(dataDir, 'audit') : resolve(baseDir, raw.directory);
  return {
    directory,
    segmentBytes: raw?.segment_bytes ?? 64 * 1024 * 1024,
    checkpointIntervalSeconds: raw?.checkpoint_interval_seconds ?? 60,
    packRetentionDays: raw?.pack_retention_days ?? 90,
    signingKeyFile: raw?.signing_key_file === undefined ? join(directory, 'checkpoint-key.pem') : resolve(baseDir, raw.signing_key_file),
  };
}
