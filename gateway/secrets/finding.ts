import { createHmac } from 'node:crypto';
import { SecretsError } from './errors.js';
import type { SecretRuleCategory, SecretRuleSeverity } from './rule-types.js';

/**
 * One secret found in one file. Holds no secret value: only a redacted preview and a keyed hash,
 * so the same secret can be recognised across pushes without being stored.
 */
export interface SecretFinding {
  ruleId: string;
  description: string;
  category: SecretRuleCategory;
  severity: SecretRuleSeverity;
  tags: string[];
  path: string;
  /** 1-based line and column (column in bytes) of the secret's first character. */
  line: number;
  column: number;
  commit?: string;
  /** A few leading characters and the length, e.g. `ghp_… (40 chars)`. */
  preview: string;
  length: number;
  /** `hmac-sha256:<hex>` of the secret with the gateway's fingerprint key. */
  fingerprint: string;
  /** `allowed`: the line carries the inline `gitgate:allow` marker; reported for the audit log. */
  status: 'detected' | 'allowed';
}

/** Leading characters shown: at most 4, and never more than a quarter of the secret. */
export function redactedPreview(secret: string): string {
  const chars = [...secret];
  const shown = Math.min(4, Math.floor(chars.length / 4));
  return `${chars.slice(0, shown).join('')}… (${chars.length} chars)`;
}

/** The key used for fingerprints; at least 16 bytes so fingerprints cannot be brute-forced cheaply. */
export class FingerprintKey {
  private readonly key: Buffer;

  constructor(key: Uint8Array | string) {
    this.key = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
    if (this.key.length < 16) {
      throw new SecretsError('SECRETS_FINGERPRINT_KEY', 'the secret fingerprint key must be at least 16 bytes long');
    }
  }

  fingerprint(secret: Uint8Array | string): string {
    return `hmac-sha256:${createHmac('sha256', this.key).update(secret).digest('hex')}`;
  }
}
