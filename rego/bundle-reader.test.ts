import t from 'tap';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { readBundle, readBundleFile } from './bundle-reader.js';

async function tarGz(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, Buffer.from(content));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

const manifest = (revision: string) => JSON.stringify({ revision, wasm: [{ entrypoint: 'gitgate/push', module: '/policy.wasm' }] });

t.test('reads revision, entry points, module and data', async (t) => {
  const bytes = await tarGz({ '/.manifest': manifest('rev-1'), '/policy.wasm': new Uint8Array([0, 97, 115, 109]), '/data.json': '{"a":1}' });
  const bundle = await readBundle(bytes);
  t.equal(bundle.revision, 'rev-1');
  t.same(bundle.entrypoints, ['gitgate/push']);
  t.same([...bundle.wasm], [0, 97, 115, 109]);
  t.same(bundle.data, { a: 1 });
  t.match(bundle.digest, /^[0-9a-f]{64}$/);
});

t.test('a bundle without a revision is named by its digest; data defaults to {}', async (t) => {
  const bundle = await readBundle(await tarGz({ '/.manifest': manifest(''), '/policy.wasm': 'x' }));
  t.equal(bundle.revision, bundle.digest);
  t.same(bundle.data, {});
});

t.test('refuses what is not a usable WASM bundle', async (t) => {
  await t.rejects(readBundle(Buffer.from('not gzip at all')), { code: 'POLICY_BUNDLE_INVALID', message: /not a readable .tar.gz/ });
  await t.rejects(readBundle(await tarGz({ '/.manifest': '{}', '/x.rego': 'package x' })), { code: 'POLICY_BUNDLE_INVALID', message: /no WASM module/ });
  await t.rejects(readBundle(await tarGz({ '/.manifest': '{nope', '/policy.wasm': 'x' })), { code: 'POLICY_BUNDLE_INVALID', message: /.manifest is not valid JSON/ });
  await t.rejects(readBundle(await tarGz({ '/.manifest': manifest('r'), '/policy.wasm': 'x', '/data.json': '[1]' })), { message: /not a JSON object/ });
  await t.rejects(readBundle(await tarGz({ '/.manifest': manifest('r') })), { message: /not in the archive/ });
  await t.rejects(readBundleFile('/nonexistent/bundle.tar.gz'), { code: 'POLICY_SOURCE_NOT_FOUND' });
});
