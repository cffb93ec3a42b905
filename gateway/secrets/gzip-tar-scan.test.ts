import t from 'tap';
import { Readable } from 'node:stream';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { builtinScanner, fakeGithubToken, findingPlaces, scanBlobAsPushed, settingsWithToken } from './test-helpers.js';
import { GZIP, decompressedName } from './compressed-file.js';
import { readWhole } from './archive-limits.js';
import { isTarArchive } from './tar-archive.js';
import { tarOf, zipOf } from '../../testdata/secrets/archive-fixtures.js';

const scanner = builtinScanner();
const where = findingPlaces;
const settings = settingsWithToken;
const scan = scanBlobAsPushed;

t.test('a token in a .tar.gz is found in its file, on its line, with the fingerprint of the text itself', async (t) => {
  const text = settings(1);
  const tgz = gzipSync(await tarOf({ 'site/': '', 'site/README.md': 'hello\n', 'site/config/app.env': text }));
  t.notOk(tgz.includes(Buffer.from(fakeGithubToken(1))), 'the token is not in the compressed bytes');
  const result = await scan('deploy/site.tar.gz', tgz);
  t.same(where(result.findings), ['github-pat deploy/site.tar.gz!site.tar!site/config/app.env:3:14']);
  t.equal(result.findings[0]?.fingerprint, scanner.scanFile({ path: 'x', content: text }).findings[0]?.fingerprint);
  t.equal(result.unscanned, undefined);
  t.same(where((await scan('deploy/site.tgz', tgz)).findings), ['github-pat deploy/site.tgz!site.tar!site/config/app.env:3:14'], '.tgz names its tar .tar');
});

t.test('a token in a plain tar is reported once, in its file', async (t) => {
  const tarball = await tarOf({ 'notes.txt': 'nothing\n', 'config/app.env': settings(2) });
  t.ok(tarball.includes(Buffer.from(fakeGithubToken(2))), 'a tar stores its files as they are');
  t.same(where((await scan('bundle.tar', tarball)).findings), ['github-pat bundle.tar!config/app.env:3:14']);
});

t.test('a gzipped file of any kind is read, every member of it', async (t) => {
  t.same(where((await scan('backup/dump.sql.gz', gzipSync(`-- dump\n${settings(3)}`))).findings), ['github-pat backup/dump.sql.gz!dump.sql:4:14']);
  const twoMembers = Buffer.concat([gzipSync('first member\n'), gzipSync(settings(4))]);
  t.same(where((await scan('log.gz', twoMembers)).findings), ['github-pat log.gz!log:4:14'], 'the second member too');
  const padded = Buffer.concat([gzipSync(settings(5)), Buffer.alloc(512)]);
  t.same(where((await scan('padded.gz', padded)).findings), ['github-pat padded.gz!padded:3:14'], 'zero padding after the last member is allowed');
});

t.test('what an old version of the archive held is not reported again', async (t) => {
  const before = gzipSync(await tarOf({ 'config/app.env': settings(6) }));
  const rebuilt = gzipSync(await tarOf({ 'README.md': 'new\n', 'config/app.env': settings(6) }));
  t.same((await scan('site.tgz', rebuilt, before)).findings, [], 'the same token, rebuilt');
  const added = gzipSync(await tarOf({ 'config/app.env': `${settings(6)}GITHUB_TOKEN_2=${fakeGithubToken(7)}\n` }));
  t.same(where((await scan('site.tgz', added, before)).findings), ['github-pat site.tgz!site.tar!config/app.env:4:16'], 'only the added token');
  t.same(where((await scan('site.tgz', rebuilt, Buffer.from('not gzip at all'))).findings), ['github-pat site.tgz!site.tar!config/app.env:3:14'], 'an old version that is no archive hides nothing');
});

t.test('archives nest: a jar in a tar in a gzip', async (t) => {
  const jar = await zipOf({ 'BOOT-INF/classes/application.properties': settings(8) });
  const tgz = gzipSync(await tarOf({ 'release/lib/service.jar': jar }));
  t.same(where((await scan('release.tgz', tgz)).findings), ['github-pat release.tgz!release.tar!release/lib/service.jar!BOOT-INF/classes/application.properties:3:14']);
  const shallow = await scan('release.tgz', tgz, undefined, builtinScanner({ archives: { maxDepth: 2 } }));
  t.equal(shallow.unscanned, 'release.tgz!release.tar!release/lib/service.jar: it is an archive inside 2 others, deeper than gitgate reads');
});

t.test('a gzip bomb costs only what the limits allow', async (t) => {
  const zeros = gzipSync(Buffer.alloc(8 * 1024 * 1024));
  t.ok(zeros.length < 16 * 1024, `8 MiB of zeros in ${zeros.length} bytes`);
  const perEntry = builtinScanner({ archives: { maxEntryBytes: 1024 * 1024 } });
  t.equal((await scan('bomb.gz', zeros, undefined, perEntry)).unscanned, 'bomb.gz: its gzip content expands to more than the 1048576 bytes gitgate reads of one archive entry');
  const total = builtinScanner({ archives: { maxExpandedBytes: 1024 * 1024 } });
  t.equal((await scan('bomb.gz', zeros, undefined, total)).unscanned, "bomb.gz: its gzip content would take the archive past the 1048576 bytes gitgate expands one file's archives to");
  t.equal((await scan('ok.gz', zeros)).unscanned, undefined, 'within the default limits');
});

t.test('gzip data gitgate cannot read whole is unscanned, with the reason', async (t) => {
  const whole = gzipSync(settings(9));
  t.match((await scan('cut.gz', whole.subarray(0, whole.length - 4))).unscanned, /^cut\.gz: it is not gzip data gitgate can read \(unexpected end of file\)$/);
  const hidden = Buffer.concat([gzipSync('decoy\n'), deflateRawSync(settings(10))]);
  t.match((await scan('hidden.gz', hidden)).unscanned, /^hidden\.gz: it is not gzip data gitgate can read \(.+\)$/, 'a deflate stream after the last member');
  const corrupted = Buffer.from(whole);
  corrupted[corrupted.length - 6]! ^= 0xff; // the CRC-32
  t.match((await scan('crc.gz', corrupted)).unscanned, /^crc\.gz: it is not gzip data gitgate can read \(.+\)$/, 'a bad checksum');
});

t.test('a tar gitgate cannot read whole is unscanned, with the reason', async (t) => {
  const tarball = await tarOf({ 'a.txt': 'first\n', 'b.txt': settings(11) });
  const corrupted = Buffer.from(tarball);
  corrupted[1024]! ^= 0x01; // the second header's name: its checksum no longer matches
  t.match((await scan('bad.tar', corrupted)).unscanned, /^bad\.tar: it is not a tar archive gitgate can read \(Invalid tar header.*\)$/);
  t.match((await scan('cut.tar', tarball.subarray(0, 1024 + 512 + 10))).unscanned, /^cut\.tar: it is not a tar archive gitgate can read \(Unexpected end of data\)$/);
  const many = builtinScanner({ archives: { maxEntries: 1 } });
  t.equal((await scan('many.tar', tarball, undefined, many)).unscanned, 'many.tar: it holds more than the 1 entries gitgate reads of one archive');
  t.match((await scan('cut.tgz', gzipSync(tarball.subarray(0, 1024 + 512 + 10)))).unscanned, /^cut\.tgz!cut\.tar: it is not a tar archive/, 'inside a gzip file');
});

t.test('a file after the end-of-archive marker, and long names, are read', async (t) => {
  const first = await tarOf({ 'a.txt': 'first\n' });
  const appended = Buffer.concat([first, await tarOf({ 'later/app.env': settings(12) })]);
  t.same(where((await scan('joined.tar', appended)).findings), ['github-pat joined.tar!later/app.env:3:14'], 'as tar --ignore-zeros reads it');
  const long = `${'deep/'.repeat(30)}app.env`;
  t.same(where((await scan('long.tar', await tarOf({ [long]: settings(13) }))).findings), [`github-pat long.tar!${long}:3:14`]);
});

t.test('recognising gzip and tar', async (t) => {
  t.ok(GZIP.recognizes(gzipSync('x')));
  t.notOk(GZIP.recognizes(Buffer.from([0x1f, 0x8b, 0x08])), 'too short to be gzip');
  const tarball = await tarOf({ 'a.txt': 'a\n' });
  t.ok(isTarArchive(tarball));
  const wrongSum = Buffer.from(tarball);
  wrongSum[0]! ^= 0x01;
  t.notOk(isTarArchive(wrongSum), 'ustar magic with a wrong checksum');
  t.notOk(isTarArchive(Buffer.alloc(1024)));
  t.equal((await scan('zeros.bin', Buffer.alloc(1024))).unscanned, undefined, 'no archive, nothing unscanned');
  t.same(
    ['a/site.tar.gz', 'site.tgz', 'icon.svgz', 'dump.GZ', 'x.zip!inner/data.gz', 'blob', '.gz'].map((path) => decompressedName(path, GZIP)),
    ['site.tar', 'site.tar', 'icon.svg', 'dump', 'data', 'blob', '.gz'],
  );
});

t.test('readWhole gathers a stream into one buffer sized by the hint, grown when the hint is short', async (t) => {
  const chunks = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ij')];
  const streamOf = () => Readable.from(chunks);
  t.equal((await readWhole(streamOf(), 10, 100))?.toString(), 'abcdefghij', 'an exact hint');
  t.equal((await readWhole(streamOf(), 1, 100))?.toString(), 'abcdefghij', 'a short hint');
  t.equal((await readWhole(streamOf(), 1000, 100))?.toString(), 'abcdefghij', 'a long hint (capped at the limit)');
  const stopped = streamOf();
  t.equal(await readWhole(stopped, 4, 9), undefined, 'past the limit');
  t.ok(stopped.destroyed, 'and the stream is stopped');
  const lying = gzipSync(settings(14));
  lying.writeUInt32LE(0xffffffff, lying.length - 4); // the trailer's size
  t.match((await scan('lying.gz', lying)).unscanned, /^lying\.gz: it is not gzip data gitgate can read \(incorrect length check\)$/, 'a gzip trailer that lies about the size is refused');
});
