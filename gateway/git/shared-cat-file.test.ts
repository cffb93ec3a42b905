import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { closeIdleCatFiles, leaseCatFile } from './shared-cat-file.js';

const env = hermeticGitEnv();
const repo = mkdtempSync(join(tmpdir(), 'gitgate-shared-cat-file-'));
git(['init', '-q', '--bare', repo], { cwd: repo, env });
const write = (content: string) => git(['hash-object', '-w', '--stdin'], { cwd: repo, env, input: content }).toString().trim();
t.teardown(() => closeIdleCatFiles());

t.test('pushes share one process; it finds objects added after it started', async (t) => {
  const first = write('first\n');
  const a = leaseCatFile(repo);
  const b = leaseCatFile(repo);
  t.equal((await a.read(first))?.content.toString(), 'first\n');
  t.ok(a.pid !== undefined && a.pid === b.pid, 'one process for both');
  // Added while the process runs: as a loose object and in a new pack.
  const loose = write('loose later\n');
  const packed = write('packed later\n');
  git(['repack', '-q', '-d'], { cwd: repo, env });
  t.equal((await b.read(loose))?.content.toString(), 'loose later\n');
  t.equal((await b.read(packed))?.content.toString(), 'packed later\n');
  t.equal(await a.read('0'.repeat(40)), undefined, 'missing');
  a.close();
  b.close();
  const c = leaseCatFile(repo);
  t.equal(c.pid, a.pid, 'reused after the others are done');
  c.close();
});

t.test('a process that died is replaced; reads through it fail instead of hanging', async (t) => {
  const id = write('again\n');
  const lease = leaseCatFile(repo);
  await lease.read(id); // started
  const pid = lease.pid!;
  process.kill(pid, 'SIGKILL');
  await t.rejects(lease.read(id), /stopped/);
  lease.close();
  const fresh = leaseCatFile(repo);
  t.not(fresh.pid, pid, 'a new process');
  t.equal((await fresh.read(id))?.content.toString(), 'again\n');
  fresh.close();
});
