import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { scanLines } from './added-lines.js';
import { scanLargeText } from './large-text-scan.js';
import { SecretsError } from './errors.js';
import type { FileScanResult, SecretScanner } from './secret-scanner.js';

/** The added lines of one file in one commit, from `git log -p -U0`. */
export interface AddedLinesOfCommit {
  commit: string;
  path: string;
  lines: number[];
  binary: boolean;
}

const COMMIT_MARKER = 'gitgate-commit ';
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Undoes git's C-style quoting of unusual paths (`"a\tb"`, octal escapes for non-ASCII bytes). */
export function unquoteGitPath(path: string): string {
  if (!path.startsWith('"') || !path.endsWith('"')) return path;
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  const body = path.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1]!;
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function runGitLines(repo: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, '-c', 'core.quotePath=false', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine);
    child.on('error', (error) => reject(new SecretsError('SECRETS_GIT_FAILED', `cannot run git: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new SecretsError('SECRETS_GIT_FAILED', `git ${args[0]} failed in ${repo} (exit ${code}): ${stderr.trim()}`));
    });
  });
}

/** Every added line of a commit range, per commit and file (merge commits carry no patch of their own). */
export async function addedLinesOfRange(repo: string, range: string): Promise<AddedLinesOfCommit[]> {
  const out: AddedLinesOfCommit[] = [];
  let commit = '';
  let current: AddedLinesOfCommit | undefined;
  let nextLine = 0;
  // Lines still expected in the current hunk: inside a hunk, '+++ x' is content, not a header.
  let removedLeft = 0;
  let addedLeft = 0;
  await runGitLines(
    repo,
    [
      'log', '--reverse', `--format=${COMMIT_MARKER}%H`, '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv',
      '--src-prefix=a/', '--dst-prefix=b/', '--diff-filter=ACMR', range, '--',
    ],
    (line) => {
      if (removedLeft > 0 || addedLeft > 0) {
        if (line.startsWith('+') && addedLeft > 0) {
          addedLeft--;
          current?.lines.push(nextLine++);
        } else if (line.startsWith('-') && removedLeft > 0) removedLeft--;
        return; // '\ No newline at end of file' and the like
      }
      if (line.startsWith(COMMIT_MARKER)) {
        commit = line.slice(COMMIT_MARKER.length);
        current = undefined;
      } else if (line.startsWith('diff --git ')) {
        current = { commit, path: '', lines: [], binary: false };
        out.push(current);
      } else if (current === undefined) {
        return;
      } else if (line.startsWith('+++ ')) {
        // git ends the name with a tab when it contains a space (for GNU patch).
        const path = unquoteGitPath(line.slice(4).replace(/\t$/, ''));
        current.path = path.startsWith('b/') ? path.slice(2) : path;
      } else if (line.startsWith('Binary files ')) {
        current.binary = true;
        const match = / and (.*) differ$/.exec(line);
        if (match && current.path === '') current.path = unquoteGitPath(match[1]!).replace(/^b\//, '');
      } else {
        const hunk = HUNK_HEADER.exec(line);
        if (hunk) {
          removedLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
          addedLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
          nextLine = Number(hunk[3]);
        }
      }
    },
  );
  return out.filter((entry) => entry.path !== '' && (entry.binary || entry.lines.length > 0));
}

/** Reads objects through one long-lived `git cat-file --batch`. */
class CatFileBatch {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private closed = false;

  constructor(repo: string) {
    this.child = spawn('git', ['-C', repo, 'cat-file', '--batch']);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    this.child.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    this.child.stderr.resume();
  }

  private async need(predicate: () => boolean): Promise<void> {
    while (!predicate()) {
      if (this.closed) throw new SecretsError('SECRETS_GIT_FAILED', 'git cat-file --batch ended early');
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  async read(spec: string): Promise<Buffer | undefined> {
    this.child.stdin.write(`${spec}\n`);
    await this.need(() => this.buffered.includes(10));
    const headerEnd = this.buffered.indexOf(10);
    const header = this.buffered.subarray(0, headerEnd).toString();
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      this.buffered = this.buffered.subarray(headerEnd + 1);
      return undefined;
    }
    const size = Number(header.split(' ')[2]);
    await this.need(() => this.buffered.length >= headerEnd + 1 + size + 1);
    const content = Buffer.from(this.buffered.subarray(headerEnd + 1, headerEnd + 1 + size));
    this.buffered = this.buffered.subarray(headerEnd + 1 + size + 1);
    return content;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/**
 * `gitgate scan --git <repo> --range A..B`: findings on the added lines of every commit in the
 * range; binary files (as git calls them: UTF-16 text and archives too) and text over the
 * scanner's size limit are read whole. Files over `maxFileBytes` are reported as skipped.
 */
export async function scanGitRange(scanner: SecretScanner, repo: string, range: string, maxFileBytes = Infinity): Promise<FileScanResult[]> {
  const changes = await addedLinesOfRange(repo, range);
  const batch = new CatFileBatch(repo);
  try {
    const results: FileScanResult[] = [];
    for (const change of changes) {
      const content = await batch.read(`${change.commit}:${change.path}`);
      if (content === undefined) continue;
      if (content.length > maxFileBytes) {
        results.push({ path: change.path, commit: change.commit, bytes: content.length, findings: [], skipped: 'too-large' });
        continue;
      }
      if (change.binary || content.length > scanner.fileSizeLimit) {
        // As the gateway reads a pushed binary or large text: whole (in slices; UTF-16 text,
        // strings, the files of an archive), against the version in the first parent, so that
        // what it held is not reported again.
        const oldContent = await batch.read(`${change.commit}^:${change.path}`);
        const whole = { path: change.path, newContent: content, commit: change.commit, ...(oldContent === undefined ? {} : { oldContent }) };
        // The event loop gets a turn between slices of a large file.
        results.push(await scanLargeText(scanner, whole, nextTurn));
        continue;
      }
      results.push(scanLines(scanner, { path: change.path, content, commit: change.commit }, change.lines));
    }
    return results;
  } finally {
    batch.close();
  }
}
