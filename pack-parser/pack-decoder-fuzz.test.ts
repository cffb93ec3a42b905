import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRepo } from '../testdata/seeded-repo.js';
import { makePackWithGit } from '../testdata/pack-fixtures.js';
import { resealPack } from '../testdata/pack-builder.js';
import { SeededRandom } from '../testdata/seeded-random.js';
import { PackParserError } from './errors.js';
import { PackDecoder } from './pack-decoder.js';

/**
 * Mutation fuzzing of the decoder: flipped, deleted, inserted and cut bytes in real packs (with the
 * checksum both left stale and recomputed, so that mutations reach the object parsing). Every
 * input must end in success or a PackParserError; anything else (a TypeError, a RangeError, a
 * hang) is a bug.
 */
const dir = mkdtempSync(join(tmpdir(), 'gitgate-pack-fuzz-'));
const repo = join(dir, 'repo.git');

async function decodeOutcome(pack: Buffer, chunkSize: number): Promise<string> {
  const decoder = new PackDecoder({
    limits: { maxObjectSize: 4 * 1024 * 1024, maxPackBytes: 16 * 1024 * 1024 },
    resolveExternalBase: async () => undefined,
  });
  try {
    for (let pos = 0; pos < pack.length; pos += chunkSize) decoder.write(pack.subarray(pos, pos + chunkSize));
    await decoder.end();
    return 'ok';
  } catch (error) {
    if (error instanceof PackParserError) return error.code;
    throw error;
  } finally {
    decoder.close();
  }
}

function mutate(pack: Buffer, random: SeededRandom): Buffer {
  const out = Buffer.from(pack);
  switch (random.int(0, 4)) {
    case 0: {
      for (let k = random.int(1, 4); k > 0; k--) out[random.int(12, out.length - 21)]! ^= 1 << random.int(0, 7);
      return out;
    }
    case 1: {
      const at = random.int(12, out.length - 21);
      return Buffer.concat([out.subarray(0, at), out.subarray(at + random.int(1, 64))]);
    }
    case 2: {
      const at = random.int(12, out.length - 21);
      return Buffer.concat([out.subarray(0, at), random.bytes(random.int(1, 64)), out.subarray(at)]);
    }
    case 3:
      return out.subarray(0, random.int(0, out.length - 1));
    default: {
      // An entry header byte: type and size bits.
      out[random.int(12, Math.min(out.length - 21, 4000))] = random.int(0, 255);
      return out;
    }
  }
}

t.before(() =>
  createSeededRepo(repo, {
    seed: 31337,
    commits: 25,
    initialFiles: 8,
    filesEditedPerCommit: 3,
    fileLines: [10, 120],
    linesChangedPerEdit: [1, 4],
    binaryEvery: 10,
  }),
);

t.test('mutated packs end in success or a typed error, never a crash', async (t) => {
  const packs = [
    makePackWithGit(repo, { revs: ['--all'] }),
    makePackWithGit(repo, { revs: ['--all'], deltaBaseOffset: false }),
    makePackWithGit(repo, { revs: ['main', '^main~5'], thin: true }),
  ];
  const random = new SeededRandom(4242);
  const outcomes = new Map<string, number>();
  const iterations = 400;
  for (let i = 0; i < iterations; i++) {
    const original = packs[i % packs.length]!;
    let mutated = mutate(original, random);
    if (random.next() < 0.6 && mutated.length > 32) mutated = resealPack(mutated);
    const outcome = await decodeOutcome(mutated, random.pick([3, 61, 4096, 1 << 20]));
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  t.pass(`outcomes of ${iterations} mutated packs: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.ok(outcomes.size >= 5, 'mutations reached several different checks');
});
