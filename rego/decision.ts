import type { ApprovalRequirement, Decision, DenyReason, PolicyWarning } from './schema/types.js';

/**
 * Turns what a policy entry point returned into a Decision, failing closed: anything malformed
 * becomes a denial naming what was wrong, and a result that neither allows nor says why is denied.
 */
export function normalizeDecision(raw: unknown, entrypoint: string): Decision {
  const deny: DenyReason[] = [];
  const approvals: ApprovalRequirement[] = [];
  const warnings: PolicyWarning[] = [];
  const malformed = (what: string): void => {
    deny.push({ code: 'POLICY_RESULT_INVALID', message: `the policy ${entrypoint} returned ${what}; ask the policy owners to fix it` });
  };

  if (raw === undefined) {
    return denial('POLICY_NO_DECISION', `the policy ${entrypoint} produced no decision for this request`);
  }
  if (!isRecord(raw)) {
    return denial('POLICY_RESULT_INVALID', `the policy ${entrypoint} returned ${JSON.stringify(raw)?.slice(0, 80)}, not an object`);
  }
  for (const entry of listOf(raw['deny'], 'deny', malformed)) {
    if (isRecord(entry) && isText(entry['code']) && isText(entry['message']) && optionalText(entry['ref'])) {
      deny.push(withRef({ code: entry['code'], message: entry['message'] }, entry['ref']));
    } else malformed(`a deny entry without a string code and message: ${preview(entry)}`);
  }
  for (const entry of listOf(raw['approvals'], 'approvals', malformed)) {
    const count = isRecord(entry) ? (entry['count'] ?? 1) : undefined;
    if (
      isRecord(entry) && isText(entry['group']) && isText(entry['reason']) && optionalText(entry['ref']) &&
      typeof count === 'number' && Number.isInteger(count) && count >= 1
    ) {
      approvals.push(withRef({ group: entry['group'], count, reason: entry['reason'] }, entry['ref']));
    } else malformed(`an approvals entry without a string group and reason and a positive count: ${preview(entry)}`);
  }
  for (const entry of listOf(raw['warnings'], 'warnings', malformed)) {
    if (isRecord(entry) && isText(entry['code']) && isText(entry['message']) && optionalText(entry['ref'])) {
      warnings.push(withRef({ code: entry['code'], message: entry['message'] }, entry['ref']));
    } else malformed(`a warnings entry without a string code and message: ${preview(entry)}`);
  }
  const policyAllows = raw['allow'] === true;
  if (raw['allow'] !== undefined && typeof raw['allow'] !== 'boolean') malformed(`allow = ${preview(raw['allow'])}, not a boolean`);
  if (!policyAllows && deny.length === 0 && approvals.length === 0) {
    deny.push({ code: 'POLICY_NOT_ALLOWED', message: `no rule of ${entrypoint} allowed this request` });
  }
  deny.sort(byRefThen((d) => `${d.code}\0${d.message}`));
  approvals.sort(byRefThen((a) => `${a.group}\0${a.reason}`));
  warnings.sort(byRefThen((w) => `${w.code}\0${w.message}`));
  return { allow: deny.length === 0 && approvals.length === 0, deny, approvals, warnings };
}

/** A fail-closed denial with one reason. */
export function denial(code: string, message: string): Decision {
  return { allow: false, deny: [{ code, message }], approvals: [], warnings: [] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function optionalText(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function withRef<T extends object>(value: T, ref: unknown): T & { ref?: string } {
  return typeof ref === 'string' ? { ...value, ref } : value;
}

function listOf(value: unknown, name: string, malformed: (what: string) => void): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  malformed(`${name} = ${preview(value)}, not a set or array`);
  return [];
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function byRefThen<T extends { ref?: string }>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const left = `${a.ref ?? ''}\0${key(a)}`;
    const right = `${b.ref ?? ''}\0${key(b)}`;
    return left < right ? -1 : left > right ? 1 : 0;
  };
}
