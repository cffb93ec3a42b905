import { ConfigError } from './errors.js';

/** Just-in-time approvals (`approvals` in gitgate.yaml); every key optional. */
export interface ApprovalsConfig {
  /** How long a push needing approval stays open waiting for the decision (0: reject at once, quarantine). */
  holdSeconds: number;
  /** How long a request can be decided, and an approved one used. */
  expirySeconds: number;
  /** Seconds between two `remote:` progress lines of a held push. */
  progressIntervalSeconds: number;
  /** Forward a quarantined push as soon as it is approved (false: the pusher pushes the same commits again). */
  autoForward: boolean;
  webhooks: ApprovalWebhookConfig[];
}

export const APPROVAL_WEBHOOK_EVENTS = ['approval.requested', 'approval.approved', 'approval.denied', 'approval.expired', 'approval.used', 'approval.cancelled'] as const;
export type ApprovalWebhookEvent = (typeof APPROVAL_WEBHOOK_EVENTS)[number];

export interface ApprovalWebhookConfig {
  /** The endpoint; may hold a secret (Slack incoming webhooks do): never logged whole. */
  url: string;
  /** json: gitgate's event document; slack: a Slack incoming-webhook body (`text` and `blocks`). */
  format: 'json' | 'slack';
  events: ApprovalWebhookEvent[];
  /** Env var holding an HMAC key: the body is signed in `X-Gitgate-Signature: sha256=<hex>`. */
  secretEnv: string | undefined;
  timeoutSeconds: number;
  /** Further attempts after a failure (with a growing delay). */
  retries: number;
}

export const approvalsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hold_seconds: { type: 'integer', minimum: 0, maximum: 3600 },
    expiry_seconds: { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 },
    progress_interval_seconds: { type: 'integer', minimum: 1, maximum: 60 },
    auto_forward: { type: 'boolean' },
    webhooks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: { type: 'string', pattern: '^https?://[^\\s]+$' },
          format: { enum: ['json', 'slack'] },
          events: { type: 'array', minItems: 1, items: { enum: [...APPROVAL_WEBHOOK_EVENTS] } },
          secret_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          timeout_seconds: { type: 'integer', minimum: 1, maximum: 60 },
          retries: { type: 'integer', minimum: 0, maximum: 10 },
        },
      },
    },
  },
} as const;

export interface RawApprovalsConfig {
  hold_seconds?: number;
  expiry_seconds?: number;
  progress_interval_seconds?: number;
  auto_forward?: boolean;
  webhooks?: { url: string; format?: 'json' | 'slack'; events?: ApprovalWebhookEvent[]; secret_env?: string; timeout_seconds?: number; retries?: number }[];
}

export const DEFAULT_APPROVALS_CONFIG = { holdSeconds: 120, expirySeconds: 24 * 3600, progressIntervalSeconds: 5 } as const;

/** Applies the defaults to the validated `approvals` section. */
export function resolveApprovalsConfig(raw: RawApprovalsConfig | undefined): ApprovalsConfig {
  const holdSeconds = raw?.hold_seconds ?? DEFAULT_APPROVALS_CONFIG.holdSeconds;
  const expirySeconds = raw?.expiry_seconds ?? DEFAULT_APPROVALS_CONFIG.expirySeconds;
  if (expirySeconds <= holdSeconds) {
    throw new ConfigError('CONFIG_INVALID', `invalid gitgate config: approvals.expiry_seconds (${expirySeconds}) must be longer than approvals.hold_seconds (${holdSeconds}): a request would expire while its push is held`);
  }
  return {
    holdSeconds,
    expirySeconds,
    progressIntervalSeconds: raw?.progress_interval_seconds ?? DEFAULT_APPROVALS_CONFIG.progressIntervalSeconds,
    autoForward: raw?.auto_forward ?? true,
    webhooks: (raw?.webhooks ?? []).map((hook) => ({
      url: hook.url,
      format: hook.format ?? 'json',
      events: hook.events ?? [...APPROVAL_WEBHOOK_EVENTS],
      secretEnv: hook.secret_env,
      timeoutSeconds: hook.timeout_seconds ?? 10,
      retries: hook.retries ?? 3,
    })),
  };
}
