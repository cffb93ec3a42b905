import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ApprovalWebhookConfig, ApprovalWebhookEvent } from '../config/approvals-config.js';
import type { ApprovalEvent } from './approval-service.js';
import type { ApprovalRequest } from './approval-types.js';

/** The JSON document gitgate posts (format `json`). */
export interface ApprovalWebhookPayload {
  event: ApprovalWebhookEvent;
  delivery: string;
  at: string;
  actor: { subject: string; issuer: string };
  reason: string;
  approval: {
    id: string;
    state: ApprovalRequest['state'];
    url: string;
    repository: string;
    pusher: string;
    refs: ApprovalRequest['refs'];
    requirements: ApprovalRequest['requirements'];
    approvers: string[];
    denial?: { by: string; reason: string };
    expires_at: string;
    commits: number;
    files: number;
    findings: number;
  };
}

export function webhookPayload(event: ApprovalEvent, delivery: string): ApprovalWebhookPayload {
  const r = event.request;
  return {
    event: event.type as ApprovalWebhookEvent,
    delivery,
    at: event.at,
    actor: { subject: event.actor.subject, issuer: event.actor.issuer },
    reason: event.reason,
    approval: {
      id: r.id,
      state: r.state,
      url: r.url,
      repository: r.repository,
      pusher: r.pusher.subject,
      refs: r.refs,
      requirements: r.requirements,
      approvers: [...new Set(r.approvals.map((a) => a.approver.subject))],
      ...(r.denial === undefined ? {} : { denial: { by: r.denial.by.subject, reason: r.denial.reason } }),
      expires_at: r.expires_at,
      commits: r.commits.length,
      files: r.files.length,
      findings: r.findings.length,
    },
  };
}

/** Slack's `mrkdwn` needs &, < and > escaped. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook body: `text` (notifications) and `blocks`. */
export function slackBody(payload: ApprovalWebhookPayload): { text: string; blocks: unknown[] } {
  const a = payload.approval;
  const verb = payload.event.slice('approval.'.length);
  const refs = a.refs.map((r) => `${r.ref} ${r.old.slice(0, 12)}..${r.new.slice(0, 12)}`).join(', ');
  const who = payload.actor.subject === 'gitgate' ? '' : ` by ${payload.actor.subject}`;
  const text = `gitgate approval ${a.id} ${verb}${who}: ${a.pusher} pushing to ${a.repository} (${refs})`;
  const lines = [
    `*<${a.url}|${slackEscape(a.id)}>* ${slackEscape(verb)}${slackEscape(who)}`,
    `*Repository:* ${slackEscape(a.repository)}   *Pusher:* ${slackEscape(a.pusher)}`,
    `*Refs:* ${slackEscape(refs)}`,
    `*Needs:* ${slackEscape(a.requirements.map((q) => `${q.count} of ${q.group}`).join(', '))}`,
    ...(payload.reason === '' ? [] : [`*Reason:* ${slackEscape(payload.reason)}`]),
  ];
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }] };
}

type Fetch = typeof fetch;

/**
 * Posts approval events to the configured webhooks in the background: never blocks or fails a
 * push or a decision. Each delivery is retried with a growing delay (1 s, 2 s, 4 s, ...); failures
 * are logged with the endpoint's host only (Slack webhook URLs are secrets).
 */
export class ApprovalWebhooks {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly hooks: readonly ApprovalWebhookConfig[],
    private readonly logger: Logger,
    private readonly fetchImpl: Fetch = fetch,
    private readonly baseDelayMs = 1000,
  ) {}

  notify(event: ApprovalEvent): void {
    if (this.closed) return;
    for (const hook of this.hooks) {
      if (!(hook.events as readonly string[]).includes(event.type)) continue;
      const task = this.deliver(hook, event).catch((error: unknown) => this.logger.warn({ err: error }, 'webhook delivery crashed'));
      const tracked = task.finally(() => this.inFlight.delete(tracked));
      this.inFlight.add(tracked);
    }
  }

  /** Stops new deliveries and waits up to `waitMs` for those in flight. */
  async close(waitMs = 5000): Promise<void> {
    this.closed = true;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }

  private async deliver(hook: ApprovalWebhookConfig, event: ApprovalEvent): Promise<void> {
    const delivery = randomUUID();
    const payload = webhookPayload(event, delivery);
    const body = JSON.stringify(hook.format === 'slack' ? slackBody(payload) : payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'gitgate-webhooks',
      'x-gitgate-event': event.type,
      'x-gitgate-delivery': delivery,
    };
    if (hook.secretEnv !== undefined) {
      const key = process.env[hook.secretEnv];
      if (key === undefined || key === '') {
        this.logger.warn({ secret_env: hook.secretEnv, host: hostOf(hook.url) }, 'webhook not sent: its signing key variable is not set');
        return;
      }
      headers['x-gitgate-signature'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    }
    for (let attempt = 0; attempt <= hook.retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.baseDelayMs * 2 ** (attempt - 1)));
      let problem: string;
      try {
        const response = await this.fetchImpl(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(hook.timeoutSeconds * 1000) });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.logger.info({ host: hostOf(hook.url), event: event.type, approval_id: event.request.id, attempt: attempt + 1 }, 'webhook delivered');
          return;
        }
        problem = `HTTP ${response.status}`;
      } catch (error) {
        problem = (error as Error).name === 'TimeoutError' ? 'timed out' : ((error as NodeJS.ErrnoException).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as Error).message;
      }
      this.logger.warn({ host: hostOf(hook.url), event: event.type, approval_id: event.request.id, attempt: attempt + 1, problem }, 'webhook delivery failed');
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}
