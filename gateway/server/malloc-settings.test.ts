import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MALLOC_ENV, mallocSettingsMissing } from './malloc-settings.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const assignments = Object.entries(MALLOC_ENV).map(([name, value]) => `${name}=${value}`);

t.test('the gitgate command and npm start launch node with the malloc setting', async (t) => {
  const shebang = readFileSync(join(projectRoot, 'gateway', 'cli.ts'), 'utf8').split('\n')[0]!;
  t.equal(shebang, `#!/usr/bin/env -S ${assignments.join(' ')} node`);
  const start = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'];
  t.equal(start, `${assignments.join(' ')} node dist/gateway/cli.js serve`);
});

t.test("the #! line's env sets the variables for node (GNU env -S)", async (t) => {
  const printed = execFileSync('/usr/bin/env', ['-S', `${assignments.join(' ')} node`, '-p', 'JSON.stringify(process.env)'], { env: {} });
  const env = JSON.parse(printed.toString()) as Record<string, string>;
  for (const [name, value] of Object.entries(MALLOC_ENV)) t.equal(env[name], value, name);
});

t.test('missing settings are reported on glibc only', async (t) => {
  t.same(mallocSettingsMissing({}, () => '2.36'), Object.keys(MALLOC_ENV));
  t.same(mallocSettingsMissing({ ...MALLOC_ENV }, () => '2.36'), []);
  t.same(mallocSettingsMissing({}, () => null), [], 'musl, macOS: nothing applies');
  let asked = false;
  t.same(mallocSettingsMissing({ ...MALLOC_ENV }, () => ((asked = true), '2.36')), []);
  t.notOk(asked, 'the C library is asked only when a setting is missing');
});
