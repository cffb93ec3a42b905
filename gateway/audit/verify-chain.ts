import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, isAuditEventType, type AuditEvent } from './audit-types.js';
import type { AuditCheckpoint, AuditStore } from './audit-store.js';
import { eventHash } from './canonical-json.js';
import { checkpointSignatureValid } from './checkpoint-signer.js';
import { segmentName } from './jsonl-segment-store.js';

export type ChainProblemCode =
  | 'EVENT_UNREADABLE'
  | 'EVENT_ALTERED'
  | 'EVENT_MISSING'
  | 'EVENT_OUT_OF_ORDER'
  | 'CHAIN_BROKEN'
  | 'SEGMENT_RENAMED'
  | 'TAIL_TRUNCATED'
  | 'CHECKPOINT_MISMATCH'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_MISSING';

export interface ChainProblem {
  code: ChainProblemCode;
  /** The seq of the event concerned (the one expected at that place for a deletion). */
  seq: number | null;
  eventId: string | null;
  segment: string | null;
  line: number | null;
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  segments: number;
  firstSeq: number | null;
  lastSeq: number;
  lastHash: string;
  checkpoints: number;
  /** The highest seq covered by a valid signature. */
  signedThrough: number;
  /** Events after the last signed checkpoint (written since; normal after a crash). */
  unsignedTail: number;
  /** In chain order; the first is the first bad event. At most 50. */
  problems: ChainProblem[];
}

const MAX_PROBLEMS = 50;

/**
 * Checks the whole chain (or from one segment on): every record parses, seqs run without gaps
 * or reordering, each prev_hash is the previous hash, each hash matches the content, and every
 * signed checkpoint has a valid signature and matches the event it names (a checkpoint past the
 * end shows a truncated tail; a chain rewritten without the key cannot match its checkpoints).
 */
export async function verifyAuditChain(store: AuditStore, publicKey: KeyObject, options: { fromSegment?: string } = {}): Promise<ChainVerification> {
  const problems: ChainProblem[] = [];
  const report = (problem: ChainProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const checkpoints = await store.checkpoints();
  const segmentInfos = await store.segments();
  const bySeq = new Map<number, AuditCheckpoint[]>();
  let signedThrough = 0;
  let validCheckpoints = 0;
  for (const checkpoint of checkpoints) {
    if (!checkpointSignatureValid(checkpoint, publicKey)) {
      report({ code: 'CHECKPOINT_SIGNATURE_INVALID', seq: checkpoint.seq, eventId: null, segment: null, line: null, message: `the checkpoint of ${checkpoint.time} for event ${checkpoint.seq} has no valid signature by this public key (key ${checkpoint.key_id})` });
      continue;
    }
    validCheckpoints += 1;
    bySeq.set(checkpoint.seq, [...(bySeq.get(checkpoint.seq) ?? []), checkpoint]);
  }
  const matchCheckpoints = (seq: number, hash: string, where: Omit<ChainProblem, 'code' | 'message'>) => {
    for (const checkpoint of bySeq.get(seq) ?? []) {
      if (checkpoint.hash !== hash) report({ code: 'CHECKPOINT_MISMATCH', ...where, message: `event ${seq} differs from what the checkpoint of ${checkpoint.time} signed: the chain was rewritten up to here` });
      else signedThrough = Math.max(signedThrough, seq);
    }
  };
  const fromStart = options.fromSegment === undefined || segmentInfos[0]?.name === options.fromSegment;
  if (fromStart) matchCheckpoints(0, GENESIS_HASH, { seq: 0, eventId: null, segment: null, line: null });

  let previous: { seq: number; hash: string } | undefined = fromStart ? { seq: 0, hash: GENESIS_HASH } : undefined;
  let firstSeq: number | null = null;
  let events = 0;
  let currentSegment = '';
  for await (const record of store.records(options)) {
    const where = { segment: record.segment, line: record.line };
    const expectedSeq = (previous?.seq ?? 0) + 1;
    let event: AuditEvent;
    try {
      event = JSON.parse(record.text) as AuditEvent;
      if (typeof event !== 'object' || event === null || typeof event.seq !== 'number' || typeof event.hash !== 'string' || !isAuditEventType(event.type)) throw new Error('not an audit event');
    } catch (error) {
      report({ code: 'EVENT_UNREADABLE', seq: previous === undefined ? null : expectedSeq, eventId: null, ...where, message: `${record.segment} line ${record.line} is not a whole audit event (${(error as Error).message}): edited, or a truncated tail` });
      continue;
    }
    events += 1;
    firstSeq ??= event.seq;
    const at = { seq: event.seq, eventId: event.id ?? null, ...where };
    if (record.segment !== currentSegment) {
      currentSegment = record.segment;
      if (record.segment !== segmentName(event.seq)) report({ code: 'SEGMENT_RENAMED', ...at, message: `segment ${record.segment} starts with event ${event.seq}; it should be named ${segmentName(event.seq)}` });
    }
    if (eventHash(event) !== event.hash) report({ code: 'EVENT_ALTERED', ...at, message: `event ${event.seq} (${event.id}, ${event.type}) was altered: its content does not match its hash` });
    if (previous !== undefined) {
      if (event.seq > expectedSeq) report({ code: 'EVENT_MISSING', ...at, seq: expectedSeq, message: `event${event.seq - expectedSeq > 1 ? `s ${expectedSeq}-${event.seq - 1}` : ` ${expectedSeq}`} missing before event ${event.seq} (${event.id}): deleted` });
      else if (event.seq < expectedSeq) report({ code: 'EVENT_OUT_OF_ORDER', ...at, message: `event ${event.seq} (${event.id}) comes after event ${previous.seq}: the log was reordered` });
      else if (event.prev_hash !== previous.hash) report({ code: 'CHAIN_BROKEN', ...at, message: `event ${event.seq} (${event.id}) does not follow event ${previous.seq}: its prev_hash is not that event's hash` });
    }
    matchCheckpoints(event.seq, event.hash, at);
    previous = { seq: event.seq, hash: event.hash };
  }
  const lastSeq = previous?.seq ?? 0;
  const lastHash = previous?.hash ?? GENESIS_HASH;
  const highestCheckpoint = Math.max(-1, ...bySeq.keys());
  if (highestCheckpoint > lastSeq) {
    report({ code: 'TAIL_TRUNCATED', seq: lastSeq + 1, eventId: null, segment: null, line: null, message: `a checkpoint signs event ${highestCheckpoint} but the log ends at event ${lastSeq}: events ${lastSeq + 1}-${highestCheckpoint} were removed` });
  }
  if (validCheckpoints === 0) {
    report({ code: 'CHECKPOINT_MISSING', seq: null, eventId: null, segment: null, line: null, message: 'no validly signed checkpoint: the log cannot be proved against rewriting or truncation (checkpoints.jsonl deleted, or signed by another key)' });
  }
  problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  return {
    ok: problems.length === 0,
    events,
    segments: options.fromSegment === undefined ? segmentInfos.length : segmentInfos.length - segmentInfos.findIndex((s) => s.name === options.fromSegment),
    firstSeq,
    lastSeq,
    lastHash,
    checkpoints: validCheckpoints,
    signedThrough,
    unsignedTail: lastSeq - signedThrough,
    problems,
  };
}
