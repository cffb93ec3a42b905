import t from 'tap';
import { ApprovalError } from './approval-errors.js';
import { approve, cancel, deny, expire, grantedApprovalsOf, markQuarantined, markUsed, recordForward, releaseAfterFailedForward } from './approval-state.js';
import { human, pendingRequest } from './approval-test-fixtures.js';

const NOW = new Date('2026-01-01T11:00:00.000Z');

function codeOf(step: () => unknown): string | undefined {
  try {
    step();
  } catch (error) {
    return error instanceof ApprovalError ? error.code : `not an ApprovalError: ${(error as Error).message}`;
  }
  return undefined;
}

t.test('one approver of the group approves; the history says who, when and why', async (t) => {
  const request = pendingRequest();
  const approved = approve(request, human('alice'), 'looks fine', NOW);
  t.equal(request.state, 'pending', 'the input is not changed');
  t.equal(approved.state, 'approved');
  t.same(approved.approvals.map((a) => [a.approver.subject, a.group, a.reason, a.at]), [['alice', 'production-review', 'looks fine', NOW.toISOString()]]);
  t.same(approved.history.slice(1).map((h) => [h.event, h.by.subject, h.state]), [
    ['approval-given', 'alice', 'pending'],
    ['approved', 'alice', 'approved'],
  ]);
  t.same(grantedApprovalsOf(approved), [{ group: 'production-review', approver: 'alice', granted_at: NOW.toISOString(), ref: 'refs/heads/main', commits: [] }]);
});

t.test('self-approval, outsiders, agents and double votes are refused', async (t) => {
  const request = pendingRequest();
  t.equal(codeOf(() => approve(request, human('agent-1'), '', NOW)), 'APPROVAL_SELF_APPROVAL', 'same subject, other issuer');
  t.equal(codeOf(() => approve(pendingRequest({ pusher: { ...request.pusher, email: 'Dev@Example.com' } }), human('dev', ['production-review'], { email: 'dev@example.com' }), '', NOW)), 'APPROVAL_SELF_APPROVAL', 'same e-mail');
  t.equal(codeOf(() => approve(request, human('carol', ['frontend']), '', NOW)), 'APPROVAL_NOT_IN_GROUP');
  t.equal(codeOf(() => approve(request, human('bot', ['production-review'], { kind: 'agent' }), '', NOW)), 'APPROVAL_NOT_HUMAN');
  const two = pendingRequest({ requirements: [{ group: 'production-review', count: 2, reason: 'r' }] });
  const once = approve(two, human('alice'), '', NOW);
  t.equal(once.state, 'pending');
  t.equal(codeOf(() => approve(once, human('alice'), '', NOW)), 'APPROVAL_ALREADY_GIVEN');
  t.equal(codeOf(() => approve(once, human('alice', ['production-review'], { authentication: 'session' }), '', NOW)), 'APPROVAL_ALREADY_GIVEN', 'another login of the same person');
  const twice = approve(once, human('bob'), '', NOW);
  t.equal(twice.state, 'approved');
});

t.test('every required group must approve', async (t) => {
  const request = pendingRequest({
    requirements: [
      { group: 'production-review', count: 1, reason: 'prod', ref: 'refs/heads/main' },
      { group: 'ci-review', count: 1, reason: 'ci', ref: 'refs/heads/main' },
    ],
  });
  const prod = approve(request, human('alice'), '', NOW);
  t.equal(prod.state, 'pending');
  t.equal(approve(prod, human('bob', ['ci-review']), '', NOW).state, 'approved');
  t.equal(approve(request, human('both', ['ci-review', 'production-review']), '', NOW).state, 'approved', 'one person in both groups covers both');
});

t.test('deny needs a reason and a member of the group; decided requests stay decided', async (t) => {
  const request = pendingRequest();
  t.equal(codeOf(() => deny(request, human('alice'), '  ', NOW)), 'APPROVAL_REASON_REQUIRED');
  t.equal(codeOf(() => deny(request, human('carol', ['frontend']), 'no', NOW)), 'APPROVAL_NOT_IN_GROUP');
  const denied = deny(request, human('alice'), 'not now\u0007', NOW);
  t.equal(denied.state, 'denied');
  t.equal(denied.denial?.reason, 'not now', 'control characters are dropped');
  t.equal(codeOf(() => approve(denied, human('bob'), '', NOW)), 'APPROVAL_NOT_PENDING');
  t.equal(codeOf(() => cancel(denied, human('bob'), 'x', NOW)), 'APPROVAL_NOT_PENDING');
});

t.test('expiry: pending and approved requests expire; an expired one cannot be approved or used', async (t) => {
  const late = new Date('2026-01-02T10:00:00.000Z');
  const request = pendingRequest();
  t.equal(codeOf(() => approve(request, human('alice'), '', late)), 'APPROVAL_EXPIRED');
  const expired = expire(request, late);
  t.equal(expired.state, 'expired');
  t.equal(expired.history.at(-1)?.by.subject, 'gitgate');
  t.equal(expire(expired, late), expired, 'idempotent');
  t.equal(expire(request, NOW), request, 'not yet');
  const approved = approve(request, human('alice'), '', NOW);
  t.equal(codeOf(() => markUsed(approved, 'repush', late)), 'APPROVAL_EXPIRED');
  t.equal(expire(approved, late).state, 'expired');
});

t.test('single use; quarantine; forward results', async (t) => {
  const approved = approve(pendingRequest(), human('alice'), '', NOW);
  const used = markUsed(approved, 'held push forwarded', NOW);
  t.equal(used.state, 'used');
  t.equal(codeOf(() => markUsed(used, 'again', NOW)), 'APPROVAL_ALREADY_USED');
  t.equal(codeOf(() => markUsed(pendingRequest(), 'early', NOW)), 'APPROVAL_NOT_PENDING');
  const quarantined = markQuarantined(pendingRequest(), 'hold over', NOW);
  t.equal(quarantined.delivery, 'quarantined');
  t.equal(quarantined.state, 'pending');
  t.equal(markQuarantined(quarantined, 'again', NOW), quarantined);
  const conflict = recordForward(used, { at: NOW.toISOString(), outcome: 'conflict', detail: ['ng refs/heads/main fetch first'] });
  t.equal(conflict.state, 'used');
  t.equal(conflict.forward?.outcome, 'conflict');
  const released = releaseAfterFailedForward(used, { at: NOW.toISOString(), outcome: 'failed', detail: ['ECONNREFUSED'] });
  t.equal(released.state, 'approved', 'an undelivered push keeps its approval');
});

t.test('cancel records who and why', async (t) => {
  const cancelled = cancel(pendingRequest(), human('bob'), 'superseded', NOW);
  t.equal(cancelled.state, 'cancelled');
  t.same([cancelled.history.at(-1)?.by.subject, cancelled.history.at(-1)?.reason], ['bob', 'superseded']);
});
