import type { Identity } from '../../rego/index.js';

/**
 * The public API of the audit log: what other parts of the gateway (git routes, approvals, the
 * GitHub API proxy, the web UI) append and read. Keep it small and stable.
 */

/** Every kind of event the log records. */
export const AUDIT_EVENT_TYPES = [
  'request.received',
  'authentication',
  'policy.decision',
  'approval.requested',
  'approval.approved',
  'approval.denied',
  'approval.expired',
  'approval.used',
  'approval.cancelled',
  /** Intent: written and synced to disk before a push is forwarded upstream. */
  'upstream.forward',
  /** Outcome of a forward (status, bytes, ref results); also written by restart reconciliation. */
  'upstream.result',
  'fetch.served',
  'api.call',
  'error',
  /** Written by the gateway itself: start, stop, recovery of a torn tail. */
  'audit.lifecycle',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === 'string' && (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}

/** Who did it: the authenticated identity (no credential), or null before authentication. */
export interface AuditActor {
  subject: string;
  issuer: string;
  kind: Identity['kind'];
  authentication: Identity['authentication'];
  groups: string[];
}

export function auditActorOf(identity: Identity): AuditActor {
  return { subject: identity.subject, issuer: identity.issuer, kind: identity.kind, authentication: identity.authentication, groups: [...identity.groups] };
}

/** A JSON value (what `data` may hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a caller appends; the log adds id, time (when absent), seq and the hashes. */
export interface AuditEventInput {
  type: AuditEventType;
  /** The gateway request this event belongs to (RequestInfo.id), null for none. */
  request_id?: string | null;
  actor?: AuditActor | null;
  /** `owner/name` */
  repository?: string | null;
  /** Event-specific details; every string in it is masked before it is written. */
  data?: Record<string, unknown>;
  /** ISO 8601; now by default. */
  time?: string;
}

/** One event as stored: hash = sha256 of the canonical JSON of every other field (prev_hash included). */
export interface AuditEvent {
  /** Format version of the record. */
  v: 1;
  /** Position in the chain, from 1, without gaps. */
  seq: number;
  id: string;
  time: string;
  type: AuditEventType;
  request_id: string | null;
  actor: AuditActor | null;
  repository: string | null;
  data: { [key: string]: JsonValue };
  /** `sha256:<hex>` of the previous event; GENESIS_HASH for the first. */
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

/** The audit log as the gateway uses it. */
export interface AuditLog {
  /**
   * Masks, chains and stores the event. Resolves once it is durable (synced to disk with the
   * default durability); rejects when it cannot be stored, and the caller must then fail closed.
   */
  append(event: AuditEventInput): Promise<AuditEvent>;
}

/** Filters of `listAuditEvents` (and of `gitgate audit list`); all optional, combined with AND. */
export interface AuditEventFilter {
  repository?: string;
  /** Actor subject. */
  identity?: string;
  /** 'allow' | 'deny' | 'approval': policy decisions with that result, and the requests they belong to. */
  decision?: 'allow' | 'deny' | 'approval';
  type?: AuditEventType;
  requestId?: string;
  /** ISO time or Date: events at or after it. */
  since?: string | Date;
  until?: string | Date;
  /** Newest first when true (for a timeline). */
  newestFirst?: boolean;
  limit?: number;
}
