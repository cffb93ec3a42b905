import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackDecoder } from '../../pack-parser/index.js';
import type { RefUpdate } from '../../rego/index.js';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { makePackWithGit } from '../../testdata/pack-fixtures.js';
import { leaseCatFile } from '../git/shared-cat-file.js';
import { ObjectReader } from '../push/object-reader.js';
import { PushedObjects } from '../push/pushed-objects.js';
import { loadRuleSet, SecretMasker, SecretScanner } from '../secrets/index.js';
import { collectFileContents } from './file-contents.js';

const env = hermeticGitEnv();
const root = mkdtempSync(join(tmpdir(), 'gitgate-file-contents-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const repo = join(root, 'repo');
const run = (args: string[], input?: string) => git(args, { cwd: repo, env, ...(input === undefined ? {} : { input }) }).toString('utf8').trim();

// The upstream's commit has a binary logo and a text README; the pushed one replaces both with text.
git(['init', '-q', '-b', 'main', repo], { cwd: root, env });
// NUL bytes make it binary to git and to gitgate; ASCII keeps fast-import's byte count simple.
const binary = `PNG\0\0\0\0${'x'.repeat(64)}`;
run(['fast-import', '--quiet'], [
  'commit refs/heads/main', 'committer A <a@example.com> 1700000000 +0000', 'data 4', 'base',
  'M 100644 inline logo.png', `data ${binary.length}`, binary,
  'M 100644 inline README.md', 'data 6', 'hello', '',
].join('\n'));
const base = run(['rev-parse', 'main']);
run(['fast-import', '--quiet'], [
  'commit refs/heads/main', 'committer A <a@example.com> 1700000001 +0000', 'data 6', 'change', 'from refs/heads/main^0',
  'M 100644 inline logo.png', 'data 9', 'now text', 'M 100644 inline README.md', 'data 12', 'hello again', '',
].join('\n'));
const tip = run(['rev-parse', 'main']);

t.test('an old binary file is reported as binary, an old text file is shown', async (t) => {
  const pushed = new PushedObjects();
  const decoder = new PackDecoder({ onObject: (o) => pushed.add(o) });
  decoder.write(makePackWithGit(repo, { revs: [tip, `^${base}`], thin: true }));
  await decoder.end();
  pushed.attachPack((id) => decoder.readObject(id));
  const source = leaseCatFile(join(repo, '.git'));
  t.teardown(() => {
    source.close();
    decoder.close();
  });
  const blobOf = (path: string) => run(['rev-parse', `${tip}:${path}`]);
  const update: RefUpdate = {
    ref: 'refs/heads/main', ref_type: 'branch', old: base, new: tip, operation: 'update', fast_forward: true,
    commits: [], secret_findings: [], truncated: false,
    files: ['logo.png', 'README.md'].map((path) => ({ path, status: 'modified' as const, mode: '100644', blob: blobOf(path), size: 9, binary: false })),
  };
  const masker = new SecretMasker(new SecretScanner(loadRuleSet(), { fingerprintKey: randomBytes(32) }));
  const contents = await collectFileContents([update], new ObjectReader(pushed, source), masker);
  t.match(contents.find((c) => c.path === 'logo.png'), { omitted: 'binary' });
  t.match(contents.find((c) => c.path === 'README.md'), { old_text: 'hello', new_text: 'hello again' });
});
