import t from 'tap';
import { spawnSync } from 'node:child_process';
import { hermeticGitEnv } from '../testdata/git-cli.js';
import { isValidRefName, pushedRefNameProblem, refNameProblem, type RefNameRules } from './ref-name.js';

const names = [
  'refs/heads/main',
  'refs/heads/feature/x-1',
  'refs/tags/v1.0.0',
  'refs/heads/ünïcödé',
  'refs/heads/emoji-🚀',
  'refs/heads/a.b',
  'refs/heads/a..b',
  'refs/heads/.hidden',
  'refs/heads/x/.hidden',
  'refs/heads/a.',
  'refs/heads/a/',
  '/refs/heads/a',
  'refs//heads/a',
  'refs/heads/a.lock',
  'refs/heads/a.lock/b',
  'refs/heads/a.lockx',
  'refs/heads/.lock',
  'refs/heads/lock',
  'refs/heads/a@{b',
  'refs/heads/a@b',
  'refs/heads/a{b',
  'refs/heads/@',
  '@',
  '@@',
  'a@{',
  'refs/heads/a b',
  'refs/heads/a\tb',
  'refs/heads/a~1',
  'refs/heads/a^',
  'refs/heads/a:b',
  'refs/heads/a?',
  'refs/heads/a*',
  'refs/heads/*',
  'refs/*/a*',
  'refs/heads/a[b',
  'refs/heads/a]b',
  'refs/heads/a\\b',
  'refs/heads/a\x7fb',
  'refs/heads/a\x01b',
  'refs/heads/a\x1bb',
  'refs/heads/-dash',
  'refs/heads/a%b',
  'refs/heads/a#b',
  'refs/heads/a!b',
  'refs/heads/a"b',
  "refs/heads/a'b",
  'refs/heads/a..',
  'refs/heads/...',
  'refs/heads/a/..',
  'refs/heads/./a',
  'refs/..',
  'main',
  'HEAD',
  'refs',
  'refs/',
  'a/b',
  '.a/b',
  'a/b.',
  'a/b.lock',
  'a.lock/b',
  'refs/heads/a.lock.lock',
  'refs/heads/a/b/c/d/e/f',
  'refs/heads/{}',
  'refs/heads/a@',
  'refs/heads/@{',
  'refs/heads/.',
  'x',
  '.',
  '..',
];

const gitEnv = hermeticGitEnv();

function gitAccepts(name: string, rules: RefNameRules): boolean {
  const args = ['check-ref-format'];
  if (rules.allowOneLevel) args.push('--allow-onelevel');
  if (rules.refspecPattern) args.push('--refspec-pattern');
  args.push(name);
  const result = spawnSync('git', args, { env: gitEnv });
  if (result.error) throw result.error;
  return result.status === 0;
}

t.test('agrees with git check-ref-format', async (t) => {
  const ruleSets: RefNameRules[] = [{}, { allowOneLevel: true }, { refspecPattern: true }, { allowOneLevel: true, refspecPattern: true }];
  let valid = 0;
  let invalid = 0;
  for (const rules of ruleSets) {
    for (const name of names) {
      const expected = gitAccepts(name, rules);
      if (expected) valid++;
      else invalid++;
      t.equal(isValidRefName(name, rules), expected, `${JSON.stringify(name)} ${JSON.stringify(rules)}: ${refNameProblem(name, rules) ?? 'valid'}`);
    }
  }
  t.ok(valid > 40 && invalid > 100, `both kinds covered (${valid} valid, ${invalid} invalid)`);
});

t.test('checks bytes: non-UTF-8 bytes are allowed as git allows them, NUL is not', async (t) => {
  t.equal(refNameProblem(Buffer.from([0x72, 0x2f, 0xff, 0xfe])), undefined);
  t.match(refNameProblem(Buffer.from('refs/heads/a\0b', 'latin1')), /control character 0x00/);
  t.equal(refNameProblem(''), 'is empty');
});

t.test('pushed refs follow receive-pack: refs/ and two more components', async (t) => {
  t.equal(pushedRefNameProblem('refs/heads/main'), undefined);
  t.equal(pushedRefNameProblem('refs/for/main/topic'), undefined);
  t.match(pushedRefNameProblem('refs/foo'), /only one component/);
  t.match(pushedRefNameProblem('refs/'), /refs\//);
  t.match(pushedRefNameProblem('heads/main'), /does not start with "refs\/"/);
  t.match(pushedRefNameProblem('HEAD'), /does not start/);
  t.match(pushedRefNameProblem('refs/heads/a..b'), /contains "\.\."/);
});
