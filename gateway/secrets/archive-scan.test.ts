import t from 'tap';
import { deflateRawSync } from 'node:zlib';
import { scanLargeText } from './large-text-scan.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';
import type { SecretFinding } from './finding.js';
import { ExpansionBudget, DEFAULT_ARCHIVE_LIMITS } from './archive-limits.js';
import { ZipArchive, isZipArchive } from './zip-archive.js';
import { zipOf } from '../../testdata/secrets/archive-fixtures.js';

const scanner = builtinScanner();
const noPause = async () => {};
const where = (findings: SecretFinding[]) => findings.map((f) => `${f.ruleId} ${f.path}:${f.line}:${f.column}`);
const properties = (seed: number) => `# settings\nserver.port=8080\ngithub.token=${fakeGithubToken(seed)}\n`;

/** Offsets of a signature in a zip (local file headers, central directory headers). */
function offsetsOf(zip: Buffer, signature: number[]): number[] {
  const found: number[] = [];
  for (let at = zip.indexOf(Buffer.from(signature)); at >= 0; at = zip.indexOf(Buffer.from(signature), at + 1)) found.push(at);
  return found;
}
const LOCAL = [0x50, 0x4b, 0x03, 0x04];
const CENTRAL = [0x50, 0x4b, 0x01, 0x02];
const END = [0x50, 0x4b, 0x05, 0x06];

t.test('a token in a deflated entry is found in that entry, on its line, with the fingerprint of the text itself', async (t) => {
  const text = properties(1);
  const zip = await zipOf({ 'README.md': 'hello\n', 'config/app.properties': text });
  t.notOk(zip.includes(Buffer.from(fakeGithubToken(1))), 'the token is not in the archive bytes: they alone hide it');
  const result = await scanLargeText(scanner, { path: 'deploy/app.zip', newContent: zip, commit: 'c'.repeat(40) }, noPause);
  t.same(where(result.findings), ['github-pat deploy/app.zip!config/app.properties:3:14']);
  const plain = scanner.scanFile({ path: 'x', content: text }).findings;
  t.equal(result.findings[0]?.fingerprint, plain[0]?.fingerprint, 'the same secret has the same fingerprint wherever it is');
  t.equal(result.findings[0]?.commit, 'c'.repeat(40));
  t.equal(result.unscanned, undefined);
  t.equal(result.skipped, undefined);
});

t.test('archives inside archives are read, as deep as maxDepth allows', async (t) => {
  const inner = await zipOf({ 'BOOT-INF/classes/application.properties': properties(2) });
  const outer = await zipOf({ 'WEB-INF/lib/service.jar': inner, '.env': `TOKEN=${fakeGithubToken(3)}\n` });
  const result = await scanLargeText(scanner, { path: 'app.war', newContent: outer }, noPause);
  t.same(where(result.findings).sort(), ['github-pat app.war!.env:1:7', 'github-pat app.war!WEB-INF/lib/service.jar!BOOT-INF/classes/application.properties:3:14']);
  const shallow = await scanLargeText(builtinScanner({ archives: { maxDepth: 1 } }), { path: 'app.war', newContent: outer }, noPause);
  t.equal(shallow.unscanned, 'app.war!WEB-INF/lib/service.jar: it is an archive inside 1 others, deeper than gitgate reads');
});

t.test('against the old version of the archive, only what was added is reported', async (t) => {
  const before = await zipOf({ 'config/app.properties': properties(4), 'other.txt': 'x\n' });
  const same = await zipOf({ 'config/app.properties': properties(4), 'other.txt': 'changed\n' });
  t.same((await scanLargeText(scanner, { path: 'a.zip', oldContent: before, newContent: same }, noPause)).findings, [], 'a token the old archive held');
  const added = await zipOf({ 'config/app.properties': `${properties(4)}second.token=${fakeGithubToken(5)}\n`, 'other.txt': 'x\n' });
  t.same(where((await scanLargeText(scanner, { path: 'a.zip', oldContent: before, newContent: added }, noPause)).findings), ['github-pat a.zip!config/app.properties:4:14']);
  const moved = await zipOf({ 'config/renamed.properties': properties(4) });
  t.same(where((await scanLargeText(scanner, { path: 'a.zip', oldContent: before, newContent: moved }, noPause)).findings), ['github-pat a.zip!config/renamed.properties:3:14'], 'a file the old archive did not have is new');
  t.same(where((await scanLargeText(scanner, { path: 'a.zip', oldContent: 'not a zip', newContent: same }, noPause)).findings), ['github-pat a.zip!config/app.properties:3:14'], 'an old version that is no archive hides nothing');
});

t.test('a stored entry is reported once, in the entry, also when binary files are skipped', async (t) => {
  const zip = await zipOf({ 'keys.txt': properties(6) }, { compress: false });
  t.ok(zip.includes(Buffer.from(fakeGithubToken(6))), 'stored: the token is in the archive bytes too');
  t.same(where((await scanLargeText(scanner, { path: 'a.zip', newContent: zip }, noPause)).findings), ['github-pat a.zip!keys.txt:3:14']);
  const skipping = await scanLargeText(builtinScanner({ binaryFiles: 'skip' }), { path: 'a.zip', newContent: zip }, noPause);
  t.same(where(skipping.findings), ['github-pat a.zip!keys.txt:3:14'], 'the files of an archive are scanned as files');
  t.equal(skipping.skipped, undefined);
});

t.test('an encrypted entry makes the archive unscanned, with its name quoted', async (t) => {
  const zip = await zipOf({ 'ok.txt': 'fine\n', 'secret\u001b.txt': properties(7) });
  // Set the "encrypted" flag (bit 0) of the second entry, in its local and central headers.
  const copy = Buffer.from(zip);
  const local = offsetsOf(copy, LOCAL)[1]!;
  const central = offsetsOf(copy, CENTRAL)[1]!;
  copy.writeUInt16LE(copy.readUInt16LE(local + 6) | 1, local + 6);
  copy.writeUInt16LE(copy.readUInt16LE(central + 8) | 1, central + 8);
  const result = await scanLargeText(scanner, { path: 'backup.zip', newContent: copy }, noPause);
  t.equal(result.unscanned, 'backup.zip: the entry "secret\\u001b.txt" is encrypted');
});

t.test('limits on expansion are checked before anything is inflated', async (t) => {
  const bomb = await zipOf({ 'zeros.bin': Buffer.alloc(8 * 1024 * 1024) });
  t.ok(bomb.length < 64 * 1024, `8 MiB of zeros deflate to ${bomb.length} bytes`);
  const small = builtinScanner({ archives: { maxEntryBytes: 1024 * 1024 } });
  t.equal(
    (await scanLargeText(small, { path: 'bomb.zip', newContent: bomb }, noPause)).unscanned,
    'bomb.zip: the entry "zeros.bin" expands to 8388608 bytes, more than the 1048576 bytes gitgate reads of one archive entry',
  );
  const many = await zipOf({ 'a.txt': 'a'.repeat(600), 'b.txt': 'b'.repeat(600) });
  const total = builtinScanner({ archives: { maxExpandedBytes: 1000 } });
  t.equal(
    (await scanLargeText(total, { path: 'many.zip', newContent: many }, noPause)).unscanned,
    'many.zip: the entry "b.txt" would take the archive past the 1000 bytes gitgate expands one file\'s archives to',
  );
  const nested = await zipOf({ 'inner.zip': many });
  t.match((await scanLargeText(total, { path: 'outer.zip', newContent: nested }, noPause)).unscanned, /^outer\.zip!inner\.zip: the entry "b\.txt" would take/, 'the budget is the outermost file\'s');
  const entries = builtinScanner({ archives: { maxEntries: 1 } });
  t.equal((await scanLargeText(entries, { path: 'many.zip', newContent: many }, noPause)).unscanned, 'many.zip: it lists 2 entries, more than the 1 gitgate reads of one archive');
});

t.test('an entry that inflates to more than it declares cannot be read', async (t) => {
  const zip = await zipOf({ 'config/app.properties': properties(8) });
  const copy = Buffer.from(zip);
  const central = offsetsOf(copy, CENTRAL)[0]!;
  copy.writeUInt32LE(10, central + 24); // declared uncompressed size
  const result = await scanLargeText(scanner, { path: 'lying.zip', newContent: copy }, noPause);
  t.match(result.unscanned, /^lying\.zip: the entry "config\/app\.properties" cannot be read \(.+\)$/);
});

t.test('a file the central directory does not list, which streaming unzippers would extract, makes the archive unscanned', async (t) => {
  const listed = await zipOf({ 'README.md': 'hello\n' });
  const hidden = await zipOf({ '.env': `TOKEN=${fakeGithubToken(9)}\n` });
  const listedData = listed.subarray(0, offsetsOf(listed, CENTRAL)[0]);
  const hiddenData = hidden.subarray(0, offsetsOf(hidden, CENTRAL)[0]);
  const directory = Buffer.from(listed.subarray(offsetsOf(listed, CENTRAL)[0]));
  const end = offsetsOf(directory, END)[0]!;
  directory.writeUInt32LE(listedData.length + hiddenData.length, end + 16); // where the central directory now starts
  const crafted = Buffer.concat([listedData, hiddenData, directory]);
  const archive = await ZipArchive.open(crafted, DEFAULT_ARCHIVE_LIMITS).catch((error: Error) => error);
  t.match(archive, { name: 'ArchiveUnreadableError' });
  const result = await scanLargeText(scanner, { path: 'crafted.zip', newContent: crafted }, noPause);
  t.equal(result.unscanned, `crafted.zip: it holds a file at byte ${listedData.length} that its central directory does not list`);
  t.ok(isZipArchive(crafted), 'it is found as an archive all the same');
});

t.test('content that ends like a zip archive but is none is unscanned; other binaries are not archives', async (t) => {
  const fake = Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from('PK\u0005\u0006'), Buffer.alloc(18, 0xff)]);
  fake.writeUInt16LE(0, fake.length - 2); // comment length 0: the record reaches the end
  t.ok(isZipArchive(fake));
  t.match((await scanLargeText(scanner, { path: 'odd.bin', newContent: fake }, noPause)).unscanned, /^odd\.bin: it is not a zip archive gitgate can read \(.+\)$/);
  const binary = Buffer.concat([Buffer.alloc(100), deflateRawSync(Buffer.from(properties(10)))]);
  t.notOk(isZipArchive(binary));
  t.equal((await scanLargeText(scanner, { path: 'data.bin', newContent: binary }, noPause)).unscanned, undefined);
});

t.test('ZipArchive reads files one at a time against the budget it is given', async (t) => {
  const zip = await zipOf({ 'dir/': Buffer.alloc(0), 'dir/a.txt': 'alpha\n', 'b.txt': 'beta\n' });
  const archive = await ZipArchive.open(zip, DEFAULT_ARCHIVE_LIMITS);
  t.same(archive.files.map((f) => f.name), ['dir/a.txt', 'b.txt'], 'directories are not files');
  const budget = new ExpansionBudget({ ...DEFAULT_ARCHIVE_LIMITS, maxExpandedBytes: 8 });
  t.equal((await archive.read(archive.file('b.txt')!, budget)).toString(), 'beta\n');
  await t.rejects(archive.read(archive.file('dir/a.txt')!, budget), { name: 'ArchiveUnreadableError' }, '5 + 6 bytes are more than 8');
  t.equal(archive.file('missing'), undefined);
});

t.test('two entries of the same name are both read; an empty directory entry is no file', async (t) => {
  const first = await zipOf({ 'config.txt': 'nothing here\n' });
  const second = await zipOf({ 'config.txt': properties(11) });
  // One archive listing both: the first's local entry and central record, then the second's.
  const split = (zip: Buffer) => {
    const central = offsetsOf(zip, CENTRAL)[0]!;
    const end = offsetsOf(zip, END)[0]!;
    return { data: zip.subarray(0, central), record: Buffer.from(zip.subarray(central, end)) };
  };
  const a = split(first);
  const b = split(second);
  b.record.writeUInt32LE(a.data.length, 42); // the second entry's local header offset
  const directory = Buffer.concat([a.record, b.record]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(2, 8);
  end.writeUInt16LE(2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(a.data.length + b.data.length, 16);
  const both = Buffer.concat([a.data, b.data, directory, end]);
  const archive = await ZipArchive.open(both, DEFAULT_ARCHIVE_LIMITS);
  t.same(archive.files.map((f) => f.name), ['config.txt', 'config.txt']);
  t.equal(archive.file('config.txt')?.index, 1, 'the last of a name is the one extraction leaves');
  t.same(where((await scanLargeText(scanner, { path: 'dup.zip', newContent: both }, noPause)).findings), ['github-pat dup.zip!config.txt:3:14']);
  const emptyDirectory = await zipOf({ 'conf/': Buffer.alloc(0) });
  t.same((await ZipArchive.open(emptyDirectory, DEFAULT_ARCHIVE_LIMITS)).files, [], 'an empty directory is no file');
});
