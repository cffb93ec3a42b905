import t from 'tap';
import { startApiHarness, type ApiHarness } from './github-api-test-harness.js';

let h: ApiHarness;
let approverToken: string;
t.before(async () => {
  h = await startApiHarness({ githubApi: { approval_wait_seconds: 6 } });
  approverToken = h.gateway.gateway.tokens.create('alice', ['production-review'], 'human').token;
});
t.teardown(() => h.close());

const approvalsApi = (path: string, init: RequestInit = {}) =>
  fetch(`${h.gateway.gateway.url}/api/approvals${path}`, { ...init, headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json', ...init.headers } });

async function pendingApprovalId(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { approvals } = (await (await approvalsApi('?state=pending')).json()) as { approvals: { id: string }[] };
    if (approvals.length > 0) return approvals[0]!.id;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no pending approval request appeared');
}

const merges = (n: number) => h.github.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/pulls/${n}/merge`));

t.test('a merge into the protected main is held for production-review, then performed once approved', async (t) => {
  const head = h.github.repository('acme/app').pulls.get(1)!.headSha;
  const merging = h.call('PUT', '/repos/acme/app/pulls/1/merge', { body: { merge_method: 'merge' } });
  const id = await pendingApprovalId();
  t.equal(merges(1).length, 0, 'nothing reaches GitHub while the merge waits');
  const approved = await approvalsApi(`/${id}/approve`, { method: 'POST', body: JSON.stringify({ reason: 'reviewed the diff' }) });
  t.equal(approved.status, 200);
  const response = await merging;
  t.equal(response.status, 200);
  t.same(await response.json(), { sha: h.github.repository('acme/app').branches.get('main'), merged: true, message: 'Pull Request successfully merged' });
  t.equal(merges(1).length, 1);
  t.same(JSON.parse(merges(1)[0]!.body), { merge_method: 'merge', sha: head }, 'merged exactly the reviewed head');
  const { approval } = (await (await approvalsApi(`/${id}`)).json()) as {
    approval: { state: string; refs: { ref: string; new: string }[]; commits: { id: string; message: string }[]; files: { path: string; status: string }[]; policy_reasons: string[] };
  };
  t.same(approval.commits.map((c) => c.id), [head], "the approver sees the pull request's commits");
  t.match(approval.commits[0]!.message, 'Say hello');
  t.same(approval.files.map((f) => [f.path, f.status]), [['README.md', 'modified'], ['src/app.py', 'added']], '... and its files');
  t.match(approval.policy_reasons.join('\n'), 'GitHub API call PUT /repos/acme/app/pulls/1/merge');
  t.equal(approval.state, 'used', 'the approval is spent');
  t.ok(approval.refs.some((r) => r.ref === 'refs/heads/main' && r.new === head), 'bound to the reviewed head commit');
});

t.test('not decided within the wait: 202 with the approval URL; the same call passes once approved', async (t) => {
  const first = await h.call('PUT', '/repos/acme/app/pulls/3/merge', { body: {} });
  t.equal(first.status, 202);
  const body = (await first.json()) as { message: string; documentation_url: string; gitgate: { code: string; approval_id: string; approval_url: string } };
  t.equal(body.gitgate.code, 'API_APPROVAL_PENDING');
  t.match(body.gitgate.approval_url, `/ui/approvals/${body.gitgate.approval_id}`);
  t.match(body.message, 'production-review');
  t.equal(merges(3).length, 0);
  const approved = await approvalsApi(`/${body.gitgate.approval_id}/approve`, { method: 'POST', body: JSON.stringify({}) });
  t.equal(approved.status, 200);
  const retry = await h.call('PUT', '/repos/acme/app/pulls/3/merge', { body: {} });
  t.equal(retry.status, 200);
  t.equal(((await retry.json()) as { merged: boolean }).merged, true);
  t.equal(merges(3).length, 1);
});

t.test('a denied merge is refused with the reason and never reaches GitHub', async (t) => {
  const merging = h.call('PUT', '/repos/acme/app/pulls/4/merge', { body: {} });
  const id = await pendingApprovalId();
  const denied = await approvalsApi(`/${id}/deny`, { method: 'POST', body: JSON.stringify({ reason: 'not before the release' }) });
  t.equal(denied.status, 200);
  const response = await merging;
  t.equal(response.status, 403);
  t.match(((await response.json()) as { message: string }).message, 'not before the release');
  t.equal(merges(4).length, 0);
});
