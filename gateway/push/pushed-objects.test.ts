import t from 'tap';
import type { DecodedObject, ObjectType } from '../../pack-parser/index.js';
import { PushedObjects } from './pushed-objects.js';

function object(type: ObjectType, id: string, content: Buffer): DecodedObject {
  return { index: 0, offset: 0, type, id, size: content.length, entrySize: content.length, packedLength: 0, crc32: 0, depth: 0, baseId: undefined, externalBase: false, content };
}

t.test('small text blobs are copied; binary and large ones keep size and binary flag only', async (t) => {
  const objects = new PushedObjects(16, 1024);
  const shared = Buffer.from('hello');
  objects.add(object('blob', 'a'.repeat(40), shared));
  shared.write('HELLO');
  t.equal(objects.blobs.get('a'.repeat(40))!.content!.toString(), 'hello', 'copied, not shared with the decoder');
  objects.add(object('blob', 'b'.repeat(40), Buffer.alloc(64, 0x61)));
  t.match(objects.blobs.get('b'.repeat(40)), { size: 64, content: undefined, binary: false });
  t.equal(objects.blobContent('b'.repeat(40)), undefined, 'too large for the scanner: never read');
  objects.add(object('blob', 'c'.repeat(40), Buffer.from([1, 0, 2])));
  t.match(objects.blobs.get('c'.repeat(40)), { size: 3, content: undefined, binary: true });
  t.equal(objects.typeOf('b'.repeat(40)), 'blob');
});

t.test('beyond the memory budget objects are read back from the pack, not refused', async (t) => {
  const objects = new PushedObjects(16, 20);
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
