import t from 'tap';
import { buildPack, makeDelta, type HandMadeEntry } from '../testdata/pack-builder.js';
import { objectId } from './object-id.js';
import { PackDecoder, type DecodedObject, type ExternalBase, type PackDecoderOptions } from './pack-decoder.js';

/**
 * What `git push` sends after editing many files: one REF_DELTA per file against the blob the
 * upstream has. Every tenth file is edited twice (two deltas against the same upstream blob), every
 * twentieth once more on top of its first edit (a REF_DELTA to an object of the pack that is known
 * only once its upstream base is), and the first entry is a REF_DELTA to the last, a whole blob.
 */
const FILES = 2000;

interface ExpectedObject {
  content: Buffer;
  baseId: string;
  externalBase: boolean;
}

const upstreamBlobs = new Map<string, Buffer>();
const expected = new Map<string, ExpectedObject>();
const entries: HandMadeEntry[] = [];

const hex = (id: Buffer) => id.toString('hex');

/** A REF_DELTA that appends `addition` to `base`, and the object it makes. */
function appendTo(base: Buffer, baseId: Buffer, addition: string, externalBase: boolean): Buffer {
  const content = Buffer.concat([base, Buffer.from(addition)]);
  entries.push({ kind: 'ref-delta', baseId, delta: makeDelta(base.length, content.length, [{ copy: [0, base.length] }, { insert: Buffer.from(addition) }]) });
  const id = objectId('sha1', 'blob', content);
  expected.set(hex(id), { content, baseId: hex(baseId), externalBase });
  return id;
}

const laterBlob = Buffer.from('a blob that comes last in the pack\n');
const laterBlobId = objectId('sha1', 'blob', laterBlob);
appendTo(laterBlob, laterBlobId, 'named before it came\n', false);
for (let file = 0; file < FILES; file++) {
  const upstream = Buffer.from(`file ${file}\n${'a line every file has\n'.repeat(4)}`);
  const upstreamId = objectId('sha1', 'blob', upstream);
  upstreamBlobs.set(hex(upstreamId), upstream);
  const editedId = appendTo(upstream, upstreamId, `edit of file ${file}\n`, true);
  if (file % 10 === 0) appendTo(upstream, upstreamId, `another edit of file ${file}\n`, true);
  if (file % 20 === 0) appendTo(expected.get(hex(editedId))!.content, editedId, 'and an edit on top\n', false);
}
entries.push({ kind: 'blob', content: laterBlob });
expected.set(hex(laterBlobId), { content: laterBlob, baseId: '', externalBase: false });
const thinPack = buildPack(entries);

async function decode(chunkSize: number, resolveExternalBase: PackDecoderOptions['resolveExternalBase']) {
  const reported: DecodedObject[] = [];
  const decoder = new PackDecoder({
    resolveExternalBase,
    onObject: (o) => reported.push({ ...o, content: Buffer.from(o.content) }),
  });
  try {
    for (let pos = 0; pos < thinPack.length; pos += chunkSize) decoder.write(thinPack.subarray(pos, pos + chunkSize));
    const summary = await decoder.end();
    return { summary, reported };
  } finally {
    decoder.close();
  }
}

/** The upstream as a base source that remembers what it was asked for. */
function upstreamSource(without?: string) {
  const asked: string[] = [];
  const resolve = async (id: string): Promise<ExternalBase | undefined> => {
    asked.push(id);
    const content = id === without ? undefined : upstreamBlobs.get(id);
    return content && { type: 'blob', content };
  };
  return { asked, resolve };
}

t.test(`a thin pack of ${FILES} REF_DELTAs against upstream blobs: each base asked for once, every object right`, async (t) => {
  for (const chunkSize of [7, 65536]) {
    const source = upstreamSource();
    const { summary, reported } = await decode(chunkSize, source.resolve);
    t.equal(summary.objectCount, entries.length);
    t.equal(summary.deltaCount, entries.length - 1);
    t.equal(summary.externalBaseCount, FILES);
    t.same(source.asked, [...upstreamBlobs.keys()], `each upstream blob asked for once, in the order the pack names them (${chunkSize}-byte chunks)`);
    t.equal(reported.length, entries.length, 'each object reported once');
    t.same(reported.map((o) => o.index).sort((a, b) => a - b), entries.map((_, index) => index));
    const wrong = reported.filter((o) => {
      const want = expected.get(o.id);
      return !want || o.type !== 'blob' || !o.content.equals(want.content) || o.externalBase !== want.externalBase || (o.baseId ?? '') !== want.baseId;
    });
    t.same(wrong.map((o) => o.index), [], 'every object has the id, content, base and base origin it was built with');
  }
});

t.test('a thin pack whose base source lacks one base: PACK_DELTA_BASE_MISSING naming it', async (t) => {
  const missing = [...upstreamBlobs.keys()][FILES / 2]!;
  const source = upstreamSource(missing);
  await t.rejects(decode(65536, source.resolve), { code: 'PACK_DELTA_BASE_MISSING', message: new RegExp(`${missing} is not in the pack`) });
  t.equal(source.asked.length, FILES / 2 + 1, 'the bases before it were asked for, none after');
});
