import type { Logger } from 'pino';
import type { DecisionRecord, Identity } from '../../rego/index.js';
import { auditActorOf, type AuditActor, type AuditEventInput, type AuditEventType, type AuditLog } from './audit-types.js';
import { AuditError } from './errors.js';

/**
 * The events of one gateway request. `note` appends without waiting (the chain keeps the order and
 * a later `record` waits for it too, since a batch is durable only with everything before it);
 * `record` waits until the event is on disk and throws AuditError when it cannot be stored, so the
 * request can be refused (fail closed). Without an audit log (unit tests of the server) both do nothing.
 */
export class RequestAuditTrail {
  private actor: AuditActor | null = null;
  private repository: string | null = null;
  private failure: unknown;

  constructor(
    private readonly audit: AuditLog | undefined,
    readonly requestId: string,
    private readonly logger?: Logger,
  ) {}

  identify(identity: Identity): void {
    this.actor = auditActorOf(identity);
  }

  setRepository(name: string): void {
    this.repository = name;
  }

  note(type: AuditEventType, data: Record<string, unknown>): void {
    if (this.audit === undefined) return;
    this.audit.append(this.event(type, data)).catch((error: unknown) => {
      this.failure ??= error;
      this.logger?.error({ err: error, type }, 'audit event not recorded');
    });
  }

  async record(type: AuditEventType, data: Record<string, unknown>): Promise<void> {
    if (this.audit === undefined) return;
    if (this.failure !== undefined) throw asAuditError(this.failure);
    try {
      await this.audit.append(this.event(type, data));
    } catch (error) {
      throw asAuditError(error);
    }
    // An earlier note that failed meanwhile: this request's record is incomplete.
    if (this.failure !== undefined) throw asAuditError(this.failure);
  }

  private event(type: AuditEventType, data: Record<string, unknown>): AuditEventInput {
    return { type, request_id: this.requestId, actor: this.actor, repository: this.repository, data };
  }
}

function asAuditError(error: unknown): AuditError {
  return error instanceof AuditError ? error : new AuditError('AUDIT_STORE_FAILED', `the audit log failed: ${(error as Error).message}`, { cause: error });
}

/**
 * A decision as OPA writes it to its decision log (decision_id, path, input, result, bundle
 * revision, metrics, timestamp), with gitgate's extras; the input is masked when appended.
 */
export function decisionLogEntry(decision: DecisionRecord, input: unknown): Record<string, unknown> {
  return {
    decision_id: decision.decision_id,
    timestamp: decision.timestamp,
    path: decision.path,
    kind: decision.kind,
    bundles: { gitgate: { revision: decision.bundle.revision } },
    input,
    input_digest: decision.input_digest,
    result: decision.result,
    ...(decision.error === undefined ? {} : { error: decision.error }),
    metrics: decision.metrics,
  };
}
