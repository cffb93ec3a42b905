import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent, AuditEventInput, AuditLog } from '../audit/index.js';

/** How a push ended at the gateway (`result` of `gitgate_push_decisions_total`). */
export type PushResult = 'allowed' | 'denied' | 'approval' | 'invalid' | 'busy';

/** The stages of a push the gateway times (`stage` of `gitgate_push_stage_seconds`). */
export type PushStage = 'receive' | 'inspect' | 'policy' | 'forward';

/**
 * The gateway's Prometheus metrics, in a registry of its own (one per gateway, so that several
 * can run in one process). Labels hold only bounded values: services, phases, HTTP statuses,
 * error and policy codes, upstream names from the config; never repository names, subjects or
 * anything a client chooses.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly gitRequests: Counter<'service' | 'phase' | 'status'>;
  private readonly pushDecisions: Counter<'result'>;
  /** Denial codes, and for invalid pushes the error code. */
  private readonly pushDenials: Counter<'code'>;
  private readonly pushStages: Histogram<'stage'>;
  private readonly pushedBytes: Counter;
  private readonly fetchDecisions: Counter<'result'>;
  private readonly servedBytes: Counter<'service'>;
  private readonly upstreamErrors: Counter<'upstream' | 'code'>;
  private readonly auditAppends: Counter<'result'>;
  private readonly apiCalls: Counter<'method' | 'decision' | 'status'>;
  private readonly apiRefusals: Counter<'code'>;
  private readonly approvalEvents: Counter<'event'>;
  /** Made when a certificate is first served: a gateway without TLS has no such series. */
  private tlsNotAfter: Gauge | undefined;
  private readonly tlsReloads: Counter<'result'>;
  /** Whether the last audit append failed (no success since): the readiness check reports it. */
  private auditFailing = false;

  constructor(state: { requestsInFlight: () => number; draining: () => boolean; pushes?: () => { admitted: number; queued: number } }) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.gitRequests = new Counter({ name: 'gitgate_git_requests_total', help: 'Git smart-HTTP requests answered, by service, phase and HTTP status.', labelNames: ['service', 'phase', 'status'], registers });
    this.pushDecisions = new Counter({
      name: 'gitgate_push_decisions_total',
      help: 'Pushes by what the gate decided: allowed (to be forwarded), denied (by policy), approval (held or quarantined), invalid (a request or pack that could not be read), busy (no turn within limits.push_queue_seconds).',
      labelNames: ['result'],
      registers,
    });
    this.pushDenials = new Counter({ name: 'gitgate_push_denials_total', help: 'Reasons of denied and invalid pushes, by code (a denied push may have several).', labelNames: ['code'], registers });
    this.pushStages = new Histogram({
      name: 'gitgate_push_stage_seconds',
      help: "Time a push spent in each stage: receiving and decoding its pack, inspecting, the policy, and forwarding (the upstream's work included).",
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.pushedBytes = new Counter({ name: 'gitgate_pushed_pack_bytes_total', help: 'Bytes of the packs pushed through the gateway (allowed or not).', registers });
    this.fetchDecisions = new Counter({ name: 'gitgate_fetch_decisions_total', help: 'Fetch policy decisions (ref advertisements and upload-packs), by result.', labelNames: ['result'], registers });
    this.servedBytes = new Counter({ name: 'gitgate_served_bytes_total', help: "Bytes of upstream answers relayed to clients, by service.", labelNames: ['service'], registers });
    this.upstreamErrors = new Counter({ name: 'gitgate_upstream_errors_total', help: 'Upstream failures seen by git requests, by configured upstream and error code.', labelNames: ['upstream', 'code'], registers });
    this.auditAppends = new Counter({ name: 'gitgate_audit_appends_total', help: 'Audit log appends, by result (a failure refuses the request it belongs to).', labelNames: ['result'], registers });
    this.apiCalls = new Counter({
      name: 'gitgate_api_calls_total',
      help: 'GitHub REST API calls through the gateway, by method, policy decision (none when refused before it) and HTTP status.',
      labelNames: ['method', 'decision', 'status'],
      registers,
    });
    this.apiRefusals = new Counter({ name: 'gitgate_api_refusals_total', help: "Why API calls were refused: the policy's deny codes and gitgate's error codes.", labelNames: ['code'], registers });
    this.approvalEvents = new Counter({ name: 'gitgate_approval_events_total', help: 'Approval request events: requested, approved, denied, expired, quarantined, forwarded, ...', labelNames: ['event'], registers });
    this.tlsReloads = new Counter({ name: 'gitgate_tls_certificate_reloads_total', help: 'TLS certificate reloads (its files changed, or SIGHUP), by result: ok or failed (the previous one is still served).', labelNames: ['result'], registers });
    new Gauge({
      name: 'gitgate_requests_in_flight',
      help: 'Requests being handled now (git, API, approvals, web).',
      registers,
      collect() {
        this.set(state.requestsInFlight());
      },
    });
    new Gauge({
      name: 'gitgate_pushes_admitted',
      help: 'Pushes being received, decided or forwarded now (at most limits.concurrent_pushes; a push held for approval is not counted).',
      registers,
      collect() {
        this.set(state.pushes?.().admitted ?? 0);
      },
    });
    new Gauge({
      name: 'gitgate_pushes_queued',
      help: 'Pushes waiting for their turn to be received (limits.concurrent_pushes reached).',
      registers,
      collect() {
        this.set(state.pushes?.().queued ?? 0);
      },
    });
    new Gauge({
      name: 'gitgate_draining',
      help: '1 while the gateway shuts down (finishing the requests in flight), else 0.',
      registers,
      collect() {
        this.set(state.draining() ? 1 : 0);
      },
    });
  }

  /** `status`: the HTTP status sent, or 'cut' when the connection closed before the answer ended. */
  gitRequest(service: string, phase: string, status: string): void {
    this.gitRequests.inc({ service, phase, status });
  }

  push(result: PushResult, denialCodes: readonly string[] = []): void {
    this.pushDecisions.inc({ result });
    for (const code of denialCodes) this.pushDenials.inc({ code });
  }

  pushStage(stage: PushStage, ms: number | undefined): void {
    if (ms !== undefined) this.pushStages.observe({ stage }, ms / 1000);
  }

  pushedPack(bytes: number): void {
    this.pushedBytes.inc(bytes);
  }

  fetchDecision(allowed: boolean): void {
    this.fetchDecisions.inc({ result: allowed ? 'allowed' : 'denied' });
  }

  served(service: string, bytes: number): void {
    this.servedBytes.inc({ service }, bytes);
  }

  upstreamError(upstream: string, code: string): void {
    this.upstreamErrors.inc({ upstream, code });
  }

  /** `decision`: none, allow, deny or approval; `codes`: deny codes, or gitgate's error code. */
  apiCall(method: string, decision: string, status: number, codes: readonly string[]): void {
    this.apiCalls.inc({ method, decision, status: String(status) });
    for (const code of codes) this.apiRefusals.inc({ code });
  }

  /** `type` as the approval service names it (`approval.approved`): counted without the prefix. */
  approvalEvent(type: string): void {
    this.approvalEvents.inc({ event: type.replace(/^approval\./, '') });
  }

  tlsCertificate(notAfter: Date): void {
    this.tlsNotAfter ??= new Gauge({
      name: 'gitgate_tls_certificate_not_after_timestamp_seconds',
      help: 'When the TLS certificate being served expires, in Unix seconds (alert before it does).',
      registers: [this.registry],
    });
    this.tlsNotAfter.set(Math.floor(notAfter.getTime() / 1000));
  }

  tlsReload(result: 'ok' | 'failed'): void {
    this.tlsReloads.inc({ result });
  }

  /** True when the last audit append failed: requests are being refused until one succeeds. */
  get auditLogFailing(): boolean {
    return this.auditFailing;
  }

  /** The audit log, counting its appends (and remembering whether the last one failed). */
  observeAuditLog(log: AuditLog): AuditLog {
    return {
      append: async (event: AuditEventInput): Promise<AuditEvent> => {
        try {
          const stored = await log.append(event);
          this.auditFailing = false;
          this.auditAppends.inc({ result: 'ok' });
          return stored;
        } catch (error) {
          this.auditFailing = true;
          this.auditAppends.inc({ result: 'failed' });
          throw error;
        }
      },
    };
  }
}
