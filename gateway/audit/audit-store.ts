import type { AuditEvent } from './audit-types.js';

/** Where the chain's head is after opening a store. */
export interface AuditHead {
  /** 0 for an empty log. */
  seq: number;
  hash: string;
}

/** What opening found and repaired (a crash in the middle of a write leaves a torn last line). */
export interface AuditStoreRecovery {
  /** Bytes of an incomplete last record moved aside (kept, never deleted). */
  tornBytes: number;
  /** Where those bytes were kept. */
  tornFile?: string;
}

/** A signed statement that the chain had this head: detects truncation and rewriting. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  time: string;
  /** Which key signed (see CheckpointSigner.keyId). */
  key_id: string;
  /** Base64 Ed25519 signature of checkpointPayload(seq, hash, time). */
  signature: string;
}

/** One stored line as read back: the raw text is kept so verification sees exactly what is stored. */
export interface StoredRecord {
  /** Segment name (e.g. `000000000001.jsonl`). */
  segment: string;
  /** 1-based line number within the segment. */
  line: number;
  text: string;
}

export interface AuditSegmentInfo {
  name: string;
  /** The seq its name says it starts at. */
  firstSeq: number;
  bytes: number;
}

/**
 * Storage of the audit chain. The embedded backend is JSONL segment files; a database backend
 * implements the same interface. `append` resolves only when the records are durable.
 */
export interface AuditStore {
  /** Opens for writing: finds the head, repairs a torn tail. */
  open(): Promise<{ head: AuditHead; recovery: AuditStoreRecovery }>;
  /** Stores events in order (their seq continues the head); durable when resolved. */
  append(events: readonly AuditEvent[]): Promise<void>;
  appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void>;
  checkpoints(): Promise<AuditCheckpoint[]>;
  segments(): Promise<AuditSegmentInfo[]>;
  /** Every stored record in chain order, from the named segment (default the first). */
  records(options?: { fromSegment?: string }): AsyncIterable<StoredRecord>;
  close(): Promise<void>;
}
