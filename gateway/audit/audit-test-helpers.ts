import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretMasker } from '../secrets/index.js';
import { builtinScanner } from '../secrets/test-helpers.js';
import { ChainedAuditLog } from './chained-audit-log.js';
import { CheckpointSigner, loadPublicKey } from './checkpoint-signer.js';
import { JsonlSegmentStore } from './jsonl-segment-store.js';

/** A fresh audit directory with a log on it (test only). */
export async function openTestAuditLog(options: { directory?: string; segmentBytes?: number; checkpointIntervalMs?: number } = {}) {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'gitgate-audit-'));
  const store = new JsonlSegmentStore({ directory, ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }) });
  const signer = CheckpointSigner.loadOrCreate(join(directory, 'checkpoint-key.pem'));
  const masker = new SecretMasker(builtinScanner());
  const log = await ChainedAuditLog.open({ store, masker, signer, checkpointIntervalMs: options.checkpointIntervalMs ?? 0 });
  return { directory, store, signer, masker, log, publicKey: loadPublicKey(signer.publicKeyPem) };
}
