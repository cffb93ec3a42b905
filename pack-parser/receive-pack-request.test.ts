import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureReceivePackRequests, type CapturedReceivePackRequest } from '../testdata/receive-pack-requests.js';
import { SeededRandom } from '../testdata/seeded-random.js';
import { isPackParserError, type PackParserErrorCode } from './errors.js';
import { FLUSH_PKT, pktLine } from './pkt-line.js';
import { ReceivePackRequestParser, type ReceivePackRequest, type ReceivePackRequestParserOptions } from './receive-pack-request.js';

interface ParseResult {
  request: ReceivePackRequest;
  pack: Buffer;
  packOffset: number;
  requestEvents: number;
}

function parseInChunks(body: Buffer, nextSize: () => number, options: ReceivePackRequestParserOptions = {}): ParseResult {
  const packChunks: Buffer[] = [];
  let requestEvents = 0;
  const parser = new ReceivePackRequestParser({
    ...options,
    onRequest: () => requestEvents++,
    onPackData: (chunk) => packChunks.push(Buffer.from(chunk)),
  });
  for (let position = 0; position < body.length; ) {
    const size = Math.max(1, nextSize());
    parser.write(body.subarray(position, position + size));
    position += size;
  }
  const request = parser.end();
  return { request, pack: Buffer.concat(packChunks), packOffset: parser.packOffset, requestEvents };
}

function errorCodeOf(body: Buffer, chunkSize: number, options: ReceivePackRequestParserOptions = {}): PackParserErrorCode | string {
  try {
    parseInChunks(body, () => chunkSize, options);
    return 'no error';
  } catch (error) {
    return isPackParserError(error) ? error.code : String(error);
  }
}

const root = mkdtempSync(join(tmpdir(), 'gitgate-receive-pack-test-'));

for (const objectFormat of ['sha1', 'sha256'] as const) {
  t.test(`real git push request bodies (${objectFormat})`, async (t) => {
    const captured = captureReceivePackRequests(join(root, objectFormat), objectFormat);
    t.same(captured.map((c) => c.name), [
      'first push', 'fast-forward', 'multi-ref', 'push options', 'atomic', 'signed', 'delete-only', 'up-to-date',
    ]);
    for (const capture of captured) {
      if (capture.name === 'up-to-date') {
        t.equal(capture.body.toString('latin1'), '0000', 'git sends a lone flush when there is nothing to push');
        t.equal(errorCodeOf(capture.body, 1), 'RECEIVE_PACK_NO_COMMANDS');
        continue;
      }
      t.test(capture.name, async (t) => checkCapture(t, capture, objectFormat));
    }
  });
}

function checkCapture(t: Test, capture: CapturedReceivePackRequest, objectFormat: 'sha1' | 'sha256'): void {
  const whole = parseInChunks(capture.body, () => capture.body.length);
  const { request } = whole;
  t.same(
    request.commands.map(({ oldId, newId, ref }) => ({ oldId, newId, ref })),
    capture.commands,
    'commands',
  );
  for (const command of request.commands) {
    const expected = /^0+$/.test(command.newId) ? 'delete' : /^0+$/.test(command.oldId) ? 'create' : 'update';
    t.equal(command.operation, expected, `${command.ref} is a ${expected}`);
  }
  t.equal(request.objectFormat, objectFormat);
  t.equal(request.capabilities.get('object-format'), objectFormat);
  t.match(request.capabilities.get('agent'), /^git\//);
  for (const capability of ['report-status', 'side-band-64k', ...capture.capabilities]) {
    t.ok(
      request.capabilities.has(capability) || request.capabilities.has(`${capability}-v2`),
      `capability ${capability}`,
    );
  }
  t.equal(request.capabilities.has('atomic'), capture.capabilities.includes('atomic'), 'atomic only when asked');
  t.same(request.pushOptions, capture.pushOptions, 'push options');
  t.same(request.shallow, []);
  t.equal(request.pushCertificate !== undefined, capture.signed, 'push certificate present when signed');
  if (request.pushCertificate !== undefined) {
    const certificate = request.pushCertificate;
    t.equal(certificate.version, '0.1');
    t.equal(certificate.signatureFormat, 'openpgp');
    t.same(certificate.pushOptions, capture.pushOptions);
    t.match(certificate.pushee, /remote\.git$/);
    t.match(certificate.nonce, /^\d+-[0-9a-f]+$/);
    const text = certificate.raw.toString('utf8');
    t.ok(text.startsWith('certificate version 0.1\n'), 'certificate kept from its first line');
    t.ok(text.endsWith('-----END PGP SIGNATURE-----\n'), 'certificate kept to its signature end');
    t.ok(capture.body.includes(Buffer.from(`${capture.commands[0]!.oldId} ${capture.commands[0]!.newId} refs/heads/main\n`)));
  }
  const deleteOnly = capture.commands.every((c) => /^0+$/.test(c.newId));
  t.equal(request.hasPack, !deleteOnly, 'hasPack');
  if (request.hasPack) {
    t.equal(whole.pack.toString('latin1', 0, 4), 'PACK', 'pack data starts with PACK');
    t.same(whole.pack, capture.body.subarray(capture.body.length - whole.pack.length), 'pack data is the tail of the body');
    t.same(whole.pack, capture.body.subarray(whole.packOffset), 'packOffset points at the pack');
  } else {
    t.equal(whole.pack.length, 0, 'delete-only: no pack data');
    t.equal(whole.packOffset, capture.body.length, 'delete-only: the body ends with the command section');
  }
  t.equal(whole.requestEvents, 1, 'onRequest called once');

  const byteByByte = parseInChunks(capture.body, () => 1);
  t.same(byteByByte.request, request, '1-byte chunks: same request');
  t.same(byteByByte.pack, whole.pack, '1-byte chunks: same pack bytes');
  const random = new SeededRandom(capture.body.length);
  for (let round = 0; round < 10; round++) {
    const split = parseInChunks(capture.body, () => random.int(1, 64));
    t.same([split.request, split.pack], [request, whole.pack], `random split ${round}`);
  }
  if (request.hasPack) {
    const cut = capture.body.subarray(0, whole.packOffset);
    t.equal(errorCodeOf(cut, 7), 'RECEIVE_PACK_TRUNCATED', 'no pack where one is due');
  } else {
    t.equal(errorCodeOf(Buffer.concat([capture.body, Buffer.from('PACK')]), 5), 'RECEIVE_PACK_TRAILING_DATA');
  }
  for (const at of [1, 10, Math.min(200, whole.packOffset - 1)]) {
    t.equal(errorCodeOf(capture.body.subarray(0, at), 3), 'RECEIVE_PACK_TRUNCATED', `cut at ${at}`);
  }
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);
const CAPS = 'report-status side-band-64k object-format=sha1 agent=test/1';

/** A request body: each argument one pkt-line, except '' (a flush) and 'PACK' (raw pack bytes). */
function body(...packets: (string | Buffer)[]): Buffer {
  return Buffer.concat(packets.map((p) => (p === '' ? FLUSH_PKT : p === 'PACK' ? Buffer.from(p) : pktLine(p))));
}

t.test('hand-made requests', async (t) => {
  const shallow = parseInChunks(
    body(`shallow ${A}\n`, `${A} ${B} refs/heads/main\0${CAPS}\n`, `${ZERO} ${A} refs/heads/x`, '', 'PACK'),
    () => 2,
  );
  t.same(shallow.request.shallow, [A]);
  t.same(shallow.request.capabilityList, CAPS.split(' '));
  t.same(shallow.request.commands.map((c) => c.operation), ['update', 'create']);
  t.equal(shallow.pack.toString(), 'PACK');

  const onlyFlush = new ReceivePackRequestParser();
  onlyFlush.write(body(`${A} ${B} refs/heads/main\0${CAPS}`, ''));
  t.equal(onlyFlush.request?.commands.length, 1, 'request known before any pack byte');
  t.equal(onlyFlush.packOffset, body(`${A} ${B} refs/heads/main\0${CAPS}`, '').length);
});

t.test('malformed requests give their codes', async (t) => {
  const first = `${A} ${B} refs/heads/main\0${CAPS}`;
  const cases: [string, Buffer, PackParserErrorCode, ReceivePackRequestParserOptions?][] = [
    ['empty command list', body(''), 'RECEIVE_PACK_NO_COMMANDS'],
    ['empty body', Buffer.alloc(0), 'RECEIVE_PACK_TRUNCATED'],
    ['no flush', body(first), 'RECEIVE_PACK_TRUNCATED'],
    ['half a pkt-line', Buffer.concat([body(first), Buffer.from('00')]), 'RECEIVE_PACK_TRUNCATED'],
    ['bad pkt-line length', Buffer.concat([body(first), Buffer.from('zzzz')]), 'PKT_LINE_BAD_LENGTH'],
    ['no capabilities', body(`${A} ${B} refs/heads/main`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['capabilities twice', body(first, `${A} ${B} refs/heads/x\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['delim in commands', Buffer.concat([body(first), Buffer.from('0001')]), 'RECEIVE_PACK_BAD_COMMAND'],
    ['missing ref', body(`${A} ${B}\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['empty ref', body(`${A} ${B} \0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['short id', body(`${A.slice(1)} ${B} refs/heads/main\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['upper-case id', body(`${A.toUpperCase()} ${B} refs/heads/main\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_OBJECT_ID'],
    ['non-hex id', body(`${'g'.repeat(40)} ${B} refs/heads/main\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_OBJECT_ID'],
    ['sha256 ids without the capability', body(`${'a'.repeat(64)} ${'b'.repeat(64)} refs/heads/main\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['sha1 ids with object-format=sha256', body(`${A} ${B} refs/heads/main\0report-status object-format=sha256`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['unknown object format', body(`${A} ${B} refs/heads/main\0object-format=md5`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['bad shallow', body(`shallow ${A.slice(2)}`, first, '', 'PACK'), 'RECEIVE_PACK_BAD_OBJECT_ID'],
    ['shallow of the wrong format', body(`shallow ${'c'.repeat(64)}`, first, '', 'PACK'), 'RECEIVE_PACK_BAD_OBJECT_ID'],
    ['shallow after a command', body(first, `shallow ${A}`, '', 'PACK'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['ref outside refs/', body(`${A} ${B} HEAD\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_REF_NAME'],
    ['one-level ref', body(`${A} ${B} refs/main\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_REF_NAME'],
    ['ref with ..', body(`${A} ${B} refs/heads/a..b\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_REF_NAME'],
    ['ref ending in .lock', body(`${A} ${B} refs/heads/a.lock\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_REF_NAME'],
    ['ref with a space', body(`${A} ${B} refs/heads/a b\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_BAD_REF_NAME'],
    ['non-UTF-8 ref', body(Buffer.concat([Buffer.from(`${A} ${B} refs/heads/`), Buffer.from([0xff]), Buffer.from(`\0${CAPS}`)]), '', 'PACK'), 'RECEIVE_PACK_BAD_REF_NAME'],
    ['duplicate ref', body(first, `${B} ${A} refs/heads/main`, '', 'PACK'), 'RECEIVE_PACK_DUPLICATE_REF'],
    ['bytes after a delete-only request', body(`${A} ${ZERO} refs/heads/main\0${CAPS}`, '', 'PACK'), 'RECEIVE_PACK_TRAILING_DATA'],
    ['push options never flushed', body(`${A} ${B} refs/heads/main\0push-options`, '', 'opt'), 'RECEIVE_PACK_TRUNCATED'],
    ['push option with NUL', body(`${A} ${B} refs/heads/main\0push-options`, '', 'a\0b', '', 'PACK'), 'RECEIVE_PACK_BAD_PUSH_OPTION'],
    ['push option not UTF-8', body(`${A} ${B} refs/heads/main\0push-options`, '', Buffer.from([0xc3]), '', 'PACK'), 'RECEIVE_PACK_BAD_PUSH_OPTION'],
    ['delim among push options', Buffer.concat([body(`${A} ${B} refs/heads/main\0push-options`, ''), Buffer.from('0001')]), 'RECEIVE_PACK_BAD_PUSH_OPTION'],
    ['command section too large', body(first, `${A} ${B} refs/heads/x`, '', 'PACK'), 'RECEIVE_PACK_TOO_LARGE', { maxCommandSectionBytes: 150 }],
  ];
  for (const [name, input, code, options] of cases) {
    t.equal(errorCodeOf(input, 1, options), code, `${name} (1-byte chunks)`);
    t.equal(errorCodeOf(input, input.length || 1, options), code, `${name} (whole)`);
  }
});

t.test('malformed push certificates', async (t) => {
  const cert = (lines: string[], end = true) =>
    body(`push-cert\0${CAPS}`, ...lines.map((line) => `${line}\n`), ...(end ? ['push-cert-end\n', ''] : []), 'PACK');
  const header = ['certificate version 0.1', 'pusher me 1700000000 +0000', 'pushee https://x/y.git', 'nonce 1-abc'];
  const command = `${A} ${B} refs/heads/main`;
  const signature = ['-----BEGIN PGP SIGNATURE-----', '', 'Zm9v', '-----END PGP SIGNATURE-----'];
  const good = parseInChunks(cert([...header, '', command, ...signature]), () => 3);
  t.equal(good.request.commands[0]?.ref, 'refs/heads/main');
  t.equal(good.request.pushCertificate?.pusher, 'me 1700000000 +0000');
  t.equal(good.request.pushCertificate?.signatureFormat, 'openpgp');
  t.equal(good.pack.toString(), 'PACK');
  const unsigned = parseInChunks(cert([...header, '', command]), () => 100);
  t.equal(unsigned.request.pushCertificate?.signatureFormat, undefined);

  const cases: [string, Buffer, PackParserErrorCode][] = [
    ['no version line', cert(['pusher me', '', command, ...signature]), 'RECEIVE_PACK_BAD_PUSH_CERT'],
    ['no blank line', cert([...header, command]), 'RECEIVE_PACK_BAD_PUSH_CERT'],
    ['no blank line but one in the signature', cert([...header, command, ...signature]), 'RECEIVE_PACK_BAD_COMMAND'],
    ['repeated nonce', cert([...header, 'nonce 2-def', '', command, ...signature]), 'RECEIVE_PACK_BAD_PUSH_CERT'],
    ['empty line among commands', cert([...header, '', command, '', ...signature]), 'RECEIVE_PACK_BAD_PUSH_CERT'],
    ['no commands', cert([...header, '', ...signature]), 'RECEIVE_PACK_NO_COMMANDS'],
    ['bad command', cert([...header, '', `${A} refs/heads/main`, ...signature]), 'RECEIVE_PACK_BAD_COMMAND'],
    ['duplicate ref', cert([...header, '', command, command, ...signature]), 'RECEIVE_PACK_DUPLICATE_REF'],
    ['flush before push-cert-end', body(`push-cert\0${CAPS}`, 'certificate version 0.1\n', '', 'PACK'), 'RECEIVE_PACK_BAD_PUSH_CERT'],
    ['no flush after push-cert-end', body(`push-cert\0${CAPS}`, ...[...header, '', command].map((l) => `${l}\n`), 'push-cert-end\n', 'more'), 'RECEIVE_PACK_BAD_COMMAND'],
    ['line without newline', body(`push-cert\0${CAPS}`, 'certificate version 0.1', 'push-cert-end\n', '', 'PACK'), 'RECEIVE_PACK_BAD_PUSH_CERT'],
  ];
  for (const [name, input, code] of cases) {
    t.equal(errorCodeOf(input, 1), code, `${name} (1-byte chunks)`);
    t.equal(errorCodeOf(input, input.length), code, `${name} (whole)`);
  }
});

t.test('pack bytes are handed on as they come, without copies', async (t) => {
  const seen: Buffer[] = [];
  const parser = new ReceivePackRequestParser({ onPackData: (chunk) => seen.push(chunk) });
  const head = body(`${A} ${B} refs/heads/main\0${CAPS}`, '');
  const tail = Buffer.alloc(1024 * 1024, 1);
  parser.write(Buffer.concat([head, Buffer.from('PACK')]));
  parser.write(tail);
  t.same(seen[0], Buffer.from('PACK'));
  t.equal(seen[1], tail, 'the same Buffer object');
  t.equal(parser.packLength, tail.length + 4);
});

t.test('an error thrown by onRequest leaves the parser failed', async (t) => {
  const parser = new ReceivePackRequestParser({
    onRequest: () => {
      throw new Error('policy says no');
    },
  });
  t.throws(() => parser.write(body(`${A} ${B} refs/heads/main\0${CAPS}`, '', 'PACK')), /policy says no/);
  t.throws(() => parser.write(Buffer.from('more')), /policy says no/);
  t.throws(() => parser.end(), /policy says no/);
});

t.test('the parser stays failed after an error', async (t) => {
  const parser = new ReceivePackRequestParser();
  t.throws(() => parser.write(body('')), { code: 'RECEIVE_PACK_NO_COMMANDS' });
  t.throws(() => parser.write(Buffer.from('0000')), { code: 'RECEIVE_PACK_NO_COMMANDS' });
  t.throws(() => parser.end(), { code: 'RECEIVE_PACK_NO_COMMANDS' });
});

t.test('many refs parse in linear time', async (t) => {
  const lines = [`${A} ${B} refs/heads/b0\0${CAPS}`];
  for (let i = 1; i < 50_000; i++) lines.push(`${A} ${B} refs/heads/b${i}`);
  const input = body(...lines, '', 'PACK');
  const started = performance.now();
  const { request } = parseInChunks(input, () => 65536);
  t.equal(request.commands.length, 50_000);
  // A guard against quadratic parsing, not a speed test: generous for a loaded CI machine.
  t.ok(performance.now() - started < 20_000, `${(performance.now() - started).toFixed(0)} ms`);
});
