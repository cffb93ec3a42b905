import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPackParserError, type PackParserErrorCode } from '../pack-parser/errors.js';
import { writeFakeGpgProgram } from './fake-gpg.js';
import { git, hermeticGitEnv } from './git-cli.js';

/** A scratch repository for making git objects with the real git and reading them back. */
export interface GitObjectRepo {
  dir: string;
  /** Runs git in the repository; stdout as text, trimmed. */
  run(args: string[], input?: Buffer | string): string;
  /** Runs git in the repository; stdout as bytes. */
  runRaw(args: string[], input?: Buffer | string): Buffer;
  /** `git cat-file <type> <rev>`: the object content, without the `type size\0` header. */
  catFile(type: 'commit' | 'tree' | 'tag' | 'blob', rev: string): Buffer;
  /** `git hash-object -t <type> -w --stdin` (with `--literally`, so malformed objects are stored too). */
  hashObject(type: 'commit' | 'tree' | 'tag' | 'blob', content: Buffer | string): string;
  /**
   * The objects `git fsck --strict` finds malformed: id to git's first error line about it.
   * Missing referenced objects ("broken links") are not counted.
   */
  fsckErrors(): Map<string, string>;
  /** A `gpg.program` stand-in that "signs" with a fixed armored block, so `-S`/`-s` work without keys. */
  fakeGpgProgram: string;
}

export function createGitObjectRepo(objectFormat: 'sha1' | 'sha256' = 'sha1'): GitObjectRepo {
  const dir = mkdtempSync(join(tmpdir(), `gitgate-objects-${objectFormat}-`));
  const env = hermeticGitEnv({ GIT_AUTHOR_DATE: '1700000000 +0200', GIT_COMMITTER_DATE: '1700003600 -0130' });
  const fakeGpgProgram = join(dir, '.fake-gpg.sh');
  writeFakeGpgProgram(fakeGpgProgram);
  const runRaw = (args: string[], input?: Buffer | string) => git(args, { cwd: dir, env, ...(input === undefined ? {} : { input }) });
  const run = (args: string[], input?: Buffer | string) => runRaw(args, input).toString('utf8').trim();
  run(['init', '-q', '-b', 'main', `--object-format=${objectFormat}`, '.']);
  run(['config', 'gpg.program', fakeGpgProgram]);
  run(['config', 'user.signingkey', 'ABCDEF']);
  return {
    dir,
    run,
    runRaw,
    catFile: (type, rev) => runRaw(['cat-file', type, rev]),
    hashObject: (type, content) => run(['hash-object', '-t', type, '-w', '--stdin', '--literally'], content),
    fsckErrors: () => {
      const result = spawnSync('git', ['fsck', '--strict', '--no-dangling', '--no-progress'], { cwd: dir, env, encoding: 'utf8' });
      const errors = new Map<string, string>();
      // "error in commit <id>: <problem>", "error: bogus commit object <id>", "error: <id>: object could not be parsed"
      for (const match of `${result.stdout}${result.stderr}`.matchAll(/^error\b.*?\b([0-9a-f]{64}|[0-9a-f]{40})\b:? ?(.*)$/gm)) {
        if (!match[0].includes('broken link') && !errors.has(match[1]!)) errors.set(match[1]!, match[0]);
      }
      return errors;
    },
    fakeGpgProgram,
  };
}

/** A malformed object: a name, its content, and whether git fsck --strict lets it pass. */
export type MalformedObject = [name: string, content: string | Buffer, stricter?: 'stricter than git'];

/**
 * Checks that `parse` refuses every malformed object with `code`, and that git fsck --strict
 * refuses the same objects, except those marked as where we are stricter than git.
 */
export function expectRefusedLikeGit(
  t: Test,
  type: 'commit' | 'tree' | 'tag',
  cases: readonly MalformedObject[],
  parse: (content: Buffer) => unknown,
  code: PackParserErrorCode,
): void {
  const scratch = createGitObjectRepo();
  const contents = cases.map(([, content]) => (Buffer.isBuffer(content) ? content : Buffer.from(content, 'latin1')));
  const ids = contents.map((content) => scratch.hashObject(type, content));
  const fsckErrors = scratch.fsckErrors();
  cases.forEach(([name, , stricter], i) => {
    let error: unknown;
    try {
      parse(contents[i]!);
    } catch (caught) {
      error = caught;
    }
    t.ok(isPackParserError(error, code), `${name}: ${String(error)}`);
    t.equal(fsckErrors.has(ids[i]!), stricter === undefined, `${name}: git fsck ${fsckErrors.get(ids[i]!) ?? 'accepts it'}`);
  });
}
