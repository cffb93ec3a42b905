import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGitObjectRepo, expectRefusedLikeGit, type MalformedObject } from '../../testdata/git-object-repo.js';
import { FAKE_SIGNATURE } from '../../testdata/fake-gpg.js';
import { parseCommit } from './commit.js';

const repo = createGitObjectRepo();
const { run } = repo;
const commitFile = (name: string, text: string, message: string, extra: string[] = []) => {
  run(['update-index', '--add', '--cacheinfo', `100644,${repo.hashObject('blob', text)},${name}`]);
  run(['commit', '-q', ...extra, '-m', message]);
  return run(['rev-parse', 'HEAD']);
};

/** What git itself says about a commit, to compare with the parser. */
function gitView(rev: string) {
  const [tree, parents, an, ae, at, cn, ce, ct] = run(['log', '-1', '--format=%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct', rev]).split('\0');
  return { tree, parents: parents ? parents.split(' ') : [], an, ae, at: Number(at), cn, ce, ct: Number(ct) };
}

function checkAgainstGit(t: Test, rev: string) {
  const commit = parseCommit(repo.catFile('commit', rev));
  const view = gitView(rev);
  t.equal(commit.tree, view.tree, 'tree');
  t.same(commit.parents, view.parents, 'parents');
  t.same([commit.author.name, commit.author.email, commit.author.timestamp], [view.an, view.ae, view.at], 'author');
  t.same([commit.committer.name, commit.committer.email, commit.committer.timestamp], [view.cn, view.ce, view.ct], 'committer');
  return commit;
}

const first = commitFile('a.txt', 'a\n', 'first\n\nbody line\n');
const second = commitFile('b.txt', 'b\n', 'second');
run(['checkout', '-q', '-b', 'side', first]);
const side = commitFile('c.txt', 'c\n', 'side');
run(['tag', '-s', '-m', 'signed tag', 'v-side', side]);
run(['checkout', '-q', 'main']);
run(['merge', '-q', '--no-ff', '-m', 'merge signed tag', 'v-side']);
const merge = run(['rev-parse', 'HEAD']);
const signed = commitFile('d.txt', 'd\n', 'signed commit', ['-S']);

t.test('plain commits agree with git', async (t) => {
  const commit = checkAgainstGit(t, first);
  t.equal(commit.message, 'first\n\nbody line\n');
  t.same(commit.author, { name: 'Fixture Author', email: 'author@example.com', timestamp: 1700000000, timezone: '+0200', timezoneOffsetMinutes: 120 });
  t.same([commit.committer.timezone, commit.committer.timezoneOffsetMinutes], ['-0130', -90]);
  t.same([commit.signatures, commit.mergetags, commit.extraHeaders, commit.encoding], [[], [], [], undefined]);
  t.same(checkAgainstGit(t, second).parents, [first]);
});

t.test('a merge of a signed tag: two parents and a mergetag', async (t) => {
  const commit = checkAgainstGit(t, merge);
  t.same(commit.parents, [second, side]);
  t.equal(commit.mergetags.length, 1);
  t.match(commit.mergetags[0], new RegExp(`^object ${side}\ntype commit\ntag v-side\ntagger `));
  t.ok(commit.mergetags[0]!.endsWith(FAKE_SIGNATURE.trimEnd()), 'the embedded tag keeps its signature');
  t.same(commit.extraHeaders.map((h) => h.name), ['mergetag']);
  t.same(commit.signatures, []);
});

t.test('a commit signed by git -S', async (t) => {
  const commit = checkAgainstGit(t, signed);
  t.same(commit.signatures, [{ header: 'gpgsig', format: 'openpgp', armored: FAKE_SIGNATURE.trimEnd() }]);
  t.equal(commit.message, 'signed commit\n');
});

t.test('signature headers inserted by hand: gpgsig-sha256, ssh, x509 and unknown armor', async (t) => {
  const base = repo.catFile('commit', second).toString('latin1');
  const withHeaders = base.replace(
    /(committer [^\n]*\n)/,
    '$1gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n' +
      'gpgsig -----BEGIN SIGNED MESSAGE-----\n eDUwOQ==\n -----END SIGNED MESSAGE-----\nx-custom some value\n',
  );
  const id = repo.hashObject('commit', withHeaders);
  const commit = checkAgainstGit(t, id);
  t.same(commit.signatures.map((s) => [s.header, s.format]), [['gpgsig-sha256', 'ssh'], ['gpgsig', 'x509']]);
  t.same(commit.extraHeaders.at(-1), { name: 'x-custom', value: 'some value' });
  t.equal(run(['log', '-1', '--format=%s', id]), 'second', 'git reads it too');
  const odd = parseCommit(Buffer.from(base.replace(/(committer [^\n]*\n)/, '$1gpgsig not armored\n')));
  t.same(odd.signatures.map((s) => s.format), [undefined]);
});

t.test('encodings: ISO-8859-1 names and message decode as git shows them', async (t) => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  const content = Buffer.concat([
    latin1(`tree ${gitView(first).tree}\nauthor J`),
    Buffer.from([0xfc]),
    latin1('rgen <j@example.com> 1700000000 +0100\ncommitter J'),
    Buffer.from([0xfc]),
    latin1('rgen <j@example.com> 1700000000 +0100\nencoding ISO-8859-1\n\nGr'),
    Buffer.from([0xfc, 0xdf]),
    latin1('e\n'),
  ]);
  const id = repo.hashObject('commit', content);
  const commit = checkAgainstGit(t, id);
  t.equal(commit.encoding, 'ISO-8859-1');
  t.equal(commit.author.name, 'Jürgen');
  t.equal(commit.message, 'Grüße\n');
  t.equal(run(['log', '-1', '--format=%B', id]), 'Grüße', 'git re-encodes the same way');
  const unknown = parseCommit(Buffer.from(content.toString('latin1').replace('ISO-8859-1', 'x-no-such'), 'latin1'));
  t.equal(unknown.message, 'Gr\ufffd\ufffde\n', 'an unknown encoding decodes as UTF-8');
});

t.test('git commit with i18n.commitEncoding=ISO-8859-1', async (t) => {
  const file = join(repo.dir, '.git', 'latin1-message');
  writeFileSync(file, Buffer.from('caf\u00e9 \u00e0 la cr\u00e8me\n', 'latin1'));
  run(['-c', 'i18n.commitEncoding=ISO-8859-1', 'commit', '-q', '--allow-empty', '-F', file]);
  const commit = checkAgainstGit(t, 'HEAD');
  t.equal(commit.encoding, 'ISO-8859-1');
  t.equal(commit.message, 'caf\u00e9 \u00e0 la cr\u00e8me\n');
  t.equal(run(['log', '-1', '--format=%B', 'HEAD']), 'caf\u00e9 \u00e0 la cr\u00e8me', 'git shows the same text');
});

t.test('a commit without a message and without the blank line', async (t) => {
  const tree = gitView(first).tree;
  const content = `tree ${tree}\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 2 -0000\n`;
  const commit = parseCommit(Buffer.from(content));
  t.equal(commit.message, '');
  t.equal(commit.committer.timezoneOffsetMinutes, 0);
  t.equal(commit.committer.timezone, '-0000');
  t.ok(Object.is(commit.committer.timezoneOffsetMinutes, 0), 'not -0');
});

t.test('SHA-256 commits', async (t) => {
  const repo256 = createGitObjectRepo('sha256');
  repo256.run(['commit', '-q', '--allow-empty', '-m', 'one']);
  repo256.run(['commit', '-q', '--allow-empty', '-m', 'two']);
  const commit = parseCommit(repo256.catFile('commit', 'HEAD'), 32);
  t.equal(commit.tree, repo256.run(['rev-parse', 'HEAD^{tree}']));
  t.same(commit.parents, [repo256.run(['rev-parse', 'HEAD~1'])]);
  t.equal(commit.tree.length, 64);
  t.throws(() => parseCommit(repo256.catFile('commit', 'HEAD'), 20), { code: 'OBJECT_BAD_COMMIT' });
});

const TREE = 'a'.repeat(40);
const IDENT = 'A U Thor <a@example.com> 1700000000 +0000';
const good = `tree ${TREE}\nparent ${'b'.repeat(40)}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nmessage\n`;

/** Malformed commits; those marked `stricter` are ones git fsck lets pass and we refuse. */
const malformed: MalformedObject[] = [
  ['empty', ''],
  ['no tree', `author ${IDENT}\ncommitter ${IDENT}\n\nm`],
  ['short tree id', good.replace(TREE, TREE.slice(1))],
  ['upper-case tree id', good.replace(TREE, TREE.toUpperCase()), 'stricter than git'],
  ['tree id with trailing space', good.replace(TREE, `${TREE} `)],
  ['bad parent', good.replace(`parent ${'b'.repeat(40)}`, 'parent xyz')],
  ['parent after author', `tree ${TREE}\nauthor ${IDENT}\nparent ${TREE}\ncommitter ${IDENT}\n\n`],
  ['no author', `tree ${TREE}\ncommitter ${IDENT}\n\n`],
  ['two authors', good.replace(`author ${IDENT}\n`, `author ${IDENT}\nauthor ${IDENT}\n`)],
  ['no committer', `tree ${TREE}\nauthor ${IDENT}\n\n`],
  ['two committers', good.replace(`committer ${IDENT}\n`, `committer ${IDENT}\ncommitter ${IDENT}\n`), 'stricter than git'],
  ['parent after committer', good.replace('\n\nmessage', `\nparent ${TREE}\n\nmessage`), 'stricter than git'],
  ['two encodings', good.replace('\n\nmessage', '\nencoding a\nencoding b\n\nmessage'), 'stricter than git'],
  ['unterminated header', `tree ${TREE}\nauthor ${IDENT}\ncommitter ${IDENT}`],
  ['NUL in header', good.replace('A U Thor', 'A U\0Thor')],
  ['NUL in message', good.replace('message', 'mess\0age')],
  ['continuation without header', ` x\n${good}`],
  ['leading blank line', `\n${good}`],
  ['continuation right after committer', good.replace('\n\nmessage', '\n x\n\nmessage'), 'stricter than git'],
  ['ident: missing email', good.replace(`author ${IDENT}`, 'author A U Thor 1700000000 +0000')],
  ['ident: name starts with <', good.replace(`author ${IDENT}`, 'author <a@example.com> 1700000000 +0000')],
  ['ident: > in name', good.replace(`author ${IDENT}`, 'author A > B <a@example.com> 1700000000 +0000')],
  ['ident: no space before email', good.replace(`author ${IDENT}`, 'author A<a@example.com> 1700000000 +0000')],
  ['ident: < in email', good.replace(`author ${IDENT}`, 'author A <a<b@example.com> 1700000000 +0000')],
  ['ident: unterminated email', good.replace(`author ${IDENT}`, 'author A <a@example.com 1700000000 +0000')],
  ['ident: no space before date', good.replace(`author ${IDENT}`, 'author A <a@example.com>1700000000 +0000')],
  ['ident: zero-padded date', good.replace(`author ${IDENT}`, 'author A <a@example.com> 01700000000 +0000')],
  ['ident: no date', good.replace(`author ${IDENT}`, 'author A <a@example.com>  +0000')],
  ['ident: huge date', good.replace(`author ${IDENT}`, 'author A <a@example.com> 99999999999999999999 +0000')],
  ['ident: date beyond 2^53', good.replace(`author ${IDENT}`, 'author A <a@example.com> 9999999999999999 +0000'), 'stricter than git'],
  ['ident: no time zone', good.replace(`author ${IDENT}`, 'author A <a@example.com> 1700000000')],
  ['ident: short time zone', good.replace(`author ${IDENT}`, 'author A <a@example.com> 1700000000 +000')],
  ['ident: time zone without sign', good.replace(`author ${IDENT}`, 'author A <a@example.com> 1700000000 00000')],
  ['ident: trailing text', good.replace(`author ${IDENT}`, `author ${IDENT} x`)],
];

/** Commits git fsck accepts; so must we. */
const accepted = [
  good,
  good.replace(`author ${IDENT}`, 'author  <a@example.com> 0 +0000'),
  good.replace(`author ${IDENT}`, 'author A <> 1 -1200'),
  good.replace('\n\nmessage\n', '\nx-empty-value\nx-multi first\n second\n \n third\n\n'),
];

t.test('malformed commits give OBJECT_BAD_COMMIT; git fsck agrees except where we are stricter', async (t) => {
  expectRefusedLikeGit(t, 'commit', malformed, (content) => parseCommit(content), 'OBJECT_BAD_COMMIT');
  const acceptedIds = accepted.map((content) => repo.hashObject('commit', content));
  const fsckErrors = repo.fsckErrors();
  accepted.forEach((content, i) => {
    t.equal(fsckErrors.get(acceptedIds[i]!), undefined, `git fsck accepts ${JSON.stringify(content.slice(-40))}`);
    t.doesNotThrow(() => parseCommit(repo.catFile('commit', acceptedIds[i]!)), JSON.stringify(content.slice(-40)));
  });
  t.equal(parseCommit(Buffer.from(accepted[1]!)).author.name, '');
  t.same(parseCommit(Buffer.from(accepted[3]!)).extraHeaders, [
    { name: 'x-empty-value', value: '' },
    { name: 'x-multi', value: 'first\nsecond\n\nthird' },
  ]);
});
