import t from 'tap';
import { SecretMasker } from './secret-masker.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';

const token = fakeGithubToken(21);
const masker = new SecretMasker(builtinScanner(), { knownSecrets: ['upstream-credential-value-42'] });

t.test('strings: secrets and known secrets replaced, the rest untouched', async (t) => {
  t.equal(masker.maskString(`push rejected: ${token} found`), 'push rejected: [REDACTED:github-pat] found');
  t.equal(masker.maskString('auth with upstream-credential-value-42 failed'), 'auth with [REDACTED:known-secret] failed');
  const clean = 'nothing to see here, just a long enough message';
  t.equal(masker.maskString(clean), clean);
  t.throws(() => masker.addKnownSecret('short'), RangeError);
});

t.test('objects: deep copy with masked strings, errors keep their class', async (t) => {
  class UpstreamError extends Error {
    readonly code = 'UPSTREAM';
  }
  const error = new UpstreamError(`bad token ${token}`, { cause: new Error(`inner ${token}`) });
  const input: Record<string, unknown> = { a: [`x ${token}`, 1, null], nested: { ok: true, err: error } };
  input['self'] = input;
  const masked = masker.maskValue(input);
  t.not(masked, input);
  t.same((masked['a'] as unknown[])[0], 'x [REDACTED:github-pat]');
  const maskedError = (masked['nested'] as { err: UpstreamError }).err;
  t.ok(maskedError instanceof UpstreamError);
  t.equal(maskedError.code, 'UPSTREAM');
  t.equal(maskedError.message, 'bad token [REDACTED:github-pat]');
  t.notMatch(maskedError.stack ?? '', token);
  t.equal((maskedError.cause as Error).message, 'inner [REDACTED:github-pat]');
  t.equal(masked['self'], masked, 'cycles preserved, not followed forever');
  t.match(input['a'], [`x ${token}`], 'input untouched');
});

t.test('base64 content fields are decoded, masked and re-encoded with the same wrapping', async (t) => {
  const file = `# config\nGITHUB_TOKEN=${token}\n${'padding line\n'.repeat(10)}`;
  const wrapped = Buffer.from(file).toString('base64').match(/.{1,60}/g)!.join('\n') + '\n';
  const masked = masker.maskValue({ type: 'file', encoding: 'base64', content: wrapped });
  const decoded = Buffer.from(masked.content.replace(/\n/g, ''), 'base64').toString();
  t.match(decoded, 'GITHUB_TOKEN=[REDACTED:github-pat]');
  t.ok(masked.content.split('\n').slice(0, -2).every((line) => line.length === 60));
  const innocent = { content: Buffer.from('hello world, nothing here').toString('base64') };
  t.equal(masker.maskValue(innocent).content, innocent.content);
  const binary = { content: Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(token)]).toString('base64') };
  t.equal(masker.maskValue(binary).content, binary.content, 'binary content is left as is');
});

t.test('UTF-16 content (with a byte order mark or without) is masked as the text it is and stays UTF-16', async (t) => {
  const text = `Windows Registry Editor Version 5.00\r\n\r\n"Token"="${token}"\r\n"Name"="Ünïcode ✓"\r\n`;
  const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const big = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
  const expected = text.replace(token, '[REDACTED:github-pat]');
  const masked = masker.maskValue({ encoding: 'base64', content: little.toString('base64') });
  t.equal(Buffer.from(masked.content, 'base64').toString('hex'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(expected, 'utf16le')]).toString('hex'), 'UTF-16LE, byte order mark kept');
  const maskedBig = Buffer.from(masker.maskValue({ content: big.toString('base64') }).content, 'base64');
  t.same([...maskedBig.subarray(0, 2)], [0xfe, 0xff]);
  t.equal(Buffer.from(maskedBig.subarray(2)).swap16().toString('utf16le'), expected, 'UTF-16BE');
  const unmarked = Buffer.from(masker.maskValue({ content: Buffer.from(text, 'utf16le').toString('base64') }).content, 'base64');
  t.equal(unmarked.toString('utf16le'), expected, 'UTF-16LE without a mark: masked, and no mark added');
  const clean = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('nothing secret in here at all\r\n', 'utf16le')]).toString('base64');
  t.equal(masker.maskValue({ content: clean }).content, clean, 'nothing to mask: the same text');
});

t.test('masking has no findings limit: every one of thousands of secrets in one string is masked', async (t) => {
  const tokens = Array.from({ length: 3000 }, (_, i) => fakeGithubToken(9000 + i));
  for (const separator of ['\n', ' ']) {
    const masked = masker.maskString(tokens.map((token) => `token=${token}`).join(separator));
    t.equal(masked.split('[REDACTED:github-pat]').length - 1, 3000, JSON.stringify(separator));
    t.notOk(tokens.some((token) => masked.includes(token.slice(4))), 'no token left, not even in part');
  }
});
