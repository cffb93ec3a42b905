import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../config/load-config.js';
import { matchesRepositoryPattern, resolveRepository } from './repository-resolver.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-resolver-'));
mkdirSync(join(root, 'repos/acme/app.git/objects'), { recursive: true });
writeFileSync(join(root, 'repos/acme/app.git/HEAD'), 'ref: refs/heads/trunk\n');
const config = resolveConfig(
  {
    upstreams: [
      { type: 'file', path: 'repos' },
      { type: 'http', scheme: 'http', repositories: ['github.com/acme/*', 'git.example.com:8443/team/tool'], credential: { username: 'x', password_env: 'NOPE' } },
    ],
  },
  root,
  join(root, 'gitgate.yaml'),
);

t.test('patterns match one segment per *', async (t) => {
  t.ok(matchesRepositoryPattern('github.com/acme/*', ['github.com', 'acme', 'app']));
  t.notOk(matchesRepositoryPattern('github.com/acme/*', ['github.com', 'other', 'app']));
  t.notOk(matchesRepositoryPattern('github.com/acme/*', ['github.com', 'acme', 'app', 'x']));
});

t.test('file repositories must exist; http repositories must be allowed', async (t) => {
  t.match(resolveRepository(config, 'acme/app'), { kind: 'file', name: 'acme/app', defaultBranch: 'trunk', gitDir: join(root, 'repos/acme/app.git') });
  t.match(resolveRepository(config, 'github.com/acme/app.git'), { kind: 'http', name: 'acme/app', baseUrl: 'http://github.com/acme/app.git', defaultBranch: 'main' });
  t.match(resolveRepository(config, 'git.example.com:8443/team/tool'), { kind: 'http', baseUrl: 'http://git.example.com:8443/team/tool.git' });
  t.equal(resolveRepository(config, 'acme/missing'), undefined);
  t.equal(resolveRepository(config, 'github.com/other/app'), undefined, 'no open proxy');
  t.equal(resolveRepository(config, 'evil.example/acme/app'), undefined);
  t.equal(resolveRepository(config, '.hidden/app'), undefined);
});
