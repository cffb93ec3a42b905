import { startGit } from './git-launcher.js';
import type { GitChild } from './git-run.js';

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface GitObject {
  type: GitObjectType;
  content: Buffer;
}

/**
 * Reads objects from a local repository through one long-running `git cat-file --batch` process:
 * the base source for thin packs (`gitgate pack index --base-repo`) and for the upstream mirror.
 * Requests are answered in order; missing objects resolve to undefined.
 */
export class CatFileObjectSource {
  private child: GitChild | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly queue: { resolve: (o: GitObject | undefined) => void; reject: (e: Error) => void }[] = [];
  /** Requests written before git was started. */
  private unsent = '';
  private failure: Error | undefined;
  private keepAlive = true;
  private closing = false;

  constructor(readonly gitDir: string) {
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiter of this.queue.splice(0)) waiter.reject(this.failure);
    };
    startGit(['--git-dir', gitDir, 'cat-file', '--batch']).then(
      (child) => {
        this.child = child;
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
          this.drain();
        });
        child.stdin.on('error', (error) => fail(new Error(`git cat-file in ${gitDir} stopped reading: ${error.message}`)));
        child.exit.then(
          ({ code, signal }) => {
            if (this.queue.length > 0 || code !== 0) fail(new Error(`git cat-file in ${gitDir} stopped (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`));
          },
          (error: Error) => fail(new Error(`git cat-file in ${gitDir} stopped: ${error.message}`)),
        );
        child.keepProcessAlive(this.keepAlive);
        if (this.unsent.length > 0) child.stdin.write(this.unsent);
        this.unsent = '';
        if (this.closing) child.stdin.end();
      },
      (error: Error) => fail(new Error(`cannot run git cat-file in ${gitDir}: ${error.message}`)),
    );
  }

  /** The process id of git, once it has started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The process stopped or could not start: every read fails. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  read(id: string): Promise<GitObject | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id)) return Promise.reject(new Error(`not an object id: ${id}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      if (this.child !== undefined) this.child.stdin.write(`${id}\n`);
      else this.unsent += `${id}\n`;
    });
  }

  close(): void {
    this.closing = true;
    this.child?.stdin.end();
  }

  /**
   * Whether the process (and its pipes) keep node running. A shared process that waits idle for
   * the next push must not hold a finished program open.
   */
  keepProcessAlive(keep: boolean): void {
    this.keepAlive = keep;
    this.child?.keepProcessAlive(keep);
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const newline = this.buffered.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffered.subarray(0, newline).toString();
      if (header.endsWith(' missing')) {
        this.buffered = this.buffered.subarray(newline + 1);
        this.queue.shift()!.resolve(undefined);
        continue;
      }
      const [, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (this.buffered.length < newline + 1 + size + 1) return;
      const content = Buffer.from(this.buffered.subarray(newline + 1, newline + 1 + size));
      this.buffered = this.buffered.subarray(newline + 1 + size + 1);
      this.queue.shift()!.resolve({ type: type as GitObjectType, content });
    }
  }
}
