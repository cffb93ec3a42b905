import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config-types.js';
import { resolveRepository, type ResolvedRepository } from '../upstream/repository-resolver.js';
import { upstreamFor } from '../upstream/upstream-for.js';
import type { AuditEvent, AuditLog } from './audit-types.js';
import type { AuditStore } from './audit-store.js';
import { auditEvents } from './audit-queries.js';
import { refOutcomes, type RecordedCommand } from './outcome-check.js';

export interface ReconcileSummary {
  pending: number;
  reconciled: number;
  failed: number;
}

/**
 * Forward intents that have no outcome (the gateway stopped between the two), or whose outcome is
 * unknown (the upstream failed before answering, `nothing_applied: false`) and has not been
 * checked since.
 */
export async function pendingForwards(store: AuditStore): Promise<AuditEvent[]> {
  const open = new Map<string, AuditEvent>();
  for await (const event of auditEvents(store)) {
    if (event.request_id === null) continue;
    if (event.type === 'upstream.forward') open.set(event.request_id, event);
    else if (event.type === 'upstream.result' && (event.data['nothing_applied'] !== false || event.data['reconciled'] === true)) open.delete(event.request_id);
  }
  return [...open.values()];
}

/** The refs an upstream advertises now (`ref -> id`). */
export async function upstreamRefs(config: GatewayConfig, repositoryPath: string): Promise<Map<string, string>> {
  const repository = resolveRepository(config, repositoryPath);
  if (repository === undefined) throw new Error(`repository ${repositoryPath} is no longer served by any configured upstream`);
  return advertisedRefs(repository);
}

/** The refs `repository`'s upstream advertises now (`ref -> id`). */
export async function advertisedRefs(repository: ResolvedRepository): Promise<Map<string, string>> {
  const response = await upstreamFor(repository).advertise('git-upload-pack', { gitProtocol: undefined, userAgent: 'gitgate-audit-reconcile' });
  if (response.status !== 200) {
    response.body.resume();
    throw new Error(`the upstream answered HTTP ${response.status}`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  const refs = new Map<string, string>();
  const body = Buffer.concat(chunks);
  for (let at = 0; at + 4 <= body.length; ) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString('latin1'), 16);
    if (!Number.isInteger(length)) break;
    if (length < 4) {
      at += 4;
      continue;
    }
    const line = body.subarray(at + 4, at + length).toString('utf8').split('\0')[0]!.replace(/\n$/, '');
    const match = /^([0-9a-f]{40}|[0-9a-f]{64}) (\S+)$/.exec(line);
    if (match !== null && match[2] !== 'capabilities^{}') refs.set(match[2]!, match[1]!);
    at += length;
  }
  return refs;
}

/**
 * After a restart: for each forward intent without an outcome (or with an unknown one), asks the
 * upstream where each ref is now and records the outcome (`landed` when the ref is at the pushed
 * id, `not-landed` when it is still at the old one, `changed-since` otherwise). An upstream that
 * cannot be asked is recorded as an error and tried again at the next start.
 */
export async function reconcileForwards(store: AuditStore, audit: AuditLog, config: GatewayConfig, logger?: Logger): Promise<ReconcileSummary> {
  const pending = await pendingForwards(store);
  const summary: ReconcileSummary = { pending: pending.length, reconciled: 0, failed: 0 };
  for (const intent of pending) {
    const repositoryPath = String(intent.data['repository_path'] ?? intent.repository ?? '');
    const commands = (intent.data['commands'] as unknown as RecordedCommand[] | undefined) ?? [];
    const base = { request_id: intent.request_id, actor: intent.actor, repository: intent.repository };
    try {
      const refs = await upstreamRefs(config, repositoryPath);
      const results = refOutcomes(commands, refs);
      await audit.append({
        type: 'upstream.result',
        ...base,
        data: { reconciled: true, intent_seq: intent.seq, status: null, bytes: null, refs: results, landed: results.filter((r) => r.ok).map((r) => r.ref), replay_pack: null },
      });
      summary.reconciled += 1;
    } catch (error) {
      summary.failed += 1;
      logger?.warn({ err: error, request_id: intent.request_id }, 'audit: a forward without outcome could not be reconciled; retried at next start');
      await audit.append({ type: 'error', ...base, data: { code: 'RECONCILE_FAILED', intent_seq: intent.seq, message: (error as Error).message } });
    }
  }
  return summary;
}
