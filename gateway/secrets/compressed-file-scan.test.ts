import t from 'tap';
import { gzipSync } from 'node:zlib';
import xxhash from 'xxhash-wasm';
import { builtinScanner, fakeGithubToken, findingPlaces, scanBlobAsPushed, settingsWithToken } from './test-helpers.js';
import { BZIP2, XZ, ZSTD, decompressedName } from './compressed-file.js';
import { compressedBy, tarOf, zipOf } from '../../testdata/secrets/archive-fixtures.js';

const scanner = builtinScanner();
const where = findingPlaces;
const settings = settingsWithToken;
const scan = scanBlobAsPushed;
const tools = ['xz', 'zstd', 'bzip2'] as const;
const suffix = { xz: 'xz', zstd: 'zst', bzip2: 'bz2' } as const;
const shortTarName = { xz: 'site.txz', zstd: 'site.tzst', bzip2: 'site.tbz2' } as const;
const cutShort = { xz: 'unexpected end of data', zstd: 'unexpected EOF', bzip2: 'unexpected end of data' } as const;

for (const tool of tools) {
  const ext = suffix[tool];

  t.test(`${tool}: a token in a .tar.${ext} is found in its file, on its line, with the fingerprint of the text itself`, async (t) => {
    const text = settings(1);
    const compressed = compressedBy(tool, await tarOf({ 'site/': '', 'site/README.md': 'hello\n', 'site/config/app.env': text }));
    t.notOk(compressed.includes(Buffer.from(fakeGithubToken(1))), 'the token is not in the compressed bytes');
    const result = await scan(`deploy/site.tar.${ext}`, compressed);
    t.same(where(result.findings), [`github-pat deploy/site.tar.${ext}!site.tar!site/config/app.env:3:14`]);
    t.equal(result.findings[0]?.fingerprint, scanner.scanFile({ path: 'x', content: text }).findings[0]?.fingerprint);
    t.equal(result.unscanned, undefined);
    const short = shortTarName[tool];
    t.same(where((await scan(short, compressed)).findings), [`github-pat ${short}!site.tar!site/config/app.env:3:14`], `.${short.split('.')[1]} names its tar .tar`);
  });

  t.test(`${tool}: every stream or frame of a file is read`, async (t) => {
    const dump = compressedBy(tool, `-- dump\n${settings(2)}`, ['-19']);
    t.same(where((await scan(`backup/dump.sql.${ext}`, dump)).findings), [`github-pat backup/dump.sql.${ext}!dump.sql:4:14`]);
    const two = Buffer.concat([compressedBy(tool, 'first part\n'), compressedBy(tool, settings(3))]);
    t.same(where((await scan(`log.${ext}`, two)).findings), [`github-pat log.${ext}!log:4:14`], 'the second one too');
  });

  t.test(`${tool}: what the old version held is not reported again`, async (t) => {
    const before = compressedBy(tool, await tarOf({ 'config/app.env': settings(4) }));
    const rebuilt = compressedBy(tool, await tarOf({ 'README.md': 'new\n', 'config/app.env': settings(4) }));
    t.same((await scan(`site.tar.${ext}`, rebuilt, before)).findings, [], 'the same token, rebuilt');
    const added = compressedBy(tool, await tarOf({ 'config/app.env': `${settings(4)}GITHUB_TOKEN_2=${fakeGithubToken(5)}\n` }));
    t.same(where((await scan(`site.tar.${ext}`, added, before)).findings), [`github-pat site.tar.${ext}!site.tar!config/app.env:4:16`], 'only the added token');
  });

  t.test(`${tool}: a bomb costs only what the limits allow`, async (t) => {
    const zeros = compressedBy(tool, Buffer.alloc(8 * 1024 * 1024));
    t.ok(zeros.length < 16 * 1024, `8 MiB of zeros in ${zeros.length} bytes`);
    const perEntry = builtinScanner({ archives: { maxEntryBytes: 1024 * 1024 } });
    t.equal((await scan(`bomb.${ext}`, zeros, undefined, perEntry)).unscanned, `bomb.${ext}: its ${tool} content expands to more than the 1048576 bytes gitgate reads of one archive entry`);
    const total = builtinScanner({ archives: { maxExpandedBytes: 1024 * 1024 } });
    t.equal((await scan(`bomb.${ext}`, zeros, undefined, total)).unscanned, `bomb.${ext}: its ${tool} content would take the archive past the 1048576 bytes gitgate expands one file's archives to`);
    t.equal((await scan(`ok.${ext}`, zeros)).unscanned, undefined, 'within the default limits');
  });

  t.test(`${tool}: data gitgate cannot read whole is unscanned, with the reason`, async (t) => {
    const whole = compressedBy(tool, settings(6));
    const unreadable = new RegExp(`^bad\\.${ext}: it is not ${tool} data gitgate can read \\((.+)\\)$`);
    const reasonFor = async (content: Buffer) => unreadable.exec((await scan(`bad.${ext}`, content)).unscanned ?? '')?.[1];
    t.equal(await reasonFor(whole.subarray(0, whole.length - 6)), cutShort[tool], 'cut short');
    t.ok(await reasonFor(Buffer.concat([whole, Buffer.from(settings(7))])), 'data after the last stream or frame');
    t.ok(await reasonFor(Buffer.concat([whole, gzipSync(settings(7))])), 'a gzip member after it');
  });
}

t.test('xz: a corrupted block, and options the decoder does not have, are refused with the reason', async (t) => {
  const whole = compressedBy('xz', settings(8).repeat(50));
  const corrupted = Buffer.from(whole);
  corrupted[Math.floor(corrupted.length / 2)]! ^= 0x55;
  t.match((await scan('bad.xz', corrupted)).unscanned, /^bad\.xz: it is not xz data gitgate can read \((corrupt data or a failed integrity check|not in the xz format, or data after its last stream)\)$/);
  const sha256 = compressedBy('xz', settings(8), ['-C', 'sha256']);
  t.equal((await scan('sha.xz', sha256)).unscanned, 'sha.xz: it is not xz data gitgate can read (options gitgate cannot decode: a SHA-256 check, a BCJ or delta filter)');
  t.same(where((await scan('crc32.xz', compressedBy('xz', settings(8), ['-C', 'crc32']))).findings), ['github-pat crc32.xz!crc32:3:14'], 'a CRC-32 check is read');
  t.same(where((await scan('none.xz', compressedBy('xz', settings(8), ['-C', 'none']))).findings), ['github-pat none.xz!none:3:14'], 'and no check');
});

t.test('zstd: a skippable frame before the data is read past, as zstd does', async (t) => {
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0x04, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64]);
  t.ok(ZSTD.recognizes(skippable));
  const content = Buffer.concat([skippable, compressedBy('zstd', settings(9))]);
  t.same(where((await scan('env.zst', content)).findings), ['github-pat env.zst!env:3:14']);
});

t.test('zstd: a frame asking for a window past 32 MiB is refused before anything is allocated', async (t) => {
  const magic = [0x28, 0xb5, 0x2f, 0xfd];
  const rawBlock = (text: string) => [(text.length << 3) | 1, 0, 0, ...Buffer.from(text)]; // last, raw
  const frame = (descriptor: number[]) => Buffer.from([...magic, ...descriptor, ...rawBlock('hello\n')]);
  const oneMiBWindow = frame([0x00, 10 << 3]); // no content size; window 2^(10+10)
  t.same(where((await scan('small.zst', Buffer.concat([oneMiBWindow, compressedBy('zstd', settings(11))]))).findings), ['github-pat small.zst!small:4:14'], 'a hand-made frame with a 1 MiB window decodes');
  const oneGiBWindow = frame([0x00, 20 << 3]);
  t.equal((await scan('window.zst', oneGiBWindow)).unscanned, 'window.zst: it is not zstd data gitgate can read (a frame asks for a window of 1073741824 bytes, more than the 33554432 gitgate decodes with)');
  const claimsOneGiB = frame([0xa0, 0x00, 0x00, 0x00, 0x40]); // single segment, 4-byte content size 2^30
  t.match((await scan('size.zst', claimsOneGiB)).unscanned, /a frame asks for a window of 1073741824 bytes/);
  const tiny = compressedBy('zstd', 'x', ['--no-check']);
  t.ok(tiny.length < 13, `a one-byte file in ${tiny.length} bytes, shorter than an eight-byte content size would be`);
  t.equal((await scan('tiny.zst', tiny)).unscanned, undefined, 'is read');
  const second = Buffer.concat([compressedBy('zstd', 'first\n'), oneGiBWindow]);
  t.match((await scan('second.zst', second)).unscanned, /a frame asks for a window of 1073741824 bytes/, 'in any frame, not only the first');
});

t.test('bzip2: a corrupted block and a wrong stream checksum are refused with the reason', async (t) => {
  const whole = compressedBy('bzip2', settings(12).repeat(50));
  const corrupted = Buffer.from(whole);
  corrupted[Math.floor(corrupted.length / 2)]! ^= 0x55;
  t.match((await scan('bad.bz2', corrupted)).unscanned, /^bad\.bz2: it is not bzip2 data gitgate can read \((Data error.*|Bad block CRC.*)\)$/);
  // The stream's CRC ends in the last byte, whose low bits may be padding: its top bit is the CRC's.
  const wrongCrc = Buffer.from(whole);
  wrongCrc[wrongCrc.length - 1]! ^= 0x80;
  t.equal((await scan('crc.bz2', wrongCrc)).unscanned, "crc.bz2: it is not bzip2 data gitgate can read (a stream's checksum does not match its blocks)");
  t.same(where((await scan('ok.bz2', whole)).findings).length, 50, 'the file as bzip2 wrote it has all 50 tokens');
});

t.test('bzip2: decoding runs on its own thread, so the event loop keeps turning within a block', async (t) => {
  // 40 MiB of zeros is one block of runs, which the decoder writes in one call (270 ms here).
  const zeros = Buffer.alloc(40 * 1024 * 1024);
  const compressed = compressedBy('bzip2', zeros);
  let turns = 0;
  let decoding = true;
  const count = () => {
    if (!decoding) return;
    turns++;
    setImmediate(count);
  };
  setImmediate(count);
  const decompressed = await BZIP2.decompress(compressed, 64 * 1024 * 1024).finally(() => (decoding = false));
  t.ok(decompressed?.equals(zeros), 'decoded whole');
  t.ok(turns >= 50, `${turns} turns of the event loop while it decoded`);
  t.equal(await BZIP2.decompress(compressed, 1024 * 1024), undefined, 'past the limit: nothing, and it stops there');
});

t.test("zstd: a frame whose content does not match its checksum is refused, as zstd refuses it", async (t) => {
  const whole = compressedBy('zstd', settings(14));
  const wrongChecksum = Buffer.from(whole);
  wrongChecksum[wrongChecksum.length - 1]! ^= 0x01;
  const refused = "bad.zst: it is not zstd data gitgate can read (a frame's content checksum does not match its content)";
  t.equal((await scan('bad.zst', wrongChecksum)).unscanned, refused, 'the checksum changed');
  // A frame of one raw block holding the text, then the low 32 bits of its XXH64: a changed byte
  // of the text still decodes, to bytes zstd would not put out.
  const { h64Raw } = await xxhash();
  const text = Buffer.from(settings(14));
  const frame = (content: Buffer) =>
    Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 10 << 3, ((content.length << 3) | 1) & 0xff, (content.length << 3) >> 8, 0]), content]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32LE(Number(h64Raw(text) & 0xffffffffn));
  t.same(where((await scan('ok.zst', Buffer.concat([frame(text), checksum]))).findings), ['github-pat ok.zst!ok:3:14'], 'the hand-made frame as it was checksummed');
  const altered = Buffer.from(text);
  altered[0]! ^= 0x20;
  t.equal((await scan('bad.zst', Buffer.concat([frame(altered), checksum]))).unscanned, refused, 'a byte of its content changed');
  t.same(where((await scan('nocheck.zst', compressedBy('zstd', settings(14), ['--no-check']))).findings), ['github-pat nocheck.zst!nocheck:3:14'], 'a frame without a checksum is read');
});

t.test('a zstd file in a zip in an xz file: formats nest', async (t) => {
  const jar = await zipOf({ 'conf/app.env.zst': compressedBy('zstd', settings(10)) });
  t.same(where((await scan('bundle.zip.xz', compressedBy('xz', jar))).findings), ['github-pat bundle.zip.xz!bundle.zip!conf/app.env.zst!app.env:3:14']);
});

t.test('recognising xz, zstd and bzip2, and naming what they hold', async (t) => {
  t.ok(XZ.recognizes(compressedBy('xz', 'x')));
  t.notOk(XZ.recognizes(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'too short to be xz');
  t.ok(ZSTD.recognizes(compressedBy('zstd', 'x')));
  t.notOk(ZSTD.recognizes(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'too short to be zstd');
  t.same(['a/site.tar.xz', 'site.txz', 'dump.XZ', 'blob'].map((path) => decompressedName(path, XZ)), ['site.tar', 'site.tar', 'dump', 'blob']);
  t.same(['site.tar.zst', 'site.tzst', 'x.zip!inner/data.zst', '.zst'].map((path) => decompressedName(path, ZSTD)), ['site.tar', 'site.tar', 'data', '.zst']);
  t.ok(BZIP2.recognizes(compressedBy('bzip2', 'x')));
  t.ok(BZIP2.recognizes(compressedBy('bzip2', '')), 'an empty file: a header and the end-of-stream marker');
  t.notOk(BZIP2.recognizes(Buffer.from('BZh9 is how a bzip2 file starts')), 'the header alone is not enough');
  t.same(['src.tar.bz2', 'src.tbz2', 'src.tbz', 'dump.sql.BZ2', 'x.bz'].map((path) => decompressedName(path, BZIP2)), ['src.tar', 'src.tar', 'src.tar', 'dump.sql', 'x']);
});
