import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GitStreamSocket } from './git-stream-socket.js';
import { gitCommandOf, runGitHere, startGitHere, type GitChild, type GitChildOptions, type GitExit, type GitRunOptions, type GitRunResult } from './git-run.js';

const LAUNCHER_PATH = fileURLToPath(new URL(`./git-launcher-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** What the gateway passes when it forks the launcher's file. */
export const LAUNCHER_ARGUMENT = '--gitgate-git-launcher';

/** Longest a started git may take to be connected (its three streams) before the start fails. */
const START_LIMIT_MS = 10_000;

export type LauncherRequest =
  /** Run git to its end; answered `done` or `failed`. */
  | { kind: 'run'; id: number; args: readonly string[]; options: GitRunOptions }
  /** Start git with its streams connected to `socketPath`; answered `started` (or `failed`), then `exited`. */
  | { kind: 'start'; id: number; args: readonly string[]; env: NodeJS.ProcessEnv; socketPath: string; token: string }
  /** Stop a run or a started git. */
  | { kind: 'stop'; id: number; signal: NodeJS.Signals };

export type LauncherReply =
  | { kind: 'done'; id: number; result: GitRunResult }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'started'; id: number; pid: number }
  | { kind: 'exited'; id: number; exit: GitExit };

/** What waits for replies about one request. */
interface Pending {
  onReply(reply: LauncherReply): void;
  /** The launcher is gone: what was not answered fails with this reason. */
  onLost(reason: string): void;
  /** Whether it keeps the launcher's channel (and so node) running. */
  holdsChannel: boolean;
}

/** Bytes as they arrive through the launcher's channel (a Uint8Array view), without a copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Starts git through a small process of its own. node starts a child by forking the whole process,
 * which copies its page tables: the gateway, at 150-250 MB, stopped for 3-8 ms per git it started
 * (measured in the gateway: median 4.9 ms at 188 MB), and served nothing meanwhile. The launcher
 * holds about 40 MB, most of it node's own code, and forks in under two milliseconds without
 * stopping the gateway. It runs git to its end (`run`) or starts one whose standard streams come
 * to the gateway as local socket connections (`start`). Started again after it failed; what it was
 * doing when it failed fails with it.
 */
export class GitLauncher {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  /** Where started gits' streams connect (made with the first start). */
  private streams: GitStreamSocket | undefined;
  /** No socket could be made: git is started from the gateway itself instead. */
  private streamsUnavailable = false;

  /** The launcher's process id, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the launcher process now rather than with the first request (which would wait for it). */
  start(): void {
    if (!this.closed) this.started();
  }

  /** Runs git to its end; `signal` stops it (SIGTERM). */
  run(args: readonly string[], options: GitRunOptions = {}, signal?: AbortSignal): Promise<GitRunResult> {
    return new Promise<GitRunResult>((resolve, reject) => {
      const id = this.nextId++;
      const sent = this.send({ kind: 'run', id, args, options: { ...options, env: options.env ?? process.env } }, {
        holdsChannel: true,
        onReply: (reply) => {
          this.forget(id);
          if (reply.kind === 'done') resolve({ ...reply.result, stdout: asBuffer(reply.result.stdout) });
          else if (reply.kind === 'failed') reject(new Error(reply.message));
        },
        onLost: (reason) => reject(new Error(`${reason} before git finished`)),
      });
      if (sent) this.stopOnAbort(id, signal);
    });
  }

  /** Starts git with its standard streams connected to this process; rejects when it cannot be started. */
  startGit(args: readonly string[], options: GitChildOptions = {}): Promise<GitChild> {
    const streams = this.streamSocket();
    if (streams === undefined) return startGitHere(args, options);
    return new Promise<GitChild>((resolve, reject) => {
      const id = this.nextId++;
      let pid: number | undefined;
      let settled = false;
      let resolveExit: (exit: GitExit) => void = () => undefined;
      let rejectExit: (error: Error) => void = () => undefined;
      const exited = new Promise<GitExit>((res, rej) => ((resolveExit = res), (rejectExit = rej)));
      exited.catch(() => undefined); // a start that failed has nobody waiting for its exit
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(limit);
        streams.forget(token);
        return true;
      };
      const fail = (message: string) => {
        if (!settle()) return;
        for (const socket of sockets) socket?.destroy();
        this.forget(id);
        reject(new Error(message));
      };
      const connected = () => {
        if (settled || pid === undefined || sockets.some((socket) => socket === undefined)) return;
        settle();
        resolve(this.childOf(id, pid, sockets as Socket[], exited));
      };
      const { token, sockets } = streams.expect({
        arrived: connected,
        // The socket stopped accepting: this git is started here, as without a launcher.
        failed: () => {
          if (!settle()) return;
          this.stop(id, 'SIGKILL');
          this.forget(id);
          resolve(startGitHere(args, options));
        },
      });
      const limit = setTimeout(() => fail(`git ${gitCommandOf(args)} was not started within ${START_LIMIT_MS / 1000} s`), START_LIMIT_MS);
      const sent = this.send({ kind: 'start', id, args, env: options.env ?? process.env, socketPath: streams.path, token }, {
        holdsChannel: true,
        onReply: (reply) => {
          if (reply.kind === 'failed') fail(reply.message);
          else if (reply.kind === 'started') {
            pid = reply.pid;
            connected();
          } else if (reply.kind === 'exited') {
            this.forget(id);
            resolveExit(reply.exit);
          }
        },
        onLost: (reason) => {
          fail(`${reason} before git ${gitCommandOf(args)} started`);
          rejectExit(new Error(`${reason}: how git ${gitCommandOf(args)} ended is not known`));
          // A git left running has its streams closed: it reads the end of its input and stops.
          for (const socket of sockets) socket?.destroy();
        },
      });
      if (sent) this.stopOnAbort(id, options.signal);
    });
  }

  /** Stops the launcher (what it still runs is stopped too); later requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
      if (child.connected) child.disconnect();
      const forced = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(forced);
    }
    this.failAll('the git launcher was closed');
    this.streams?.close();
    this.streams = undefined;
  }

  /** A started git as its user sees it: the three connections, its exit, and stop requests. */
  private childOf(id: number, pid: number, [stdin, stdout, stderr]: Socket[], exited: Promise<GitExit>): GitChild {
    const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
    // git has exited and what it wrote has been read, as `close` of a child process means.
    const exit = Promise.all([exited, closed(stdout!), closed(stderr!)]).then(([how]) => how);
    exit.catch(() => undefined); // its user may not wait for it
    // git never writes to its standard input: reading it only sees the end, when git exits.
    stdin!.resume();
    stdin!.on('error', () => undefined);
    return {
      pid,
      stdin: stdin!,
      stdout: stdout!,
      stderr: stderr!,
      exit,
      kill: (signal = 'SIGTERM') => this.stop(id, signal),
      keepProcessAlive: (keep) => {
        for (const socket of [stdin!, stdout!, stderr!]) {
          if (keep) socket.ref();
          else socket.unref();
        }
        // Until it exits, its exit is awaited over the launcher's channel, as a child process holds node.
        const pending = this.pending.get(id);
        if (pending === undefined) return;
        pending.holdsChannel = keep;
        this.holdChannelWhileAwaited();
      },
    };
  }

  /** Hands a request to the launcher; false when it is closed (`onLost` has been called then). */
  private send(request: Exclude<LauncherRequest, { kind: 'stop' }>, pending: Pending): boolean {
    if (this.closed) {
      pending.onLost('the git launcher is closed');
      return false;
    }
    const child = this.started();
    this.pending.set(request.id, pending);
    this.holdChannelWhileAwaited();
    child.send(request, (error) => {
      if (error === null || !this.pending.has(request.id)) return;
      this.forget(request.id);
      pending.onLost(`cannot hand git ${gitCommandOf(request.args)} to the git launcher (${error.message})`);
    });
    return true;
  }

  /** Asks the launcher to stop a run or a started git (nothing when it is gone: so is what it started). */
  private stop(id: number, signal: NodeJS.Signals): void {
    if (this.child?.connected !== true || !this.pending.has(id)) return;
    this.child.send({ kind: 'stop', id, signal } satisfies LauncherRequest, () => undefined);
  }

  private stopOnAbort(id: number, signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    const stop = () => this.stop(id, 'SIGTERM');
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  }

  private forget(id: number): void {
    this.pending.delete(id);
    this.holdChannelWhileAwaited();
  }

  private started(): ChildProcess {
    if (this.child !== undefined) return this.child;
    // No profiler or inspector flags: those are for the gateway itself.
    const execArgv = process.execArgv.filter((arg) => !/^--(cpu-prof|heap-prof|inspect|prof)/.test(arg));
    const child = fork(LAUNCHER_PATH, [LAUNCHER_ARGUMENT], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    child.on('message', (reply: LauncherReply) => this.pending.get(reply.id)?.onReply(reply));
    const lost = (reason: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.failAll(reason);
    };
    child.on('error', (error) => lost(`the git launcher failed: ${error.message}`));
    child.on('exit', (code, signal) => lost(`the git launcher exited (${signal ?? `code ${code}`})`));
    this.holdChannelWhileAwaited();
    return child;
  }

  /** The socket started gits' streams connect to; undefined when none can be made (or it failed). */
  private streamSocket(): GitStreamSocket | undefined {
    if (this.streamsUnavailable || this.streams?.failed !== undefined) return undefined;
    try {
      this.streams ??= GitStreamSocket.open();
    } catch {
      this.streamsUnavailable = true; // no temporary directory to put it in, say
    }
    return this.streams;
  }

  private failAll(reason: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.onLost(reason);
  }

  /**
   * The launcher keeps node running while a request that holds the channel awaits its answer;
   * idle, it does not hold a finished program open.
   */
  private holdChannelWhileAwaited(): void {
    const child = this.child;
    if (child === undefined) return;
    const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    if ([...this.pending.values()].some((pending) => pending.holdsChannel)) {
      child.ref();
      channel?.ref();
    } else {
      child.unref();
      channel?.unref();
    }
  }
}

let launcher: GitLauncher | undefined;
let launcherUsers = 0;

/**
 * From now on git goes through a launcher process, until every caller has called the release
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
export function runGitProcess(args: readonly string[], options: GitRunOptions = {}, signal?: AbortSignal): Promise<GitRunResult> {
  return launcher !== undefined ? launcher.run(args, options, signal) : runGitHere(args, options, signal);
}

/** Starts git with its standard streams connected to this process: through the launcher when in use, else from here. */
export function startGit(args: readonly string[], options: GitChildOptions = {}): Promise<GitChild> {
  return launcher !== undefined ? launcher.startGit(args, options) : startGitHere(args, options);
}
