import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecretMasker } from '../secrets/index.js';
import { isAuditEventType, type AuditEvent, type AuditEventInput, type AuditLog, type JsonValue } from './audit-types.js';
import type { AuditHead, AuditStore } from './audit-store.js';
import { eventHash, toJsonValue } from './canonical-json.js';
import type { CheckpointSigner } from './checkpoint-signer.js';
import { AuditError } from './errors.js';

export interface ChainedAuditLogOptions {
  store: AuditStore;
  masker: SecretMasker;
  signer: CheckpointSigner;
  /** Sign the head this often (default 60 s); also at open and close. 0: only at open and close. */
  checkpointIntervalMs?: number;
  logger?: Logger;
}

interface Pending {
  event: AuditEvent;
  resolve: (event: AuditEvent) => void;
  reject: (error: Error) => void;
}

/**
 * The audit log: masks each event, chains it to the previous one by SHA-256 and stores it.
 * Appends made while a write is in flight are written and synced together (group commit), so each
 * append still resolves only once its event is on disk. Once a write fails the log refuses every
 * later append (the in-memory chain would no longer match the disk); a restart recovers.
 */
export class ChainedAuditLog implements AuditLog {
  private head: AuditHead;
  private durableHead: AuditHead;
  private lastCheckpointSeq = -1;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private failure: AuditError | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: ChainedAuditLogOptions, head: AuditHead) {
    this.head = head;
    this.durableHead = head;
  }

  static async open(options: ChainedAuditLogOptions): Promise<ChainedAuditLog> {
    const { head, recovery } = await options.store.open();
    const log = new ChainedAuditLog(options, head);
    if (recovery.tornBytes > 0) {
      options.logger?.warn({ torn_bytes: recovery.tornBytes, kept_in: recovery.tornFile }, 'audit log: incomplete last record from a crash moved aside');
      await log.append({ type: 'audit.lifecycle', data: { event: 'torn-tail-recovered', torn_bytes: recovery.tornBytes, kept_in: recovery.tornFile ?? null } });
    }
    await log.checkpoint();
    const interval = options.checkpointIntervalMs ?? 60_000;
    if (interval > 0) {
      log.timer = setInterval(() => {
        log.checkpoint().catch((error: unknown) => options.logger?.error({ err: error }, 'audit checkpoint failed'));
      }, interval);
      log.timer.unref();
    }
    return log;
  }

  /** The last event known durable. */
  get durable(): AuditHead {
    return { ...this.durableHead };
  }

  append(input: AuditEventInput): Promise<AuditEvent> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AuditError('AUDIT_LOG_CLOSED', 'the audit log is closed'));
    if (!isAuditEventType(input.type)) return Promise.reject(new AuditError('AUDIT_EVENT_INVALID', `unknown audit event type ${JSON.stringify(input.type)}`));
    const { masker } = this.options;
    // One pass masks every string and sorts the keys (eventHash then serializes natively).
    const mask = (key: string | undefined, text: string) => masker.maskField(key, text);
    const data = toJsonValue(input.data ?? {}, mask);
    const actor = input.actor === undefined || input.actor === null ? null : (toJsonValue(input.actor, mask) as unknown as AuditEvent['actor']);
    const unsigned: Omit<AuditEvent, 'hash'> = {
      v: 1,
      seq: this.head.seq + 1,
      id: randomUUID(),
      time: input.time ?? new Date().toISOString(),
      type: input.type,
      request_id: input.request_id ?? null,
      actor,
      repository: input.repository === undefined || input.repository === null ? null : masker.maskString(input.repository),
      data: data !== null && typeof data === 'object' && !Array.isArray(data) ? data : { value: data as JsonValue },
      prev_hash: this.head.hash,
    };
    const event: AuditEvent = { ...unsigned, hash: eventHash(unsigned) };
    this.head = { seq: event.seq, hash: event.hash };
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.writing ??= this.writeQueued();
    });
  }

  /** Signs the durable head unless it was signed already. */
  async checkpoint(): Promise<void> {
    await this.flush();
    const { seq, hash } = this.durableHead;
    if (seq === this.lastCheckpointSeq || this.failure !== undefined) return;
    await this.options.store.appendCheckpoint(this.options.signer.sign(seq, hash));
    this.lastCheckpointSeq = seq;
  }

  /** Waits until every append made so far is written. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
    await this.checkpoint();
    this.closed = true;
    await this.options.store.close();
  }

  private async writeQueued(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.options.store.append(batch.map((p) => p.event));
        } catch (error) {
          this.failure = error instanceof AuditError ? error : new AuditError('AUDIT_STORE_FAILED', `cannot write the audit log: ${(error as Error).message}`, { cause: error });
          this.options.logger?.error({ err: this.failure }, 'audit log write failed: refusing further requests until restart');
          for (const pending of [...batch, ...this.queue.splice(0)]) pending.reject(this.failure);
          return;
        }
        const last = batch.at(-1)!.event;
        this.durableHead = { seq: last.seq, hash: last.hash };
        for (const pending of batch) pending.resolve(pending.event);
      }
    } finally {
      this.writing = undefined;
    }
  }
}
