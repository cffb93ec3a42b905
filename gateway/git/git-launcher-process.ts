// The gateway's git launcher: a small process of its own that starts git for the gateway
// (git-launcher.ts). Forking it costs little; forking the gateway costs milliseconds per
// hundred MB it holds, during which the gateway serves nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { gitCommandOf, runGitHere, type GitRunOptions } from './git-run.js';
import { asBuffer, LAUNCHER_ARGUMENT, type LauncherReply, type LauncherRequest } from './git-launcher.js';

// Started by anything else (a test runner listing files), it leaves at once.
if (process.send === undefined || !process.argv.includes(LAUNCHER_ARGUMENT)) {
  process.exit(0);
}

/** Runs to their end: stopped through their abort controllers. */
const runs = new Map<number, AbortController>();
/** Started gits, until they exit. */
const started = new Map<number, ChildProcess>();

function reply(message: LauncherReply): void {
  // After a disconnect nobody waits for the answer.
  if (process.connected) process.send?.(message);
}

/** One of a started git's streams: a connection to the gateway's socket, opened by the line naming it. */
function streamConnection(path: string, header: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(header, (error) => (error ? reject(error) : resolve(socket))));
  });
}

async function startGit(request: Extract<LauncherRequest, { kind: 'start' }>): Promise<void> {
  let sockets: Socket[] = [];
  try {
    sockets = await Promise.all([0, 1, 2].map((stream) => streamConnection(request.socketPath, `${request.token}${stream}\n`)));
    // spawn returns once git has been executed (or failed to be): its copies of the connections are
    // its own, and these can be closed.
    const child = spawn('git', request.args, { stdio: sockets, env: request.env });
    started.set(request.id, child);
    child.once('spawn', () => reply({ kind: 'started', id: request.id, pid: child.pid! }));
    child.once('error', (error) => {
      if (child.pid === undefined) reply({ kind: 'failed', id: request.id, message: `cannot run git ${gitCommandOf(request.args)}: ${error.message}` });
    });
    child.once('exit', (code, signal) => {
      started.delete(request.id);
      reply({ kind: 'exited', id: request.id, exit: { code, signal } });
    });
  } catch (error) {
    reply({ kind: 'failed', id: request.id, message: `cannot connect git ${gitCommandOf(request.args)} to the gateway: ${(error as Error).message}` });
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

process.on('message', (request: LauncherRequest) => {
  if (request.kind === 'run') {
    const options: GitRunOptions = { ...request.options, ...(request.options.input instanceof Uint8Array ? { input: asBuffer(request.options.input) } : {}) };
    const controller = new AbortController();
    runs.set(request.id, controller);
    runGitHere(request.args, options, controller.signal)
      .then(
        (result) => reply({ kind: 'done', id: request.id, result }),
        (error: unknown) => reply({ kind: 'failed', id: request.id, message: (error as Error).message }),
      )
      .finally(() => runs.delete(request.id));
  } else if (request.kind === 'start') {
    void startGit(request);
  } else {
    runs.get(request.id)?.abort();
    started.get(request.id)?.kill(request.signal);
  }
});

// The gateway is gone (or closed the channel): stop what still runs, then end.
process.on('disconnect', () => {
  for (const controller of runs.values()) controller.abort();
  for (const child of started.values()) child.kill();
  setTimeout(() => process.exit(0), 100).unref();
});
