import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runGitHere, type GitRunOptions, type GitRunResult } from './git-run.js';

const LAUNCHER_PATH = fileURLToPath(new URL(`./git-launcher-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** What the gateway passes when it forks the launcher's file. */
export const LAUNCHER_ARGUMENT = '--gitgate-git-launcher';

export interface LauncherRequest {
  id: number;
  args: readonly string[];
  options: GitRunOptions;
}

export type LauncherReply = { kind: 'done'; id: number; result: GitRunResult } | { kind: 'failed'; id: number; message: string };

interface PendingRun {
  resolve: (result: GitRunResult) => void;
  reject: (error: Error) => void;
}

/**
 * Starts git through a small process of its own. node starts a child by forking the whole process,
 * which copies its page tables: the gateway, at 150-250 MB, stopped for 3-8 ms per git it started
 * (measured in the gateway: median 4.9 ms at 188 MB), and served nothing meanwhile. The launcher
 * holds about 40 MB, most of it node's own code, and forks in under a millisecond. It is started
 * with the first run and again after it failed; a run it was doing when it failed fails with it.
 */
export class GitLauncher {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, PendingRun>();
  private nextId = 0;
  private closed = false;

  /** The launcher's process id, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitRunResult> {
    if (this.closed) return Promise.reject(new Error('the git launcher is closed'));
    const child = this.started();
    const id = this.nextId++;
    return new Promise<GitRunResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.keepAlive(child, true);
      const request: LauncherRequest = { id, args, options: { ...options, env: options.env ?? process.env } };
      child.send(request, (error) => {
        if (error !== null) this.settle(id, (run) => run.reject(new Error(`cannot hand git ${args[0] ?? ''} to the git launcher: ${error.message}`)));
      });
    });
  }

  /** Stops the launcher (what it still runs is stopped too); later runs fail. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    if (child.connected) child.disconnect();
    const forced = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(forced);
    this.failAll('the git launcher was closed');
  }

  /** Starts the launcher process now rather than with the first run (which would wait for it). */
  start(): void {
    if (!this.closed) this.started();
  }

  private started(): ChildProcess {
    if (this.child !== undefined) return this.child;
    // No profiler or inspector flags: those are for the gateway itself.
    const execArgv = process.execArgv.filter((arg) => !/^--(cpu-prof|heap-prof|inspect|prof)/.test(arg));
    const child = fork(LAUNCHER_PATH, [LAUNCHER_ARGUMENT], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    child.on('message', (reply: LauncherReply) => {
      if (reply.kind === 'done') this.settle(reply.id, (run) => run.resolve({ ...reply.result, stdout: asBuffer(reply.result.stdout) }));
      else this.settle(reply.id, (run) => run.reject(new Error(reply.message)));
    });
    const lost = (reason: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.failAll(reason);
    };
    child.on('error', (error) => lost(`the git launcher failed: ${error.message}`));
    child.on('exit', (code, signal) => lost(`the git launcher exited (${signal ?? `code ${code}`})`));
    this.keepAlive(child, false);
    return child;
  }

  private settle(id: number, finish: (run: PendingRun) => void): void {
    const run = this.pending.get(id);
    if (run === undefined) return;
    this.pending.delete(id);
    finish(run);
    if (this.pending.size === 0 && this.child !== undefined) this.keepAlive(this.child, false);
  }

  private failAll(reason: string): void {
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const run of runs) run.reject(new Error(`${reason} before git finished`));
  }

  /** While runs are pending the launcher keeps node running; idle, it does not hold a finished program open. */
  private keepAlive(child: ChildProcess, keep: boolean): void {
    const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    if (keep) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
    }
  }
}

/** Bytes as they arrive through the launcher's channel (a Uint8Array view), without a copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

let launcher: GitLauncher | undefined;
let launcherUsers = 0;

/**
 * From now on git runs go through a launcher process, until every caller has called the release
 * function it got (a long-running gateway does so at start and at close).
 */
export function useGitLauncher(): () => Promise<void> {
  launcher ??= new GitLauncher();
  launcher.start();
  launcherUsers++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--launcherUsers > 0) return;
    const current = launcher;
    launcher = undefined;
    await current?.close();
  };
}

/**
 * Runs git to its end: through the launcher when `useGitLauncher` was called, else from this
 * process (short-lived commands, where starting a launcher would cost more than it saves).
 */
export function runGitProcess(args: readonly string[], options: GitRunOptions = {}): Promise<GitRunResult> {
  return launcher !== undefined ? launcher.run(args, options) : runGitHere(args, options);
}
