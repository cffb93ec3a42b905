import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { GitClient } from '../e2e/git-client.js';
import { TokenStore } from '../identity/token-store.js';
import { auditEvents, JsonlSegmentStore, loadPublicKey, pendingForwards, verifyAuditChain, type AuditEvent } from './index.js';

/**
 * kill -9 of a real gateway process while several real `git push`es are in flight; restart;
 * the chain verifies, and every ref update that landed upstream has its intent and its outcome.
 */
const git = new GitClient();
const PUSHES = 6;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `gitgate serve` in its own process, run by the same node and TypeScript loader as this test. */
function startGatewayProcess(configFile: string): Promise<{ child: ChildProcess; output: () => string }> {
  const loaderArgs = process.execArgv.filter((arg) => arg.includes('typescript') || arg === '--enable-source-maps');
  const child = spawn(process.execPath, [...loaderArgs, join(import.meta.dirname, '..', 'cli.ts'), 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 120_000);
    const check = () => {
      if (output.includes('gitgate is ready')) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited ${code}:\n${output}`));
    });
  });
}

function forwardsIn(directory: string): number {
  const segments = join(directory, 'segments');
  let count = 0;
  try {
    for (const name of readdirSync(segments)) if (name.endsWith('.jsonl')) count += readFileSync(join(segments, name), 'utf8').split('"type":"upstream.forward"').length - 1;
  } catch {
    return 0;
  }
  return count;
}

/** Waits (up to 30 s) until no `git receive-pack` of this upstream repository runs any more. */
async function waitForNoReceivePack(gitDir: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const running = readdirSync('/proc').some((pid) => {
      if (!/^[0-9]+$/.test(pid)) return false;
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args.includes('receive-pack') && args.some((arg) => arg.includes(gitDir));
      } catch {
        return false; // gone meanwhile
      }
    });
    if (!running) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

t.test('kill -9 with pushes in flight, restart: chain intact, every landed update has intent and outcome', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gitgate-crash-'));
  const upstreamDir = join(root, 'upstream');
  mkdirSync(upstreamDir);
  const upstreamGitDir = ensureDemoRepository(upstreamDir);
  const port = await freePort();
  const configFile = join(root, 'gitgate.yaml');
  writeFileSync(configFile, `listen: { host: 127.0.0.1, port: ${port} }\ndata_dir: data\nupstreams:\n  - { type: file, name: local, path: upstream }\n`);
  const { token } = new TokenStore(join(root, 'gitgate-tokens.json')).create('agent-crash', ['agents']);
  const remote = `http://agent:${token}@127.0.0.1:${port}/demo/hello.git`;
  const auditDirectory = join(root, 'data', 'audit');

  let gateway = await startGatewayProcess(configFile);
  // One clone per pusher, each with a commit on its own branch, large enough to take a moment.
  const clones: string[] = [];
  for (let i = 0; i < PUSHES; i++) {
    const clone = join(root, `clone-${i}`);
    await git.ok(['clone', '-q', remote, clone], root);
    await git.ok(['config', 'user.name', `Pusher ${i}`], clone);
    await git.ok(['config', 'user.email', `pusher-${i}@example.com`], clone);
    await git.ok(['checkout', '-q', '-b', `crash/${i}`], clone);
    mkdirSync(join(clone, 'assets'), { recursive: true });
    writeFileSync(join(clone, 'assets', `data-${i}.txt`), `${randomBytes(1536 * 1024).toString('base64')}\n`);
    await git.ok(['add', '.'], clone);
    await git.ok(['commit', '-q', '-m', `Add data ${i}`], clone);
    clones.push(clone);
  }
  const before = forwardsIn(auditDirectory);
  const pushes = clones.map((clone, i) => git.run(['push', '-q', 'origin', `crash/${i}`], clone));
  // Kill as soon as two updates have landed upstream (their outcome is usually not written yet),
  // while the other pushes are still being received, inspected or forwarded.
  // New refs are loose files: reading the directory reacts within a millisecond, where running
  // git for-each-ref took long enough on a loaded machine for every push to land before the kill.
  const landedCount = (): number => {
    try {
      return readdirSync(join(upstreamGitDir, 'refs', 'heads', 'crash')).filter((name) => !name.endsWith('.lock')).length;
    } catch {
      return 0;
    }
  };
  for (let i = 0; i < 15000 && landedCount() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  gateway.child.kill('SIGKILL');
  t.ok(forwardsIn(auditDirectory) - before >= 2, 'intents were written before the kill');
  const results = await Promise.all(pushes);
  const succeeded = results.filter((r) => r.code === 0).length;
  t.ok(results.some((r) => r.code !== 0), `some pushes were cut by the kill (${succeeded} of ${PUSHES} completed)`);

  // The upstream's receive-pack of a cut push is the killed gateway's child and may still finish
  // its ref update after the kill: wait until no such process is left before reading what landed.
  await waitForNoReceivePack(upstreamGitDir);
  const landedRefs = new Map<string, string>();
  for (const line of (await git.ok(['--git-dir', upstreamGitDir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/crash/'], root)).split('\n')) {
    const [ref, id] = line.split(' ');
    if (ref && id) landedRefs.set(ref, id);
  }
  t.ok(landedRefs.size >= 1, `${landedRefs.size} ref update(s) landed upstream before the kill`);

  // Restart: the torn tail (if any) is moved aside, intents without outcome are reconciled.
  gateway = await startGatewayProcess(configFile);
  await new Promise<void>((resolve) => {
    gateway.child.once('exit', () => resolve());
    gateway.child.kill('SIGTERM');
  });

  const store = new JsonlSegmentStore({ directory: auditDirectory });
  const verification = await verifyAuditChain(store, loadPublicKey(readFileSync(join(auditDirectory, 'checkpoint-key.pem.pub'), 'utf8')));
  t.same(verification.problems, [], 'the chain verifies after the crash');
  t.equal(verification.unsignedTail, 0);
  t.same(await pendingForwards(store), [], 'no intent is left without an outcome');

  const events: AuditEvent[] = [];
  for await (const event of auditEvents(store)) events.push(event);
  for (const [ref, id] of landedRefs) {
    const intent = events.find((e) => e.type === 'upstream.forward' && (e.data['commands'] as { ref: string; new: string }[]).some((c) => c.ref === ref && c.new === id));
    t.ok(intent, `${ref} landed and has its synced intent`);
    const outcome = events.find((e) => e.type === 'upstream.result' && e.request_id === intent?.request_id);
    t.ok(outcome, `${ref} has its outcome${outcome?.data['reconciled'] === true ? ' (reconciled at restart)' : ''}`);
    t.ok((outcome?.data['landed'] as string[] | undefined)?.includes(ref), `the outcome says ${ref} landed`);
  }
  // Outcomes written by reconciliation say what the upstream showed.
  const reconciled = events.filter((e) => e.type === 'upstream.result' && e.data['reconciled'] === true);
  t.comment(`${reconciled.length} outcome(s) written by reconciliation at restart; ${succeeded} push(es) completed before the kill`);
  for (const outcome of reconciled) {
    for (const ref of outcome.data['refs'] as { ref: string; state: string; found: string }[]) {
      t.equal(ref.state === 'landed', landedRefs.get(ref.ref) === ref.found, `reconciled ${ref.ref}: ${ref.state}`);
    }
  }
  t.ok(events.some((e) => e.type === 'audit.lifecycle' && e.data['event'] === 'gateway-started'), 'restart recorded');
});
