import t from 'tap';
import { FAKE_SIGNATURE } from '../../testdata/fake-gpg.js';
import { createGitObjectRepo, expectRefusedLikeGit, type MalformedObject } from '../../testdata/git-object-repo.js';
import { parseTag } from './tag.js';

const repo = createGitObjectRepo();
repo.run(['commit', '-q', '--allow-empty', '-m', 'tagged']);
const commit = repo.run(['rev-parse', 'HEAD']);
const tree = repo.run(['rev-parse', 'HEAD^{tree}']);

t.test('an annotated tag made by git tag -a', async (t) => {
  repo.run(['tag', '-a', '-m', 'Release 1.0\n\nNotes.', 'v1.0']);
  const tag = parseTag(repo.catFile('tag', 'v1.0'));
  t.same(
    { object: tag.object, type: tag.type, tag: tag.tag, message: tag.message, signature: tag.signature, extraHeaders: tag.extraHeaders },
    { object: commit, type: 'commit', tag: 'v1.0', message: 'Release 1.0\n\nNotes.\n', signature: undefined, extraHeaders: [] },
  );
  t.same(tag.tagger, { name: 'Fixture Committer', email: 'committer@example.com', timestamp: 1700003600, timezone: '-0130', timezoneOffsetMinutes: -90 });
  t.equal(repo.run(['for-each-ref', '--format=%(taggername) %(taggerdate:raw) %(contents:subject)', 'refs/tags/v1.0']), `${tag.tagger!.name} 1700003600 -0130 Release 1.0`);
});

t.test('a signed tag made by git tag -s: the signature is split from the message as git does', async (t) => {
  repo.run(['tag', '-s', '-m', 'signed release', 'v2.0']);
  const tag = parseTag(repo.catFile('tag', 'v2.0'));
  t.equal(tag.message, 'signed release\n');
  t.same(tag.signature, { format: 'openpgp', armored: FAKE_SIGNATURE });
  t.equal(repo.run(['for-each-ref', '--format=%(contents:body)%(contents:signature)', 'refs/tags/v2.0']), FAKE_SIGNATURE.trim());
});

t.test('tags of a tree, a tag, a blob; a tag without tagger; extra headers; only the last armor line counts', async (t) => {
  const ofTree = parseTag(repo.catFile('tag', repo.hashObject('tag', `object ${tree}\ntype tree\ntag t\ntagger A <a@b> 1 +0000\n\n`)));
  t.same([ofTree.type, ofTree.object, ofTree.message], ['tree', tree, '']);
  const oldStyle = parseTag(Buffer.from(`object ${commit}\ntype commit\ntag old\n\nno tagger\n`));
  t.equal(oldStyle.tagger, undefined);
  const extra = parseTag(Buffer.from(`object ${commit}\ntype commit\ntag x\ntagger A <a@b> 1 +0000\nx-extra one\n two\n\nm\n`));
  t.same(extra.extraHeaders, [{ name: 'x-extra', value: 'one\ntwo' }]);
  const ssh = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n';
  const quoted = parseTag(Buffer.from(`object ${commit}\ntype commit\ntag q\ntagger A <a@b> 1 +0000\n\nquoting:\n-----BEGIN PGP SIGNATURE-----\nnot it\n${ssh}`));
  t.same(quoted.signature, { format: 'ssh', armored: ssh });
  t.equal(quoted.message, 'quoting:\n-----BEGIN PGP SIGNATURE-----\nnot it\n');
});

t.test('SHA-256 tags', async (t) => {
  const repo256 = createGitObjectRepo('sha256');
  repo256.run(['commit', '-q', '--allow-empty', '-m', 'x']);
  repo256.run(['tag', '-a', '-m', 'm', 'v1']);
  const tag = parseTag(repo256.catFile('tag', 'v1'), 32);
  t.equal(tag.object, repo256.run(['rev-parse', 'HEAD']));
  t.throws(() => parseTag(repo256.catFile('tag', 'v1')), { code: 'OBJECT_BAD_TAG' });
});

const OBJECT = 'c'.repeat(40);
const good = `object ${OBJECT}\ntype commit\ntag v1\ntagger A <a@b> 1 +0000\n\nmessage\n`;

/** Malformed tags; `stricter` marks what git fsck --strict lets pass and we refuse. */
const malformed: MalformedObject[] = [
  ['empty', ''],
  ['no object', good.replace(`object ${OBJECT}\n`, '')],
  ['bad object id', good.replace(OBJECT, 'xyz')],
  ['no type', good.replace('type commit\n', '')],
  ['unknown type', good.replace('type commit', 'type banana')],
  ['no tag name', good.replace('tag v1\n', '')],
  ['empty tag name', good.replace('tag v1', 'tag '), 'stricter than git'],
  ['headers out of order', `type commit\nobject ${OBJECT}\ntag v1\n\n`],
  ['bad tagger', good.replace('tagger A <a@b> 1 +0000', 'tagger A <a@b> 1 +00')],
  ['second tagger', good.replace('\n\nmessage', '\ntagger B <b@c> 2 +0000\n\nmessage'), 'stricter than git'],
  ['unterminated header', `object ${OBJECT}\ntype commit\ntag v1`],
  ['NUL in header', good.replace('tag v1', 'tag v\x001')],
];

t.test('malformed tags give OBJECT_BAD_TAG; git fsck --strict agrees', async (t) => {
  expectRefusedLikeGit(t, 'tag', malformed, (content) => parseTag(content), 'OBJECT_BAD_TAG');
});
