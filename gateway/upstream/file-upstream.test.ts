import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { git } from '../../testdata/git-cli.js';
import { FileUpstream } from './file-upstream.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-file-upstream-'));
const gitDir = join(root, 'demo.git');
git(['init', '-q', '--bare', '-b', 'main', gitDir], { cwd: root });
const emptyTree = git(['hash-object', '-t', 'tree', '-w', '--stdin'], { cwd: gitDir, input: '' }).toString().trim();
const head = git(['commit-tree', '-m', 'first', emptyTree], { cwd: gitDir }).toString().trim();
git(['update-ref', 'refs/heads/main', head], { cwd: gitDir });
const upstream = new FileUpstream(gitDir);

const v0 = { gitProtocol: undefined, userAgent: 'git/2.47.3' };
const v2 = { ...v0, gitProtocol: 'version=2' };
const pkt = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
const lsRefs = `${pkt('command=ls-refs\n')}0001${pkt('ref-prefix refs/heads/\n')}0000`;

async function readAll(body: Readable): Promise<string> {
  let text = '';
  for await (const chunk of body) text += (chunk as Buffer).toString('latin1');
  return text;
}

t.test('gzip ls-refs requests all complete while git closes its stdin as it exits', async (t) => {
  // git answers ls-refs and exits; its stdin may close before our end of the pipe has finished.
  // That race used to destroy about one response in twenty-five at this concurrency.
  const request = gzipSync(lsRefs);
  const failures: string[] = [];
  let answered = 0;
  for (let round = 0; round < 50; round++) {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const response = await upstream.rpc('git-upload-pack', Readable.from([request]), { ...v2, contentEncoding: 'gzip' });
        try {
          if ((await readAll(response.body)).includes(`${head} refs/heads/main`)) answered++;
        } catch (error) {
          failures.push((error as NodeJS.ErrnoException).code ?? (error as Error).message);
        }
      }),
    );
  }
  t.same(failures, []);
  t.equal(answered, 400);
});

t.test('a fetch whose request runs on past "done" is served from git\'s answer and exit status', async (t) => {
  const request = `${pkt(`want ${head} ofs-delta\n`)}0000${pkt('done\n')}${'0000'.repeat(256 * 1024)}`;
  const response = await upstream.rpc('git-upload-pack', Readable.from([Buffer.from(request)]), v0);
  t.match(await readAll(response.body), /PACK/);
});

t.test('a request body that fails (the client went away) stops git and fails the response', async (t) => {
  const body = new PassThrough();
  const response = await upstream.rpc('git-upload-pack', body, v0);
  body.write(pkt(`want ${head}\n`));
  body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  await t.rejects(readAll(response.body), { code: 'ECONNRESET' });
});

t.test('a request that is not gzip although it says so fails the response', async (t) => {
  const response = await upstream.rpc('git-upload-pack', Readable.from([Buffer.from(lsRefs)]), { ...v2, contentEncoding: 'gzip' });
  await t.rejects(readAll(response.body), { code: 'Z_DATA_ERROR' });
});

t.test('git refusing the request fails the response with its exit status', async (t) => {
  const response = await upstream.rpc('git-upload-pack', Readable.from([Buffer.from(`${pkt('want 0123456789012345678901234567890123456789\n')}0000${pkt('done\n')}`)]), v0);
  await t.rejects(readAll(response.body), { code: 'UPSTREAM_FAILED', message: /git git-upload-pack in the upstream repository exited 128/ });
});
