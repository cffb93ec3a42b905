import t from 'tap';
import type { DecodedObject } from '../../pack-parser/index.js';
import { PushedObjects } from './pushed-objects.js';

function blob(id: string, content: Buffer): DecodedObject {
  return { index: 0, offset: 0, type: 'blob', id, size: content.length, entrySize: content.length, packedLength: 0, crc32: 0, depth: 0, baseId: undefined, externalBase: false, content };
}

t.test('small blobs are copied; large ones keep size and binary flag only', async (t) => {
  const objects = new PushedObjects(16, 1024);
  const shared = Buffer.from('hello');
  objects.add(blob('a'.repeat(40), shared));
  shared.write('HELLO');
  t.equal(objects.blobs.get('a'.repeat(40))!.content!.toString(), 'hello', 'copied, not shared with the decoder');
  const large = Buffer.alloc(64, 0);
  objects.add(blob('b'.repeat(40), large));
  t.match(objects.blobs.get('b'.repeat(40)), { size: 64, content: undefined, binary: true });
  t.equal(objects.typeOf('b'.repeat(40)), 'blob');
});

t.test('when the budget is spent the push is refused rather than inspected partly', async (t) => {
  const objects = new PushedObjects(16, 20);
  objects.add(blob('a'.repeat(40), Buffer.alloc(12, 0x61)));
  t.throws(() => objects.add(blob('b'.repeat(40), Buffer.alloc(12, 0x62))), { code: 'PUSH_TOO_LARGE', message: /push it in smaller parts/ });
});
