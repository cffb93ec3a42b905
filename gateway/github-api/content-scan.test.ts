import t from 'tap';
import { builtinScanner, fakeGithubToken } from '../secrets/test-helpers.js';
import { scanWrittenContent } from './content-scan.js';
import { zipOf } from '../../testdata/secrets/archive-fixtures.js';

// A body may carry up to max_body_bytes (32 MiB by default): text over the scanner's 1 MiB is
// scanned too, in slices, rather than written to GitHub unread.
const bigText = (token: string) => `${'const filler = compute(); // ordinary line\n'.repeat(60_000)}key = "${token}"\n`;
const noOldBlob = async () => undefined;

t.test('a file of more than 1 MiB written through the contents API is scanned', async (t) => {
  const text = bigText(fakeGithubToken(21));
  t.ok(text.length > 2 * 1024 * 1024);
  const findings = await scanWrittenContent('/repos/{owner}/{repo}/contents/{path}', 'PUT', { path: 'big.js' }, { message: 'm', content: Buffer.from(text).toString('base64') }, builtinScanner(), noOldBlob);
  t.same(findings?.map((f) => [f.path, f.line, f.rule]), [['big.js', 60_001, 'github-pat']]);
});

t.test('a large blob and a large inline tree entry are scanned', async (t) => {
  const blob = await scanWrittenContent('/repos/{owner}/{repo}/git/blobs', 'POST', {}, { content: bigText(fakeGithubToken(22)), encoding: 'utf-8' }, builtinScanner(), noOldBlob);
  t.equal(blob?.length, 1);
  const tree = await scanWrittenContent('/repos/{owner}/{repo}/git/trees', 'POST', {}, { tree: [{ path: 'a/big.txt', mode: '100644', type: 'blob', content: bigText(fakeGithubToken(23)) }] }, builtinScanner(), noOldBlob);
  t.same(tree?.map((f) => f.path), ['a/big.txt']);
});

t.test('an update of a large file reports only secrets on lines it adds', async (t) => {
  const old = bigText(fakeGithubToken(24));
  const updated = `${old}one more line\n`;
  const findings = await scanWrittenContent('/repos/{owner}/{repo}/contents/{path}', 'PUT', { path: 'big.js' }, { message: 'm', sha: 'a'.repeat(40), content: Buffer.from(updated).toString('base64') }, builtinScanner(), async () => Buffer.from(old));
  t.same(findings, [], 'the secret was already there');
});

t.test('a zip archive written through the contents API has its files scanned; one that cannot be read is refused', async (t) => {
  const zip = await zipOf({ 'config/.env': `TOKEN=${fakeGithubToken(25)}\n` });
  const findings = await scanWrittenContent('/repos/{owner}/{repo}/contents/{path}', 'PUT', { path: 'bundle.zip' }, { message: 'm', content: zip.toString('base64') }, builtinScanner(), noOldBlob);
  t.same(findings?.map((f) => [f.path, f.line, f.rule]), [['bundle.zip!config/.env', 1, 'github-pat']]);
  const tooDeep = builtinScanner({ archives: { maxDepth: 1 } });
  const nested = await zipOf({ 'inner.zip': zip });
  await t.rejects(
    scanWrittenContent('/repos/{owner}/{repo}/git/blobs', 'POST', {}, { content: nested.toString('base64'), encoding: 'base64' }, tooDeep, noOldBlob),
    { name: 'GitHubApiError', code: 'API_CONTENT_UNINSPECTABLE', status: 422, message: '(blob)!inner.zip: it is an archive inside 1 others, deeper than gitgate reads; gitgate sends nothing to GitHub that it could not inspect for secrets' },
  );
});
