import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Identity } from '../../rego/index.js';
import type { AuditLog, AuditPackStore } from '../audit/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import type { OidcVerifier } from '../identity/oidc-verifier.js';
import type { TokenStore } from '../identity/token-store.js';
import { ApprovalService, type ApprovalEvent, type ApprovalEventListener } from './approval-service.js';
import { ApprovalStore } from './approval-store.js';
import { ApprovalWebhooks } from './approval-webhooks.js';
import { ApprovalsHttpHandler } from './approvals-http-handler.js';
import { BearerApproverAuthenticator, type ApproverAuthenticator } from './approver-authenticator.js';
import { UpstreamQuarantineForwarder } from './quarantine-forwarder.js';

/** The lifecycle events that go to the audit log (the others stay in the request's history). */
const AUDITED = new Set(['approval.requested', 'approval.approved', 'approval.denied', 'approval.expired', 'approval.used', 'approval.cancelled']);
const AUTHENTICATIONS: readonly Identity['authentication'][] = ['oidc', 'token', 'mtls', 'demo'];

export interface ApprovalsRuntime {
  service: ApprovalService;
  /** The REST API; pass it in GatewayDependencies.handlers. */
  handler: ApprovalsHttpHandler;
  /** Asked in order by the REST API; the web UI adds its session authenticator here. */
  authenticators: ApproverAuthenticator[];
  webhooks: ApprovalWebhooks;
  close(): Promise<void>;
}

export interface ApprovalsSetupOptions {
  tokens: TokenStore;
  oidc: readonly OidcVerifier[];
  logger: Logger;
  audit?: AuditLog | undefined;
  /** Where a quarantined push's pack is kept (and its replay pack) when gitgate forwards it. */
  auditPacks?: AuditPackStore | undefined;
  /** The gateway's base URL (known once it listens). */
  publicUrl: () => string;
  /** Told every approval event, from the start (those of pushes a restart quarantines included). */
  onEvent?: ApprovalEventListener | undefined;
}

function auditEvent(audit: AuditLog, event: ApprovalEvent, logger: Logger): void {
  if (!AUDITED.has(event.type)) return;
  const { request, actor } = event;
  const byGateway = actor.authentication === 'gateway';
  const authentication = AUTHENTICATIONS.find((a) => a === actor.authentication) ?? 'oidc';
  audit
    .append({
      type: event.type as 'approval.requested',
      request_id: null,
      actor: byGateway ? null : { subject: actor.subject, issuer: actor.issuer, kind: event.type === 'approval.requested' ? request.pusher.kind : 'human', authentication, groups: event.type === 'approval.requested' ? request.pusher.groups : [] },
      repository: request.repository,
      time: event.at,
      data: {
        approval_id: request.id,
        state: request.state,
        reason: event.reason,
        fingerprint: request.fingerprint,
        refs: request.refs.map((r) => ({ ref: r.ref, old: r.old, new: r.new })),
        requirements: request.requirements.map((q) => ({ group: q.group, count: q.count })),
        actor_authentication: actor.authentication,
        policy_decision_id: request.policy_decision_id,
        approvals: request.approvals.map((a) => ({ approver: a.approver.subject, issuer: a.approver.issuer, group: a.group, at: a.at, reason: a.reason })),
      },
    })
    .catch((error: unknown) => logger.error({ err: error, approval_id: request.id, event: event.type }, 'approval event could not be written to the audit log'));
}

/** The approval service over `<dataDir>/approvals`, its REST API, webhooks and audit events. */
export async function startApprovals(config: GatewayConfig, options: ApprovalsSetupOptions): Promise<ApprovalsRuntime> {
  const logger = options.logger.child({ component: 'approvals' });
  const service = new ApprovalService(
    new ApprovalStore(join(config.dataDir, 'approvals')),
    {
      holdSeconds: config.approvals.holdSeconds,
      expirySeconds: config.approvals.expirySeconds,
      progressIntervalSeconds: config.approvals.progressIntervalSeconds,
      publicUrl: options.publicUrl,
    },
    logger,
  );
  const webhooks = new ApprovalWebhooks(config.approvals.webhooks, logger);
  service.onEvent((event) => webhooks.notify(event));
  if (options.audit !== undefined) {
    const audit = options.audit;
    service.onEvent((event) => auditEvent(audit, event, logger));
  }
  if (options.onEvent !== undefined) service.onEvent(options.onEvent);
  await service.start(config.approvals.autoForward ? new UpstreamQuarantineForwarder(config, options.audit, options.auditPacks, logger) : undefined);
  const authenticators: ApproverAuthenticator[] = [new BearerApproverAuthenticator(options.tokens, options.oidc)];
  const handler = new ApprovalsHttpHandler(service, authenticators, logger);
  return {
    service,
    handler,
    authenticators,
    webhooks,
    close: async () => {
      await service.close();
      await webhooks.close();
    },
  };
}
