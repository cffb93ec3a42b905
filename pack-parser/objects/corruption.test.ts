import t from 'tap';
import { createGitObjectRepo } from '../../testdata/git-object-repo.js';
import { SeededRandom } from '../../testdata/seeded-random.js';
import { isPackParserError, type PackParserErrorCode } from '../errors.js';
import { parseCommit } from './commit.js';
import { parseTag } from './tag.js';
import { parseTree } from './tree.js';

const repo = createGitObjectRepo();
repo.run(['commit', '-q', '--allow-empty', '-m', 'first']);
repo.run(['commit', '-q', '--allow-empty', '-S', '-m', 'second\n\nwith a body']);
repo.run(['tag', '-s', '-m', 'signed', 'v1']);
const blob = repo.hashObject('blob', 'x');
const subtree = repo.run(['mktree'], `100644 blob ${blob}\tinner\n`);
const tree = repo.run(['mktree', '--missing'], [
  `100644 blob ${blob}\talpha`,
  `100755 blob ${blob}\tbeta gamma`,
  `040000 tree ${subtree}\tdelta`,
  `160000 commit ${repo.run(['rev-parse', 'HEAD'])}\tepsilon`,
  `120000 blob ${blob}\tzeta`,
].join('\n') + '\n');

const samples: [string, Buffer, (content: Buffer) => unknown, PackParserErrorCode][] = [
  ['commit', repo.catFile('commit', 'HEAD'), (c) => parseCommit(c), 'OBJECT_BAD_COMMIT'],
  ['tag', repo.catFile('tag', 'v1'), (c) => parseTag(c), 'OBJECT_BAD_TAG'],
  ['tree', repo.catFile('tree', tree), (c) => parseTree(c), 'OBJECT_BAD_TREE'],
];

/** Bytes that matter to the parsers, so that mutations hit structure, not only text. */
const INTERESTING = [0x00, 0x0a, 0x20, 0x2b, 0x2d, 0x2e, 0x2f, 0x30, 0x37, 0x38, 0x3c, 0x3e, 0x61, 0x66];

for (const [kind, base, parse, code] of samples) {
  t.test(`random corruption of a ${kind} never crashes or hangs`, async (t) => {
    const random = new SeededRandom(base.length);
    let parsed = 0;
    let refused = 0;
    for (let round = 0; round < 3000; round++) {
      const mutated = Buffer.from(base.subarray(0, random.next() < 0.3 ? random.int(0, base.length) : base.length));
      for (let flips = random.int(1, 3); flips > 0 && mutated.length > 0; flips--) {
        mutated[random.int(0, mutated.length - 1)] = random.next() < 0.7 ? random.pick(INTERESTING) : random.int(0, 255);
      }
      try {
        parse(mutated);
        parsed++;
      } catch (error) {
        if (!isPackParserError(error, code)) throw error;
        refused++;
      }
    }
    t.ok(parsed > 0 && refused > 0, `${parsed} parsed, ${refused} refused with ${code}, nothing else thrown`);
  });
}
