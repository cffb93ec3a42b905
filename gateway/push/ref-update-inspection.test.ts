import t from 'tap';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackDecoder, type ReceivePackCommand } from '../../pack-parser/index.js';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { makePackWithGit } from '../../testdata/pack-fixtures.js';
import { leaseCatFile } from '../git/shared-cat-file.js';
import { loadRuleSet, SecretMasker, SecretScanner } from '../secrets/index.js';
import { ObjectReader } from './object-reader.js';
import { PushedObjects } from './pushed-objects.js';
import { PushInspection } from './push-inspection.js';
import { inspectRefUpdate } from './ref-update-inspection.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A format-valid fake GitHub token, made at run time so no literal in the repository looks like one. */
function fakeGithubToken(): string {
  let body = '';
  for (let i = 0; i < 36; i++) body += ALNUM[randomInt(ALNUM.length)];
  return `ghp_${body}`;
}

const env = hermeticGitEnv();
const root = mkdtempSync(join(tmpdir(), 'gitgate-inspection-'));
const repo = join(root, 'repo');
const run = (args: string[]) => git(args, { cwd: repo, env }).toString('utf8').trim();
const scanner = new SecretScanner(loadRuleSet(), { fingerprintKey: randomBytes(32) });
const masker = new SecretMasker(scanner);

/** A base commit (the upstream's), then `count` pushed commits; the oldest pushed one adds a secret, the next removes it. */
function history(count: number): { base: string; tip: string } {
  git(['init', '-q', '-b', 'main', repo], { cwd: root, env });
  git(['fast-import', '--quiet'], {
    cwd: repo,
    env,
    input: 'commit refs/heads/main\ncommitter A <a@example.com> 1700000000 +0000\ndata 5\nbase\nM 100644 inline README.md\ndata 6\nhello\n\n',
  });
  const base = run(['rev-parse', 'main']);
  let stream = '';
  for (let i = 1; i <= count; i++) {
    stream += `commit refs/heads/feature\ncommitter A <a@example.com> ${1700000000 + i} +0000\ndata ${String(i).length}\n${i}\n`;
    if (i === 1) stream += 'from refs/heads/main^0\n';
    const config = i === 1 ? `token = "${fakeGithubToken()}"\n` : `token = "from the environment"\n`;
    if (i <= 2) stream += `M 100644 inline config/settings.py\ndata ${config.length}\n${config}\n`;
    const file = `file ${i}\n`;
    stream += `M 100644 inline notes/n-${i}.txt\ndata ${file.length}\n${file}\n`;
  }
  git(['fast-import', '--quiet'], { cwd: repo, env, input: stream });
  return { base, tip: run(['rev-parse', 'feature']) };
}

async function inspect(pushed: PushedObjects, tip: string, limits: { maxCommits: number; maxFiles: number }, upstreamGitDir = join(repo, '.git')) {
  const source = leaseCatFile(upstreamGitDir);
  try {
    const command: ReceivePackCommand = { oldId: '0'.repeat(40), newId: tip, ref: 'refs/heads/feature', operation: 'create' };
    return await inspectRefUpdate(command, { reader: new ObjectReader(pushed, source), scanner, masker, upstreamGitDir, limits });
  } finally {
    source.close();
  }
}

async function decode(base: string, tip: string, pushed: PushedObjects, thin = true): Promise<PackDecoder> {
  const pack = makePackWithGit(repo, { revs: [tip, `^${base}`], thin });
  const decoder = new PackDecoder({ onObject: (o) => pushed.add(o) });
  decoder.write(pack);
  await decoder.end();
  pushed.attachPack((id) => decoder.readObject(id));
  return decoder;
}

const { base, tip } = history(12);

t.test('every pushed commit is scanned; only the lists are cut at the limits', async (t) => {
  const pushed = new PushedObjects();
  const decoder = await decode(base, tip, pushed);
  try {
    const update = await inspect(pushed, tip, { maxCommits: 3, maxFiles: 2 });
    t.equal(update.commits.length, 3, 'the newest 3 commits listed');
    t.equal(update.commits[0]!.id, tip, 'newest first');
    t.ok(update.files.length <= 2, 'files listed up to the limit');
    t.ok(update.truncated, 'truncated says the lists were cut');
    t.equal(update.secret_findings.length, 1, 'the secret added by the oldest commit (and removed later) is found');
    t.match(update.secret_findings[0], { path: 'config/settings.py', line: 1 });
    t.notMatch(JSON.stringify(update), /ghp_[A-Za-z0-9]{36}/, 'no secret value in the input');
  } finally {
    decoder.close();
  }
});

t.test('with no memory budget every tree and blob is read back from the pack: same result', async (t) => {
  const kept = new PushedObjects();
  const keptDecoder = await decode(base, tip, kept);
  const readBack = new PushedObjects({ maxKeptBytes: 0 });
  const readBackDecoder = await decode(base, tip, readBack);
  try {
    t.ok([...readBack.trees.values()].every((content) => content === undefined), 'no tree kept');
    const limits = { maxCommits: 1000, maxFiles: 5000 };
    t.same(await inspect(readBack, tip, limits), await inspect(kept, tip, limits));
  } finally {
    keptDecoder.close();
    readBackDecoder.close();
  }
});

t.test('a commit whose parent cannot be read counts all of its tree as added, and the update is marked', async (t) => {
  // The upstream's store lacks the base commit the pushed history starts from.
  const emptyUpstream = join(root, 'empty.git');
  git(['init', '-q', '--bare', emptyUpstream], { cwd: root, env });
  const pushed = new PushedObjects();
  const decoder = await decode(base, tip, pushed, false);
  try {
    const update = await inspect(pushed, tip, { maxCommits: 1000, maxFiles: 5000 }, emptyUpstream);
    t.ok(update.truncated, 'marked: what the first commit changed cannot be told');
    t.match(
      update.files.find((file) => file.path === 'README.md'),
      { status: 'added' },
      "the base's file is listed as added: the rules see it rather than nothing",
    );
    t.equal(update.secret_findings.length, 1, 'the secret is still found');
  } finally {
    decoder.close();
  }
});

t.test('a commit dated beyond the year 9999 (git accepts it) is refused with a clear PushError', async (t) => {
  git(['fast-import', '--quiet'], {
    cwd: repo,
    env,
    input: `commit refs/heads/forged\ncommitter A <a@example.com> 99999999999999 +0000\ndata 7\nforged\nfrom refs/heads/main^0\nM 100644 inline forged.txt\ndata 2\nf\n\n`,
  });
  const forged = run(['rev-parse', 'forged']);
  const pushed = new PushedObjects();
  const decoder = await decode(base, forged, pushed);
  try {
    await t.rejects(inspect(pushed, forged, { maxCommits: 1000, maxFiles: 5000 }), {
      name: 'PushError',
      code: 'PUSH_PACK_INVALID',
      message: `the author of ${forged} is dated 99999999999999 +0000, beyond the year 9999, which the policy input cannot express; rewrite the commit with a real date (git commit --amend --date, or git rebase)`,
    });
  } finally {
    decoder.close();
  }
});

t.test('the ref updates of one push share their commits: each is scanned once, and lists stay within the push limits', async (t) => {
  const pushed = new PushedObjects();
  const decoder = await decode(base, tip, pushed);
  const source = leaseCatFile(join(repo, '.git'));
  let scans = 0;
  const counting = Object.assign(Object.create(scanner) as SecretScanner, {
    scanFile: (...args: Parameters<SecretScanner['scanFile']>) => {
      scans++;
      return scanner.scanFile(...args);
    },
  });
  try {
    const context = (push: PushInspection) => ({ reader: new ObjectReader(pushed, source), scanner: counting, masker, upstreamGitDir: join(repo, '.git'), limits: { maxCommits: 1000, maxFiles: 5000 }, push });
    const command = (ref: string): ReceivePackCommand => ({ oldId: '0'.repeat(40), newId: tip, ref, operation: 'create' });
    const alone = await inspectRefUpdate(command('refs/heads/alone'), context(new PushInspection()));
    const scansAlone = scans;
    t.equal(alone.commits.length, 12);
    t.equal(alone.secret_findings.length, 1);

    scans = 0;
    const shared = new PushInspection({ listing: { commits: 30, files: 1000, findings: 1 } });
    const first = await inspectRefUpdate(command('refs/heads/one'), context(shared));
    const second = await inspectRefUpdate(command('refs/heads/two'), context(shared));
    const third = await inspectRefUpdate(command('refs/heads/three'), context(shared));
    t.equal(scans, scansAlone, 'three refs at one tip: every commit scanned once');
    t.same(first, { ...alone, ref: 'refs/heads/one' }, 'the first ref is listed as if alone');
    t.equal(second.commits.length, 12);
    t.same(second.files, alone.files);
    t.same(second.secret_findings, alone.secret_findings, 'past the one finding the push may list, a ref with findings still lists one, so the secrets rule refuses it');
    t.notOk(second.truncated, '24 commits listed so far, within the 30');
    t.equal(third.commits.length, 6, '30 commits in all: 12 + 12 + 6');
    t.ok(third.truncated, 'so the third is marked');
    t.equal(third.secret_findings.length, 1);
    t.equal(shared.inspectedCommits, 36);

    const small = new PushInspection({ budget: { commits: 20 } });
    await inspectRefUpdate(command('refs/heads/a'), context(small));
    await t.rejects(inspectRefUpdate(command('refs/heads/b'), context(small)), {
      name: 'PushError',
      code: 'PUSH_TOO_LARGE',
      message: 'this push asks for more than 20 commit inspections (refs/heads/b alone reaches 12 pushed commits; each ref update counts the commits it brings). Push fewer refs, or the history in parts',
    });

    // The other allowances: files the diffs produce, files the refs go through, text scanned.
    await t.rejects(inspectRefUpdate(command('refs/heads/c'), context(new PushInspection({ budget: { changedFiles: 5 } }))), {
      code: 'PUSH_TOO_LARGE',
      message: /^this push changes more than 5 files \(counted over its commits; commit [0-9a-f]{40} brings the total past it\)/,
    });
    const visits = new PushInspection({ budget: { fileVisits: 15 } });
    await inspectRefUpdate(command('refs/heads/d'), context(visits));
    t.equal(visits.fileVisits, 14, 'a note per commit, and the two changes of config/settings.py');
    await t.rejects(inspectRefUpdate(command('refs/heads/e'), context(visits)), { code: 'PUSH_TOO_LARGE', message: /more than 15 changed files over its ref updates \(refs\/heads\/e brings it past that/ });
    await t.rejects(inspectRefUpdate(command('refs/heads/f'), context(new PushInspection({ budget: { scannedBytes: 100 } }))), {
      code: 'PUSH_TOO_LARGE',
      message: /^this push holds more than 100 bytes to scan for secrets/,
    });
  } finally {
    source.close();
    decoder.close();
  }
});
