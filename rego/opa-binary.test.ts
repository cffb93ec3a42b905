import t from 'tap';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateOpa, pinnedPackageBinaryPath, PINNED_OPA_SHA256 } from './opa-binary.js';
import { isPolicyError } from './errors.js';

const noPath = { PATH: '' };

t.test('the pinned package binary is found and its checksum verified', async (t) => {
  const packaged = pinnedPackageBinaryPath();
  if (packaged === null) {
    t.pass('skipped: optional dependency not installed on this platform');
    return;
  }
  const opa = await locateOpa({ env: noPath });
  t.equal(opa.source, 'package');
  t.equal(opa.sha256, PINNED_OPA_SHA256);
});

t.test('GITGATE_OPA wins, and must name an executable', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-opa-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const fake = join(scratch, 'opa');
  await writeFile(fake, '#!/bin/sh\necho fake\n');
  await chmod(fake, 0o755);
  t.same(await locateOpa({ env: { GITGATE_OPA: fake, PATH: '' } }), { path: fake, source: 'GITGATE_OPA' });
  await t.rejects(locateOpa({ env: { GITGATE_OPA: join(scratch, 'missing') } }), { code: 'OPA_NOT_FOUND', message: /GITGATE_OPA is set to/ });
  t.same(await locateOpa({ env: { PATH: scratch }, packageBinaryPath: null }), { path: fake, source: 'PATH' });
});

t.test('a package binary with the wrong checksum is refused, not run', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-opa-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const tampered = join(scratch, 'opa');
  await writeFile(tampered, '#!/bin/sh\nexit 0\n');
  await chmod(tampered, 0o755);
  const error = await locateOpa({ env: noPath, packageBinaryPath: tampered }).catch((e: unknown) => e);
  t.ok(isPolicyError(error, 'OPA_CHECKSUM_MISMATCH'));
  t.match((error as Error).message, /refusing to run it/);
});

t.test('no opa anywhere says what to do', async (t) => {
  const error = await locateOpa({ env: noPath, packageBinaryPath: null }).catch((e: unknown) => e);
  t.ok(isPolicyError(error, 'OPA_NOT_FOUND'));
  t.match((error as Error).message, /GITGATE_OPA/);
  t.match((error as Error).message, /prebuilt bundle/);
});
