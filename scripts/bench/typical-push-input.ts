// The push input of the policy benchmark: what a busy agent's push looks like to the policy.
import type { PushInput, RefUpdate } from '../../rego/schema/types.js';

function hex(n: number, width = 40): string {
  return n.toString(16).padStart(width, '0');
}

/** 10 updates (3 to protected branches, one a tag), 20 files each, 5 findings spread over two refs. */
export function typicalPushInput(): PushInput {
  const dirs = ['src/api', 'src/billing', 'docs', 'deploy/k8s', 'test', 'lib/util', 'infra', 'web/assets'];
  const refs = ['refs/heads/main', 'refs/heads/release/2.4', 'refs/tags/v2.4.1', ...Array.from({ length: 7 }, (_, i) => `refs/heads/feature/task-${i}`)];
  const updates: RefUpdate[] = refs.map((ref, u) => {
    const isTag = ref.startsWith('refs/tags/');
    const commitId = hex(1000 + u);
    return {
      ref,
      ref_type: isTag ? 'tag' : 'branch',
      old: isTag ? hex(0) : hex(2000 + u),
      new: commitId,
      operation: isTag ? 'create' : 'update',
      fast_forward: isTag ? null : true,
      commits: Array.from({ length: 3 }, (_, c) => ({
        id: hex(1000 + u * 10 + c),
        author: { name: 'Code Bot', email: 'code-bot@example.com', time: '2026-05-04T10:14:00Z' },
        committer: { name: 'Code Bot', email: 'code-bot@example.com', time: '2026-05-04T10:14:00Z' },
        message: `feat(task-${u}): change ${c}\n\nSigned-off-by: Code Bot <code-bot@example.com>\n`,
        parents: [hex(2000 + u)],
        signed: false,
      })),
      files: Array.from({ length: 20 }, (_, f) => {
        const dir = dirs[(u + f) % dirs.length] as string;
        const ext = dir === 'infra' ? 'tf' : dir === 'web/assets' ? 'png' : dir === 'deploy/k8s' ? 'yaml' : 'ts';
        return {
          path: `${dir}/module-${u}/file-${f}.${ext}`,
          status: f % 7 === 0 ? 'added' : 'modified',
          mode: '100644',
          blob: hex(50000 + u * 100 + f),
          size: 200 + f * 37,
          binary: ext === 'png',
        };
      }),
      secret_findings: [],
      truncated: false,
    };
  });
  for (let i = 0; i < 5; i += 1) {
    const update = updates[3 + (i % 2)] as RefUpdate;
    update.secret_findings.push({
      rule: i % 2 === 0 ? 'aws-access-key-id' : 'github-pat',
      path: update.files[i]?.path ?? 'src/x.ts',
      line: 10 + i,
      commit: update.new,
      preview: 'token = "ghp_************************FAKE"',
      fingerprint: `sha256:${hex(90000 + i, 16)}`,
    });
  }
  return {
    version: 1,
    kind: 'push',
    request: { id: 'bench-1', time: '2026-05-04T10:15:00Z', remote_address: '192.0.2.10', user_agent: 'git/2.45.0' },
    identity: { subject: 'agent:code-bot', issuer: 'https://issuer.example.test', groups: ['agents'], kind: 'agent', authentication: 'oidc' },
    repository: { name: 'acme/payments', upstream: 'https://github.com/acme/payments.git', default_branch: 'main' },
    updates,
    push_options: [],
    pack: { size: 184_320, objects: 290 },
    granted_approvals: [],
  };
}
