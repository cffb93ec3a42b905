import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyEngine, validateContractDocument, type Identity } from '../../rego/index.js';
import { captureReceivePackRequests } from '../../testdata/receive-pack-requests.js';
import { builtinPoliciesPath } from '../config/load-config.js';
import { loadRuleSet, SecretMasker, SecretScanner } from '../secrets/index.js';
import type { FileRepository } from '../upstream/repository-resolver.js';
import { decidePush, MAX_REF_UPDATES_PER_PUSH, requestInfo } from './push-gate.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-push-gate-'));
const requests = captureReceivePackRequests(root);
const repository = {
  kind: 'file',
  path: 'test/remote',
  name: 'test/remote',
  defaultBranch: 'main',
  upstreamUrl: `file://${join(root, 'remote.git')}`,
  gitDir: join(root, 'remote.git'),
  upstream: { type: 'file', name: 'local', path: root, repositories: ['*/*'] },
} satisfies FileRepository;
const identity: Identity = { subject: 'agent-1', issuer: 'gitgate:static-tokens', groups: ['agents'], kind: 'agent', authentication: 'token' };

let policy: PolicyEngine;
const scanner = new SecretScanner(loadRuleSet(), { fingerprintKey: randomBytes(32) });
const masker = new SecretMasker(scanner);
t.before(async () => {
  policy = await PolicyEngine.start({ source: { kind: 'directory', path: builtinPoliciesPath() } });
});
t.teardown(() => policy.close());

async function* chunks(body: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

t.test('every request the real git sends becomes a push input that matches the v1 schema', async (t) => {
  t.ok(requests.length >= 6);
  for (const captured of requests) {
    const outcome = await decidePush(chunks(captured.body, 997), { repository, objectStoreGitDir: repository.gitDir, identity, request: requestInfo('127.0.0.1', 'git/2.39.5') }, { policy, scanner, masker });
    if (captured.commands.length === 0) {
      // An up-to-date push is a lone flush: nothing to decide, forwarded as it came.
      t.equal(outcome.kind, 'forward', captured.name);
      t.equal(outcome.input, undefined);
      if (outcome.kind === 'forward') {
        for await (const chunk of outcome.push.forwardBody()) t.equal((chunk as Buffer).toString(), '0000');
      }
      continue;
    }
    t.ok(outcome.input, captured.name);
    const validation = validateContractDocument('push', outcome.input);
    t.same(validation.errors, [], `${captured.name}: input matches the schema`);
    t.same(outcome.input!.updates.map((u) => [u.old, u.new, u.ref]), captured.commands.map((c) => [c.oldId, c.newId, c.ref]), captured.name);
    t.same(outcome.input!.push_options, captured.pushOptions, captured.name);
    if (outcome.kind === 'forward') {
      const forwarded: Buffer[] = [];
      for await (const chunk of outcome.push.forwardBody()) forwarded.push(chunk as Buffer);
      t.ok(Buffer.concat(forwarded).equals(captured.body), `${captured.name}: forwards the identical bytes`);
      outcome.push.close();
    }
  }
});

t.test('fast-forward is proved from the commits, and commits and files are listed', async (t) => {
  const fastForward = requests.find((r) => r.name.includes('fast-forward'));
  t.ok(fastForward, 'the capture has a fast-forward push');
  const outcome = await decidePush(chunks(fastForward!.body, 65536), { repository, objectStoreGitDir: repository.gitDir, identity, request: requestInfo(undefined, undefined) }, { policy, scanner, masker });
  const update = outcome.input!.updates[0]!;
  t.equal(update.operation, 'update');
  t.equal(update.fast_forward, true);
  t.ok(update.commits.length >= 1);
  t.ok(update.files.every((f) => f.status === 'added' && f.size > 0 && !f.binary));
  if (outcome.kind === 'forward') outcome.push.close();
});

t.test(`a push of more than ${MAX_REF_UPDATES_PER_PUSH} ref updates is refused with the reason, per ref`, async (t) => {
  const pkt = (text: string) => Buffer.from(`${(text.length + 4).toString(16).padStart(4, '0')}${text}`);
  const commands = Array.from({ length: MAX_REF_UPDATES_PER_PUSH + 1 }, (_, i) =>
    pkt(`${'1'.repeat(40)} ${'0'.repeat(40)} refs/heads/gone-${i}${i === 0 ? '\0report-status side-band-64k delete-refs' : ''}\n`),
  );
  const body = Buffer.concat([...commands, Buffer.from('0000')]);
  const outcome = await decidePush(chunks(body, 4096), { repository, objectStoreGitDir: repository.gitDir, identity, request: requestInfo('127.0.0.1', 'git/2.39.5') }, { policy, scanner, masker });
  t.equal(outcome.kind, 'reject');
  if (outcome.kind !== 'reject') return;
  t.equal(outcome.error?.code, 'PUSH_TOO_LARGE');
  const text = outcome.body.toString('latin1');
  t.match(text, `this push updates ${MAX_REF_UPDATES_PER_PUSH + 1} refs; gitgate inspects at most ${MAX_REF_UPDATES_PER_PUSH} per push. Push them in smaller groups`);
  t.match(text, 'ng refs/heads/gone-0 gitgate could not inspect this push (PUSH_TOO_LARGE)');
  t.match(text, `ng refs/heads/gone-${MAX_REF_UPDATES_PER_PUSH} gitgate could not inspect this push (PUSH_TOO_LARGE)`);
});
