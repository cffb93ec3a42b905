import type { KeyObject } from 'node:crypto';
import type { AuditEvent, AuditEventFilter } from './audit-types.js';
import type { AuditStore } from './audit-store.js';
import { verifyAuditChain, type ChainVerification } from './verify-chain.js';

/** Every readable event in chain order (unreadable lines are skipped here; `verify` reports them). */
export async function* auditEvents(store: AuditStore): AsyncIterable<AuditEvent> {
  for await (const record of store.records()) {
    try {
      yield JSON.parse(record.text) as AuditEvent;
    } catch {
      // reported by verifyAuditChain
    }
  }
}

function timeOf(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${String(value)} (use ISO 8601, e.g. 2026-11-24T09:00:00Z)`);
  return ms;
}

/** What a policy decision event decided: allow, deny, or approval (needs one). */
export function decisionOutcome(event: AuditEvent): 'allow' | 'deny' | 'approval' | undefined {
  if (event.type !== 'policy.decision') return undefined;
  const result = event.data['result'] as { allow?: boolean; deny?: unknown[]; approvals?: unknown[] } | undefined;
  if (result?.allow === true) return 'allow';
  if ((result?.deny?.length ?? 0) === 0 && (result?.approvals?.length ?? 0) > 0) return 'approval';
  return 'deny';
}

/**
 * Events matching the filter (for `gitgate audit list` and the web UI's timeline). With a
 * `decision` filter, the events of requests whose policy decision had that outcome.
 */
export async function listAuditEvents(store: AuditStore, filter: AuditEventFilter = {}): Promise<AuditEvent[]> {
  const since = timeOf(filter.since);
  const until = timeOf(filter.until);
  const matches = (event: AuditEvent): boolean => {
    if (filter.repository !== undefined && event.repository !== filter.repository) return false;
    if (filter.identity !== undefined && event.actor?.subject !== filter.identity) return false;
    if (filter.type !== undefined && event.type !== filter.type) return false;
    if (filter.requestId !== undefined && event.request_id !== filter.requestId) return false;
    const time = Date.parse(event.time);
    if (since !== undefined && time < since) return false;
    if (until !== undefined && time > until) return false;
    return true;
  };
  const selected: AuditEvent[] = [];
  const requestsWithDecision = new Set<string>();
  for await (const event of auditEvents(store)) {
    if (!matches(event)) continue;
    if (filter.decision !== undefined) {
      if (decisionOutcome(event) === filter.decision && event.request_id !== null) requestsWithDecision.add(event.request_id);
    }
    selected.push(event);
  }
  let result = filter.decision === undefined ? selected : selected.filter((e) => e.request_id !== null && requestsWithDecision.has(e.request_id));
  if (filter.newestFirst === true) result = result.reverse();
  return filter.limit === undefined ? result : result.slice(0, filter.limit);
}

/** Every event of one request, in order (a request's page). */
export function requestEvents(store: AuditStore, requestId: string): Promise<AuditEvent[]> {
  return listAuditEvents(store, { requestId });
}

/** One line per request for a timeline: who, what, the decision, the outcome. */
export interface AuditRequestSummary {
  request_id: string;
  time: string;
  actor: string | null;
  repository: string | null;
  kind: 'push' | 'fetch' | 'api' | 'other';
  decision: 'allow' | 'deny' | 'approval' | null;
  landed: string[] | null;
  /** Set while the forward's outcome is unknown: the upstream failed before answering, and has not been asked since. */
  outcome_unknown?: true;
  events: number;
}

export async function summarizeRequests(store: AuditStore, filter: AuditEventFilter = {}): Promise<AuditRequestSummary[]> {
  const { newestFirst, limit, ...rest } = filter;
  const events = await listAuditEvents(store, rest);
  const byRequest = new Map<string, AuditRequestSummary>();
  for (const event of events) {
    if (event.request_id === null) continue;
    let summary = byRequest.get(event.request_id);
    if (summary === undefined) {
      summary = { request_id: event.request_id, time: event.time, actor: null, repository: null, kind: 'other', decision: null, landed: null, events: 0 };
      byRequest.set(event.request_id, summary);
    }
    summary.events += 1;
    summary.actor ??= event.actor?.subject ?? null;
    summary.repository ??= event.repository;
    if (event.type === 'policy.decision') {
      summary.decision = decisionOutcome(event) ?? null;
      const kind = event.data['kind'];
      if (kind === 'push' || kind === 'fetch' || kind === 'api') summary.kind = kind;
    }
    if (event.type === 'api.call') summary.kind = 'api';
    // A later result (an unknown outcome checked) replaces an earlier one.
    if (event.type === 'upstream.result') {
      const unknown = event.data['landed'] === null;
      summary.landed = unknown ? null : ((event.data['landed'] as string[] | undefined) ?? []);
      if (unknown) summary.outcome_unknown = true;
      else delete summary.outcome_unknown;
    }
  }
  let result = [...byRequest.values()];
  if (newestFirst === true) result = result.reverse();
  return limit === undefined ? result : result.slice(0, limit);
}

/** The chain's verification status (for the UI's badge and `gitgate audit verify`). */
export function verificationStatus(store: AuditStore, publicKey: KeyObject): Promise<ChainVerification> {
  return verifyAuditChain(store, publicKey);
}
