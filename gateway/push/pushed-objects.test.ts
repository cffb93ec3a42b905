import t from 'tap';
import { PackParserError, type DecodedObject, type ObjectType } from '../../pack-parser/index.js';
import { PushedObjects } from './pushed-objects.js';

function object(type: ObjectType, id: string, content: Buffer): DecodedObject {
  return { index: 0, offset: 0, type, id, size: content.length, entrySize: content.length, packedLength: 0, crc32: 0, depth: 0, baseId: undefined, externalBase: false, content };
}

t.test('small blobs are copied; large ones are read back for the scanner, text and binary alike', async (t) => {
  const objects = new PushedObjects({ maxKeptBlobBytes: 16, maxKeptBytes: 1024 });
  const shared = Buffer.from('hello');
  objects.add(object('blob', 'a'.repeat(40), shared));
  shared.write('HELLO');
  t.equal(objects.blobs.get('a'.repeat(40))!.content!.toString(), 'hello', 'copied, not shared with the decoder');
  const large = Buffer.alloc(64, 0x61);
  objects.add(object('blob', 'b'.repeat(40), large));
  t.match(objects.blobs.get('b'.repeat(40)), { size: 64, content: undefined, binary: false });
  objects.add(object('blob', 'c'.repeat(40), Buffer.from([1, 0, 2])));
  t.same(objects.blobs.get('c'.repeat(40)), { size: 3, content: Buffer.from([1, 0, 2]), binary: true }, 'a small binary blob is kept');
  const largeBinary = Buffer.concat([Buffer.from([0]), Buffer.alloc(63, 0x62)]);
  objects.add(object('blob', 'e'.repeat(40), largeBinary));
  t.match(objects.blobs.get('e'.repeat(40)), { size: 64, content: undefined, binary: true });
  const reads: string[] = [];
  objects.attachPack((id) => {
    reads.push(id);
    return { type: 'blob', content: id === 'b'.repeat(40) ? large : largeBinary };
  });
  t.same(objects.blobContent('b'.repeat(40)), large, 'a text blob over the kept size is still scanned: read back');
  t.same(objects.blobContent('e'.repeat(40)), largeBinary, 'so is a binary one');
  t.same(objects.blobContent('c'.repeat(40)), Buffer.from([1, 0, 2]));
  t.same(reads, ['b'.repeat(40), 'e'.repeat(40)]);
  t.equal(objects.blobContent('f'.repeat(40)), undefined, 'not in the push');
  t.equal(objects.typeOf('b'.repeat(40)), 'blob');
});

t.test('beyond the memory budget objects are read back from the pack, not refused', async (t) => {
  const objects = new PushedObjects({ maxKeptBlobBytes: 16, maxKeptBytes: 20 });
  const first = Buffer.alloc(12, 0x61);
  const second = Buffer.alloc(12, 0x62);
  const tree = Buffer.from('40000 d\0aaaaaaaaaaaaaaaaaaaa');
  objects.add(object('blob', 'a'.repeat(40), first));
  objects.add(object('blob', 'b'.repeat(40), second));
  objects.add(object('tree', 'd'.repeat(40), tree));
  t.ok(objects.blobs.get('a'.repeat(40))!.content, 'kept within the budget');
  t.equal(objects.blobs.get('b'.repeat(40))!.content, undefined, 'beyond the budget: not kept');
  t.throws(() => objects.blobContent('b'.repeat(40)), { code: 'PUSH_OBJECT_MISSING' }, 'fails closed without the pack');
  const reads: string[] = [];
  objects.attachPack((id) => {
    reads.push(id);
    return id === 'b'.repeat(40) ? { type: 'blob', content: second } : id === 'd'.repeat(40) ? { type: 'tree', content: tree } : undefined;
  });
  t.same(objects.blobContent('b'.repeat(40)), second);
  t.same(objects.treeContent('d'.repeat(40)), tree);
  t.equal(objects.treeContent('e'.repeat(40)), undefined, 'not a pushed tree');
  t.same(reads, ['b'.repeat(40), 'd'.repeat(40)]);
});

t.test('commits and tags are bounded one by one and in all: a larger one refuses the push', async (t) => {
  const commit = (message: string) =>
    Buffer.from(`tree ${'a'.repeat(40)}\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\n${message}\n`);
  const small = commit('small');
  const objects = new PushedObjects({ maxCommitBytes: small.length + 10, maxCommitTotalBytes: 3 * small.length });
  objects.add(object('commit', '1'.repeat(40), small));
  t.equal(objects.commits.get('1'.repeat(40))?.message, 'small\n');
  const large = commit('x'.repeat(20));
  t.throws(() => objects.add(object('commit', '2'.repeat(40), large)), {
    name: 'PushError',
    code: 'PUSH_TOO_LARGE',
    message: `commit ${'2'.repeat(40)} is ${large.length} bytes; gitgate accepts commits and tags up to ${small.length + 10} bytes. Shorten its message (git commit --amend) and push again`,
  });
  objects.add(object('commit', '3'.repeat(40), small));
  objects.add(object('commit', '4'.repeat(40), small));
  t.throws(() => objects.add(object('commit', '5'.repeat(40), small)), { code: 'PUSH_TOO_LARGE', message: /^this push carries more than \d+ bytes of commits and tags/ });
  const tag = Buffer.from(`object ${'1'.repeat(40)}\ntype commit\ntag v1\ntagger A <a@example.com> 1700000000 +0000\n\n${'y'.repeat(small.length)}\n`);
  t.throws(() => new PushedObjects({ maxCommitBytes: small.length }).add(object('tag', '6'.repeat(40), tag)), { code: 'PUSH_TOO_LARGE', message: /^tag 6{40} is \d+ bytes/ });
});

t.test('a read back the decoder refuses (over a limit, or damaged) is a push error, not an internal one', async (t) => {
  const objects = new PushedObjects({ maxKeptBlobBytes: 16, maxKeptBytes: 0 });
  objects.add(object('blob', 'b'.repeat(40), Buffer.alloc(12, 0x62)));
  objects.add(object('blob', 'c'.repeat(40), Buffer.alloc(12, 0x63)));
  objects.attachPack((id) => {
    if (id === 'b'.repeat(40)) throw new PackParserError('PACK_LIMIT_OBJECT_SIZE', 'resolved objects exceed the limit of 100 bytes in total', { offset: 12 });
    throw new PackParserError('PACK_ZLIB_ERROR', 'object at 40 no longer inflates as it did when it arrived', { offset: 40 });
  });
  t.throws(() => objects.blobContent('b'.repeat(40)), {
    name: 'PushError',
    code: 'PUSH_TOO_LARGE',
    message: `reading blob ${'b'.repeat(40)} back from the pushed pack: resolved objects exceed the limit of 100 bytes in total (PACK_LIMIT_OBJECT_SIZE)`,
  });
  t.throws(() => objects.blobContent('c'.repeat(40)), { name: 'PushError', code: 'PUSH_PACK_INVALID' });
});
