import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config-types.js';
import type { SecretMasker } from '../secrets/index.js';
import { ChainedAuditLog } from './chained-audit-log.js';
import { CheckpointSigner, loadPublicKey } from './checkpoint-signer.js';
import { JsonlSegmentStore } from './jsonl-segment-store.js';
import { AuditPackStore } from './pack-store.js';
import { reconcileForwards, type ReconcileSummary } from './reconcile-forwards.js';

/** The audit log of a running gateway, with what the web UI and CLI read it through. */
export interface OpenedAudit {
  log: ChainedAuditLog;
  store: JsonlSegmentStore;
  packs: AuditPackStore;
  /** Verifies checkpoints (the private key stays inside the signer). */
  publicKey: KeyObject;
  reconciled: ReconcileSummary;
  close(): Promise<void>;
}

export function auditPackDirectory(directory: string): string {
  return join(directory, 'packs');
}

/**
 * Opens the configured audit log: repairs a torn tail, signs the head, reconciles forwards left
 * without an outcome by a crash (asking each upstream where the refs are), prunes old packs and
 * removes the spools and half-written pack files a crash left behind.
 */
export async function openAudit(config: GatewayConfig, masker: SecretMasker, logger: Logger): Promise<OpenedAudit> {
  const settings = config.audit;
  const store = new JsonlSegmentStore({ directory: settings.directory, segmentBytes: settings.segmentBytes });
  const signer = CheckpointSigner.loadOrCreate(settings.signingKeyFile);
  const log = await ChainedAuditLog.open({ store, masker, signer, checkpointIntervalMs: settings.checkpointIntervalSeconds * 1000, logger });
  const packs = new AuditPackStore(auditPackDirectory(settings.directory), settings.packRetentionDays);
  packs.clearLeftovers(); // after the writer lock: no other process writes here
  let reconciled: ReconcileSummary;
  try {
    await log.append({ type: 'audit.lifecycle', data: { event: 'gateway-started', checkpoint_key_id: signer.keyId } });
    reconciled = await reconcileForwards(store, log, config, logger);
    if (reconciled.pending > 0) logger.info({ ...reconciled }, 'audit: forwards without outcome reconciled against the upstreams');
    await log.checkpoint();
  } catch (error) {
    await log.close().catch(() => undefined);
    throw error;
  }
  const prune = (): void => {
    packs.prune().then(
      (removed) => (removed > 0 ? logger.info({ removed }, 'audit: packs past retention removed') : undefined),
      (error: unknown) => logger.warn({ err: error }, 'audit: pack pruning failed'),
    );
  };
  prune();
  const pruneTimer = setInterval(prune, 86_400_000);
  pruneTimer.unref();
  return {
    log,
    store,
    packs,
    publicKey: loadPublicKey(signer.publicKeyPem),
    reconciled,
    close: async () => {
      clearInterval(pruneTimer);
      await log.append({ type: 'audit.lifecycle', data: { event: 'gateway-stopped' } }).catch(() => undefined);
      await log.close();
    },
  };
}
