import t from 'tap';
import { normalizeDecision } from './decision.js';
import { validateContractDocument } from './schema/validator.js';

const ep = 'gitgate/push';

t.test('allow only when the policy allows and nothing denies or waits', async (t) => {
  t.same(normalizeDecision({ allow: true, deny: [], approvals: [], warnings: [] }, ep), { allow: true, deny: [], approvals: [], warnings: [] });
  const contradictory = normalizeDecision({ allow: true, deny: [{ code: 'X', message: 'no' }] }, ep);
  t.equal(contradictory.allow, false, 'a deny entry wins over allow = true');
  const waiting = normalizeDecision({ allow: false, approvals: [{ group: 'g', reason: 'r' }] }, ep);
  t.same(waiting, { allow: false, deny: [], approvals: [{ group: 'g', count: 1, reason: 'r' }], warnings: [] });
});

t.test('missing, malformed and silent results are denials', async (t) => {
  t.equal(normalizeDecision(undefined, ep).deny[0]?.code, 'POLICY_NO_DECISION');
  t.equal(normalizeDecision('yes', ep).deny[0]?.code, 'POLICY_RESULT_INVALID');
  t.equal(normalizeDecision({}, ep).deny[0]?.code, 'POLICY_NOT_ALLOWED');
  t.equal(normalizeDecision({ allow: 'true' }, ep).deny[0]?.code, 'POLICY_RESULT_INVALID');
  const badEntries = normalizeDecision({ allow: true, deny: ['just a string'], approvals: [{ group: 'g', reason: 'r', count: 0 }], warnings: [{}] }, ep);
  t.equal(badEntries.allow, false);
  t.same(badEntries.deny.map((d) => d.code), ['POLICY_RESULT_INVALID', 'POLICY_RESULT_INVALID', 'POLICY_RESULT_INVALID']);
  t.equal(normalizeDecision({ allow: true, deny: 'x' }, ep).deny[0]?.code, 'POLICY_RESULT_INVALID');
});

t.test('entries are sorted, refs kept, and the result matches the decision schema', async (t) => {
  const decision = normalizeDecision(
    {
      allow: false,
      deny: [
        { code: 'B', message: 'b', ref: 'refs/heads/z' },
        { code: 'A', message: 'a', ref: 'refs/heads/a' },
      ],
      warnings: [{ code: 'W', message: 'w' }],
    },
    ep,
  );
  t.same(decision.deny.map((d) => d.ref), ['refs/heads/a', 'refs/heads/z']);
  t.same(validateContractDocument('decision', decision), { valid: true, errors: [] });
});
