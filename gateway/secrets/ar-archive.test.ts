import t from 'tap';
import { gzipSync } from 'node:zlib';
import { arOf, debOf } from '../../testdata/secrets/archive-fixtures.js';
import { builtinScanner, fakeGithubToken, findingPlaces as where, scanBlobAsPushed as scan, settingsWithToken as settings } from './test-helpers.js';
import { isArArchive } from './ar-archive.js';

t.test('a Debian package: a token in a file of its data.tar is found there, whatever compresses it', async (t) => {
  for (const compression of ['xz', 'gzip', 'zstd'] as const) {
    const deb = debOf({ 'etc/app/app.env': settings(1), 'usr/share/doc/app/changelog.gz': gzipSync('app (1.0) unstable\n') }, compression);
    t.notOk(deb.includes(Buffer.from(fakeGithubToken(1))), `${compression}: the token is in no byte of the package`);
    const suffix = { xz: 'xz', gzip: 'gz', zstd: 'zst' }[compression];
    const result = await scan('dist/app_1.0_all.deb', deb);
    t.same(where(result.findings), [`github-pat dist/app_1.0_all.deb!data.tar.${suffix}!data.tar!./etc/app/app.env:3:14`], compression);
    t.equal(result.unscanned, undefined, `${compression}: the gzipped file four archives deep is read too`);
  }
});

t.test('a package rebuilt with the same token reports nothing; an added one is reported', async (t) => {
  const before = debOf({ 'etc/app/app.env': settings(2) });
  t.same((await scan('app.deb', debOf({ 'etc/app/app.env': settings(2), 'etc/app/README': 'new\n' }), before)).findings, []);
  const added = debOf({ 'etc/app/app.env': `${settings(2)}SECOND=${fakeGithubToken(3)}\n` });
  t.same(where((await scan('app.deb', added, before)).findings), ['github-pat app.deb!data.tar.xz!data.tar!./etc/app/app.env:4:8']);
});

t.test('GNU ar: short and long member names; a member stored as it is reported once', async (t) => {
  const archive = arOf({ 'a.env': settings(4), 'a-rather-long-member-name.env.gz': gzipSync(settings(5)) });
  t.ok(isArArchive(archive));
  t.match(archive.toString('latin1'), /^!<arch>\n\/\/ /, 'ar wrote a long-name table');
  t.same(where((await scan('lib.a', archive)).findings), ['github-pat lib.a!a.env:3:14', 'github-pat lib.a!a-rather-long-member-name.env.gz!a-rather-long-member-name.env:3:14']);
});

/** An ar archive written by hand: members as [header name field, bytes]. */
function handMadeAr(members: Array<[string, string | Buffer]>): Buffer {
  const parts = [Buffer.from('!<arch>\n')];
  for (const [field, content] of members) {
    const bytes = Buffer.from(content);
    parts.push(Buffer.from(`${field.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${String(bytes.length).padEnd(10)}\`\n`, 'latin1'), bytes);
    if (bytes.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

t.test('BSD ar: a long name is the start of the member; its symbol table is no file', async (t) => {
  const name = 'config/production.env';
  const archive = handMadeAr([
    ['__.SYMDEF', Buffer.alloc(8)],
    [`#1/${name.length}`, `${name}${settings(6)}`],
  ]);
  const result = await scan('lib.a', archive);
  t.same(where(result.findings), [`github-pat lib.a!${name}:3:14`]);
  t.equal(result.unscanned, undefined);
});

t.test('an ar archive gitgate cannot read whole is unscanned, with the reason', async (t) => {
  const whole = arOf({ 'a.env.gz': gzipSync(settings(7)) });
  const unscanned = async (content: Buffer) => (await scan('x.a', content)).unscanned;
  t.match(await unscanned(whole.subarray(0, whole.length - 10)), /^x\.a: the member "a\.env\.gz" holds \d+ of its \d+ bytes$/, 'cut short');
  t.equal(await unscanned(Buffer.concat([whole, Buffer.from('extra')])), 'x.a: it has 5 bytes after its last member', 'bytes after the last member');
  t.match(await unscanned(Buffer.concat([whole, Buffer.alloc(80, 0x41)])), /^x\.a: the member header at byte \d+ is not an ar header$/, 'a header that is none');
  t.equal(await unscanned(handMadeAr([['/12', settings(7)]])), 'x.a: the member "/12" names no entry of its long-name table');
  const many = builtinScanner({ archives: { maxEntries: 2 } });
  t.equal((await scan('x.a', arOf({ a: '1', b: '2', c: '3' }), undefined, many)).unscanned, 'x.a: it holds more than the 2 entries gitgate reads of one archive');
});

t.test('recognising ar archives', async (t) => {
  t.ok(isArArchive(Buffer.from('!<arch>\n')), 'an empty archive');
  t.notOk(isArArchive(Buffer.from('!<arch>\nnot a header at all, just some text that goes on and on')));
  t.notOk(isArArchive(Buffer.from('!<thin>\n')), 'a thin archive holds no members');
});
