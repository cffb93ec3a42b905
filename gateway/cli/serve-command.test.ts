import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { capturedIO } from './captured-io.js';
import { runServe } from './serve-command.js';
import { defaultConfig } from '../config/load-config.js';
import { GitClient } from '../e2e/git-client.js';

/** `gitgate serve` on the demo defaults in a new directory, on a free port, until it has printed the clone command. */
async function serveDemo(name: string) {
  const cwd = mkdtempSync(join(tmpdir(), name));
  const base = defaultConfig(cwd);
  const config = { ...base, listen: { ...base.listen, port: 0 } };
  const io = capturedIO();
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const logs: string[] = [];
  const running = runServe(config, io, { requested: stopped }, { logDestination: new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }) });
  while (!io.out.includes('git clone')) await new Promise((resolve) => setTimeout(resolve, 50));
  return { cwd, config, io, logs, running, stop };
}

t.test('without a config: demo upstream and token, and the printed clone command works', async (t) => {
  const { cwd, io, logs, running, stop } = await serveDemo('gitgate-serve-');
  const lines = io.out.split('\n');
  t.match(lines[0], /^gitgate is ready on http:\/\/127\.0\.0\.1:\d+ \(embedded demo defaults; data in .*\.gitgate-data\)$/);
  t.match(lines[2], /config: none given/);
  const port = new URL(/ready on (\S+)/.exec(lines[0]!)![1]!).port;
  t.match(lines[3], `gitgate approvals list --url http://127.0.0.1:${port} | approve <id> --url http://127.0.0.1:${port}`, 'off the default port, the approver is told where the gateway is');
  const command = /git clone (\S+)/.exec(lines[1]!)![1]!;
  const git = new GitClient();
  const clone = await git.run(['clone', command, 'hello'], cwd);
  t.equal(clone.code, 0, clone.stderr);
  t.match(await git.ok(['log', '--oneline'], join(cwd, 'hello')), /Document how to run it/);
  stop();
  t.equal(await running, 0);
  t.match(io.err, /shutting down/);
  t.match(logs.join(''), /gitgate listening/);
  t.notMatch(logs.join(''), /ggt_/, 'the token is never logged');
});

t.test('a shutdown that cannot close the audit log says so and exits 1, without a stack trace', async (t) => {
  const { config, io, running, stop } = await serveDemo('gitgate-serve-unclean-');
  // The audit directory vanishes under the running gateway (a volume unmounted, a cleanup gone wrong).
  rmSync(config.audit.directory, { recursive: true, force: true });
  stop();
  t.equal(await running, 1);
  t.match(io.err, /gitgate: stopped, but the shutdown did not finish cleanly: .*ENOENT.*\. Check the data directory; gitgate audit verify reports what the audit log lacks/);
  t.notMatch(io.err, /\n\s+at /);
});
