import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyEngine, type Identity } from '../../rego/index.js';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { builtinPoliciesPath } from '../config/load-config.js';
import { loadRuleSet, SecretMasker, SecretScanner } from '../secrets/index.js';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import type { FileRepository } from '../upstream/repository-resolver.js';
import { decidePush, requestInfo, type PushOutcome } from './push-gate.js';
import { MAX_LISTED_MESSAGE_LENGTH, MAX_PARENTS_PER_COMMIT } from './ref-update-inspection.js';

// Pushes that real git does not send but a crafted client can: objects the ref updates do not
// reach, refs at blobs and trees, long tag chains. Each must be inspected or refused, never
// forwarded unseen. The packs are made by git pack-objects from objects git wrote.

const env = hermeticGitEnv();
const root = mkdtempSync(join(tmpdir(), 'gitgate-uninspectable-'));
const work = join(root, 'work');
const upstream = join(root, 'upstream.git');
git(['init', '-q', '-b', 'main', work], { cwd: root, env });
git(['init', '-q', '--bare', upstream], { cwd: root, env });
const run = (args: string[], input?: string) => git(args, { cwd: work, env, ...(input === undefined ? {} : { input }) }).toString('utf8').trim();

const blob = (content: string) => run(['hash-object', '-w', '--stdin'], content);
const tree = (entries: [mode: string, type: string, id: string, name: string][]) => run(['mktree'], entries.map(([m, ty, id, n]) => `${m} ${ty} ${id}\t${n}\n`).join(''));
const commit = (treeId: string, message: string, parents: string[] = []) => run(['commit-tree', treeId, ...parents.flatMap((p) => ['-p', p])], message);
const tag = (object: string, type: string, name: string, message: string) =>
  run(['mktag'], `object ${object}\ntype ${type}\ntag ${name}\ntagger T <t@example.com> 1700000000 +0000\n\n${message}\n`);

const ZERO = '0'.repeat(40);
const pkt = (text: string) => Buffer.from(`${(text.length + 4).toString(16).padStart(4, '0')}${text}`);

/** A receive-pack request creating `refs`, with a pack of exactly `objects`. */
function pushBody(refs: Record<string, string>, objects: string[]): Buffer {
  const pack = git(['pack-objects', '--stdout'], { cwd: work, env, input: `${objects.join('\n')}\n` });
  const commands = Object.entries(refs).map(([ref, id], i) => pkt(`${ZERO} ${id} ${ref}${i === 0 ? '\0report-status side-band-64k' : ''}\n`));
  return Buffer.concat([...commands, Buffer.from('0000'), pack]);
}

const repository = {
  kind: 'file',
  path: 'test/upstream',
  name: 'test/upstream',
  defaultBranch: 'main',
  upstreamUrl: `file://${upstream}`,
  gitDir: upstream,
  upstream: { type: 'file', name: 'local', path: root, repositories: ['*/*'] },
} satisfies FileRepository;
const identity: Identity = { subject: 'agent-1', issuer: 'gitgate:static-tokens', groups: ['agents'], kind: 'agent', authentication: 'token' };
const scanner = new SecretScanner(loadRuleSet(), { fingerprintKey: randomBytes(32) });
const masker = new SecretMasker(scanner);
let policy: PolicyEngine;
t.before(async () => {
  policy = await PolicyEngine.start({ source: { kind: 'directory', path: builtinPoliciesPath() } });
});
t.teardown(() => policy.close());

async function decide(body: Buffer): Promise<PushOutcome> {
  async function* once() {
    yield body;
  }
  const outcome = await decidePush(once(), { repository, objectStoreGitDir: upstream, identity, request: requestInfo('127.0.0.1', 'git/2.39.5') }, { policy, scanner, masker });
  if ('push' in outcome) outcome.push.close();
  return outcome;
}

/** Refused before the policy, with the code and a message git shows. */
async function expectRefused(t: Test, body: Buffer, code: string, message: RegExp): Promise<void> {
  const outcome = await decide(body);
  t.equal(outcome.kind, 'reject');
  if (outcome.kind !== 'reject') return;
  t.equal(outcome.error?.code, code);
  t.match(outcome.error?.message, message);
  t.match(outcome.body.toString('latin1'), `(${code})`, 'every ref is reported refused');
}

const readme = blob('hello\n');
const rootTree = tree([['100644', 'blob', readme, 'README.md']]);
const first = commit(rootTree, 'first');

t.test('a ref at a pushed blob, or at a tag of a tree, is refused: nothing reaches the upstream uninspected', async (t) => {
  const secret = blob(`token = ${fakeGithubToken(11)}\n`);
  await expectRefused(t, pushBody({ 'refs/tags/raw': secret }, [secret]), 'PUSH_UNINSPECTABLE', /refs\/tags\/raw points at the pushed blob/);
  const treeTag = tag(rootTree, 'tree', 'snapshot', 'a tree');
  await expectRefused(t, pushBody({ 'refs/tags/snapshot': treeTag }, [treeTag, rootTree, readme]), 'PUSH_UNINSPECTABLE', /points \(through an annotated tag\) at the pushed tree/);
});

t.test('a chain of more than 100 annotated tags is refused, not left uninspected', async (t) => {
  const chain = [tag(first, 'commit', 't0', 'level 0')];
  for (let i = 1; i <= 100; i++) chain.push(tag(chain[i - 1]!, 'tag', `t${i}`, `level ${i}`));
  await expectRefused(t, pushBody({ 'refs/tags/deep': chain.at(-1)! }, [...chain, first, rootTree, readme]), 'PUSH_UNINSPECTABLE', /a chain of more than 100 annotated tags/);
  const outcome = await decide(pushBody({ 'refs/tags/deep': chain[99]! }, [...chain.slice(0, 100), first, rootTree, readme]));
  t.equal(outcome.kind, 'forward', '100 levels are followed');
});

t.test('a commit that no pushed ref reaches is refused', async (t) => {
  const hidden = commit(tree([['100644', 'blob', blob('elsewhere\n'), 'other.txt']]), 'not reached');
  await expectRefused(t, pushBody({ 'refs/heads/main': first }, [first, rootTree, readme, hidden]), 'PUSH_UNINSPECTABLE', new RegExp(`the commit ${hidden}, which none of its refs reaches`));
});

t.test('a blob that no pushed commit adds is scanned on its own', async (t) => {
  const stray = blob(`api_token = ${fakeGithubToken(12)}\n`);
  const outcome = await decide(pushBody({ 'refs/heads/main': first }, [first, rootTree, readme, stray]));
  t.equal(outcome.kind, 'reject');
  const findings = outcome.input?.updates[0]?.secret_findings ?? [];
  t.same(findings.map((f) => [f.path, f.rule]), [[`(unreferenced blob ${stray})`, 'github-pat']]);
  t.ok(outcome.decision?.result.deny.some((d) => d.code === 'SECRET_DETECTED'));
});

t.test('secrets in commit and tag messages are found', async (t) => {
  const leaky = commit(rootTree, `deploy with ${fakeGithubToken(13)}`);
  const release = tag(leaky, 'commit', 'v1', `release notes\n\ntoken ${fakeGithubToken(14)}`);
  const outcome = await decide(pushBody({ 'refs/heads/main': leaky, 'refs/tags/v1': release }, [leaky, release, rootTree, readme]));
  t.equal(outcome.kind, 'reject');
  const [branch, tagUpdate] = outcome.input?.updates ?? [];
  t.same(branch?.secret_findings.map((f) => [f.path, f.commit, f.line]), [['(commit message)', leaky, 1]]);
  t.same(
    tagUpdate?.secret_findings.map((f) => [f.path, f.commit, f.line]),
    [
      ['(tag message)', release, 3],
      ['(commit message)', leaky, 1],
    ],
    'the tag update reaches the commit too',
  );
  t.notMatch(JSON.stringify(outcome.input), /gh[p]_[A-Za-z0-9]{36}/, 'previews and the listed messages are masked');
});

t.test(`commit messages are listed up to ${MAX_LISTED_MESSAGE_LENGTH} characters, and scanned whole`, async (t) => {
  const long = commit(rootTree, `${'x'.repeat(MAX_LISTED_MESSAGE_LENGTH + 10)}\nno secret here`);
  const outcome = await decide(pushBody({ 'refs/heads/main': long }, [long, rootTree, readme]));
  const listed = outcome.input?.updates[0]?.commits[0]?.message ?? '';
  t.ok(listed.startsWith('x'.repeat(MAX_LISTED_MESSAGE_LENGTH)));
  t.ok(listed.endsWith(`\n[gitgate: message cut at ${MAX_LISTED_MESSAGE_LENGTH} of ${MAX_LISTED_MESSAGE_LENGTH + 10 + 15} characters]`), 'says where');

  // With a secret, the cut could split it: the message is withheld, and the secret still found.
  const leaky = commit(rootTree, `${'x'.repeat(MAX_LISTED_MESSAGE_LENGTH + 10)}\n${fakeGithubToken(15)}`);
  const refused = await decide(pushBody({ 'refs/heads/main': leaky }, [leaky, rootTree, readme]));
  t.equal(refused.input?.updates[0]?.commits[0]?.message, `[gitgate: message of ${MAX_LISTED_MESSAGE_LENGTH + 10 + 1 + 40} characters withheld: it holds a secret (see the findings)]`);
  t.same(refused.input?.updates[0]?.secret_findings.map((f) => [f.path, f.line]), [['(commit message)', 2]]);
});

t.test(`a merge of more than ${MAX_PARENTS_PER_COMMIT} parents is refused`, async (t) => {
  const parents = Array.from({ length: MAX_PARENTS_PER_COMMIT + 1 }, (_, i) => commit(rootTree, `parent ${i}`));
  const octopus = commit(rootTree, 'octopus', parents);
  await expectRefused(t, pushBody({ 'refs/heads/main': octopus }, [octopus, ...parents, rootTree, readme]), 'PUSH_TOO_LARGE', new RegExp(`^commit ${octopus} has ${MAX_PARENTS_PER_COMMIT + 1} parents`));
});

t.test('a text file over the scanner\'s 1 MiB is scanned in slices, not forwarded unread', async (t) => {
  const lines = Array.from({ length: 40_000 }, (_, i) => `    "node_modules/pkg-${i}": { "version": "1.0.${i}", "resolved": "https://registry.example.test/pkg-${i}.tgz" },`);
  const leakAt = 31_000;
  const leaky = [...lines.slice(0, leakAt), `    "auth": "${fakeGithubToken(16)}",`, ...lines.slice(leakAt)];
  const lockfile = blob(`${leaky.join('\n')}\n`);
  t.ok(Number(run(['cat-file', '-s', lockfile])) > 3 * 1024 * 1024, 'a lockfile of more than 3 MiB');
  const lockTree = tree([['100644', 'blob', lockfile, 'package-lock.json']]);
  const added = commit(lockTree, 'add the lockfile');
  const outcome = await decide(pushBody({ 'refs/heads/lock': added }, [added, lockTree, lockfile]));
  t.equal(outcome.kind, 'reject');
  t.same(outcome.input?.updates[0]?.secret_findings.map((f) => [f.path, f.line, f.rule]), [['package-lock.json', leakAt + 1, 'github-pat']]);
  t.ok(outcome.decision?.result.deny.some((d) => d.code === 'SECRET_DETECTED'));

  // Once the upstream has it, a change elsewhere in the file does not report the old secret again.
  git(['push', '-q', upstream, `${added}:refs/heads/lock`], { cwd: work, env });
  const edited = blob(`${leaky.join('\n')}\n    "node_modules/late": { "version": "2.0.0" },\n`);
  const editedTree = tree([['100644', 'blob', edited, 'package-lock.json']]);
  const next = commit(editedTree, 'bump late', [added]);
  const body = Buffer.concat([pkt(`${added} ${next} refs/heads/lock\0report-status\n`), Buffer.from('0000'), git(['pack-objects', '--stdout'], { cwd: work, env, input: `${next}\n${editedTree}\n${edited}\n` })]);
  const again = await decide(body);
  t.equal(again.kind, 'forward', 'no secret added');
  t.same(again.input?.updates[0]?.secret_findings, []);
});

t.test('a binary file is scanned for keys too: a new one is refused, one the upstream has is not reported again', async (t) => {
  // Compiled Python: a header with NUL bytes, then code objects around the strings.
  const pyc = (strings: string[], build: number) =>
    Buffer.concat([Buffer.from([0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, build, 0, 0, 0]), ...strings.map((s, i) => Buffer.from(`\xe3${String.fromCharCode(build + i)}\0\0\0${s}\0\x01N`, 'latin1'))]);
  const hashBinary = (content: Buffer) => git(['hash-object', '-w', '--stdin'], { cwd: work, env, input: content }).toString('utf8').trim();
  const pushTree = (content: Buffer, message: string, parents: string[] = []) => {
    const id = hashBinary(content);
    const treeId = tree([['100644', 'blob', id, 'settings.cpython-311.pyc']]);
    return { blob: id, tree: treeId, commit: commit(treeId, message, parents) };
  };
  const built = pushTree(pyc(['DEBUG = False', fakeGithubToken(41)], 1), 'add the compiled settings');
  t.equal(run(['diff-tree', '--numstat', '--root', '-r', built.commit]).split('\n')[1]?.slice(0, 4), '-\t-\t', 'git calls the file binary');
  const outcome = await decide(pushBody({ 'refs/heads/pyc': built.commit }, [built.commit, built.tree, built.blob]));
  t.equal(outcome.kind, 'reject');
  t.same(outcome.input?.updates[0]?.files.map((f) => [f.path, f.binary]), [['settings.cpython-311.pyc', true]]);
  t.same(outcome.input?.updates[0]?.secret_findings.map((f) => [f.path, f.rule]), [['settings.cpython-311.pyc', 'github-pat']]);
  t.ok(outcome.decision?.result.deny.some((d) => d.code === 'SECRET_DETECTED'));

  git(['push', '-q', upstream, `${built.commit}:refs/heads/pyc`], { cwd: work, env });
  const rebuilt = pushTree(pyc(['DEBUG = True', fakeGithubToken(41)], 2), 'rebuild', [built.commit]);
  const update = (next: typeof rebuilt, old: string) =>
    Buffer.concat([pkt(`${old} ${next.commit} refs/heads/pyc\0report-status\n`), Buffer.from('0000'), git(['pack-objects', '--stdout'], { cwd: work, env, input: `${next.commit}\n${next.tree}\n${next.blob}\n` })]);
  const again = await decide(update(rebuilt, built.commit));
  t.equal(again.kind, 'forward', 'rebuilt around the same key: nothing added');
  t.same(again.input?.updates[0]?.secret_findings, []);
  const leaked = pushTree(pyc(['DEBUG = False', fakeGithubToken(41), fakeGithubToken(42)], 3), 'another key', [built.commit]);
  const third = await decide(update(leaked, built.commit));
  t.equal(third.kind, 'reject');
  t.equal(third.input?.updates[0]?.secret_findings.length, 1, 'only the new key');
});

t.test('a file whose scan stops at 100 findings marks its update truncated: allowlisted findings cannot hide the rest', async (t) => {
  const tokens = Array.from({ length: 150 }, (_, i) => `key_${i} = "${fakeGithubToken(1000 + i)}"`).join('\n');
  const dense = blob(`${tokens}\n`);
  const denseTree = tree([['100644', 'blob', dense, 'keys.txt']]);
  const added = commit(denseTree, 'many keys');
  const outcome = await decide(pushBody({ 'refs/heads/dense': added }, [added, denseTree, dense]));
  const update = outcome.input?.updates[0];
  t.equal(update?.secret_findings.length, 100, 'the first 100 are listed');
  t.equal(update?.truncated, true, 'the scan stopped there: the update is incomplete');

  // A policy that allowlists those findings still does not pass the update unseen: it needs a review.
  const allowing = await PolicyEngine.start({
    source: { kind: 'directory', path: builtinPoliciesPath() },
    dataOverrides: { gitgate: { config: { secrets: { allowed_rules: ['github-pat'] } } } },
  });
  try {
    const decision = await allowing.evaluate('push', outcome.input);
    t.same(decision.result.deny, [], 'no denial: the listed findings are allowlisted');
    t.same(decision.result.approvals.map((a) => a.group), ['production-review'], 'the incomplete inspection needs a review');
  } finally {
    await allowing.close();
  }
});
