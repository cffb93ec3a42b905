import t from 'tap';
import { resolveConfig } from './load-config.js';

t.test('approvals: defaults, values, and errors that name the key', async (t) => {
  const defaults = resolveConfig({}, '/base', undefined).approvals;
  t.same(defaults, { holdSeconds: 120, expirySeconds: 86400, progressIntervalSeconds: 5, autoForward: true, webhooks: [] });
  const set = resolveConfig(
    { approvals: { hold_seconds: 0, expiry_seconds: 60, auto_forward: false, webhooks: [{ url: 'https://hooks.example/x', format: 'slack', secret_env: 'KEY' }] } },
    '/base',
    undefined,
  ).approvals;
  t.equal(set.holdSeconds, 0);
  t.equal(set.autoForward, false);
  t.same(set.webhooks[0], { url: 'https://hooks.example/x', format: 'slack', events: ['approval.requested', 'approval.approved', 'approval.denied', 'approval.expired', 'approval.used', 'approval.cancelled'], secretEnv: 'KEY', timeoutSeconds: 10, retries: 3 });
  t.throws(() => resolveConfig({ approvals: { hold_seconds: 5000 } }, '/base', undefined), { code: 'CONFIG_INVALID', message: /approvals\.hold_seconds: must be <= 3600/ });
  t.throws(() => resolveConfig({ approvals: { hold: 5 } }, '/base', undefined), { message: /approvals\.hold: unknown key/ });
  t.throws(() => resolveConfig({ approvals: { hold_seconds: 60, expiry_seconds: 30 } }, '/base', undefined), { code: 'CONFIG_INVALID', message: /approvals\.expiry_seconds \(30\) must be longer than approvals\.hold_seconds \(60\)/ });
  t.throws(() => resolveConfig({ approvals: { webhooks: [{ url: 'ftp://x' }] } }, '/base', undefined), { message: /approvals\.webhooks\[0\]\.url: must match pattern/ });
  t.throws(() => resolveConfig({ approvals: { webhooks: [{ url: 'https://x', events: ['approval.nope'] }] } }, '/base', undefined), { message: /approvals\.webhooks\[0\]\.events\[0\]: must be one of approval\.requested/ });
});
