import t from 'tap';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JsonMaskingStream } from './json-masking-stream.js';
import { SecretMasker } from './secret-masker.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';

const token = fakeGithubToken(31);
const masker = new SecretMasker(builtinScanner());

async function run(chunks: Buffer[], options = {}): Promise<string> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new JsonMaskingStream(masker, options), async function* (source) {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return Buffer.concat(out).toString('utf8');
}

const document = JSON.stringify({
  message: `token ${token} leaked`,
  escaped: `quote \" and \\ and ${token}`,
  list: [1, true, null, 'plain', { [`key-${token}`]: 'v' }],
  content: Buffer.from(`A=1\nTOKEN=${token}\n`).toString('base64'),
  unicode: 'héllo ✓',
});

t.test('string values are masked, everything else is byte-identical, at any chunking', async (t) => {
  const expected = JSON.stringify(masker.maskValue(JSON.parse(document)));
  const whole = await run([Buffer.from(document)]);
  t.same(JSON.parse(whole), JSON.parse(expected.replace(`key-${token}`, `key-${token}`)));
  t.notMatch(JSON.parse(whole).message, token);
  const bytes = Buffer.from(document);
  for (const size of [1, 2, 3, 7, 64]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    t.equal(await run(chunks), whole, `chunks of ${size}`);
  }
  const clean = JSON.stringify({ a: 'x', b: [1, 2, { c: 'd\\n' }], e: 1.5e3 }, null, 2);
  t.equal(await run([Buffer.from(clean)]), clean, 'unchanged documents pass through byte for byte');
});

t.test('the base64 content field comes back masked', async (t) => {
  const out = JSON.parse(await run([Buffer.from(document)])) as { content: string };
  t.match(Buffer.from(out.content, 'base64').toString(), 'TOKEN=[REDACTED:github-pat]');
});

t.test('a string over the bound is replaced, not passed through', async (t) => {
  const big = JSON.stringify({ blob: `${'a'.repeat(5000)} ${token}`, after: 'ok' });
  t.same(JSON.parse(await run([Buffer.from(big)], { maxStringBytes: 1000 })), { blob: '[gitgate: value too large to mask]', after: 'ok' });
});

t.test('a large response streams through without being buffered whole', async (t) => {
  const items = 20_000;
  async function* source() {
    yield Buffer.from('[');
    for (let i = 0; i < items; i++) yield Buffer.from(`${i ? ',' : ''}{"id":${i},"body":"comment ${i === 777 ? token : 'plain'}"}`);
    yield Buffer.from(']');
  }
  const stream = new JsonMaskingStream(masker);
  let outBytes = 0;
  let masked = 0;
  let maxBuffered = 0;
  await pipeline(Readable.from(source()), stream, async function* (s) {
    for await (const chunk of s) {
      outBytes += (chunk as Buffer).length;
      if ((chunk as Buffer).includes('[REDACTED:github-pat]')) masked++;
      maxBuffered = Math.max(maxBuffered, stream.readableLength);
    }
  });
  t.equal(masked, 1);
  t.ok(outBytes > items * 30);
  t.ok(maxBuffered < 64 * 1024, 'output is emitted as input arrives');
});
