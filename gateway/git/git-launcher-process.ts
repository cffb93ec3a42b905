// The gateway's git launcher: a small process of its own that starts git for the gateway
// (git-launcher.ts). Forking it costs little; forking the gateway costs milliseconds per
// hundred MB it holds, during which the gateway serves nothing.
import { runGitHere, type GitRunOptions } from './git-run.js';
import { asBuffer, LAUNCHER_ARGUMENT, type LauncherReply, type LauncherRequest } from './git-launcher.js';

// Started by anything else (a test runner listing files), it leaves at once.
if (process.send === undefined || !process.argv.includes(LAUNCHER_ARGUMENT)) {
  process.exit(0);
}

const stopAll = new AbortController();

function reply(message: LauncherReply): void {
  // After a disconnect nobody waits for the answer.
  if (process.connected) process.send?.(message);
}

process.on('message', (request: LauncherRequest) => {
  const options: GitRunOptions = { ...request.options, ...(request.options.input instanceof Uint8Array ? { input: asBuffer(request.options.input) } : {}) };
  runGitHere(request.args, options, stopAll.signal).then(
    (result) => reply({ kind: 'done', id: request.id, result }),
    (error: unknown) => reply({ kind: 'failed', id: request.id, message: (error as Error).message }),
  );
});

// The gateway is gone (or closed the channel): stop what still runs, then end.
process.on('disconnect', () => {
  stopAll.abort();
  setTimeout(() => process.exit(0), 100).unref();
});
