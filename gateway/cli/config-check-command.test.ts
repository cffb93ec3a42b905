import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeSelfSignedCertificate } from '../../testdata/self-signed-certificate.js';
import { loadConfigFile } from '../config/load-config.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { TokenStore } from '../identity/token-store.js';
import { capturedIO } from './captured-io.js';
import { allCommands } from './commands.js';
import { checkConfig } from './config-check-command.js';
import { runCli } from './run.js';

/** A fake credential, format-valid for nothing: it must never be printed. */
const FAKE_UPSTREAM_SECRET = `fake-upstream-credential-${process.pid}-not-real`;

function writeConfig(dir: string, config: Record<string, unknown>): string {
  const path = join(dir, 'gitgate.yaml');
  writeFileSync(path, stringify({ listen: { port: 0 }, data_dir: 'data', ...config }));
  return path;
}

t.test('a config the gateway can start with: every check ok, exit 0, no secret printed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-config-check-'));
  ensureDemoRepository(join(dir, 'repos'));
  const tls = makeSelfSignedCertificate(join(dir, 'tls'), 'gateway', { subject: '/CN=gitgate.example', days: 90 });
  writeFileSync(join(dir, 'metrics-token'), 'fake-metrics-token-value\n');
  new TokenStore(join(dir, 'gitgate-tokens.json')).create('agent-1', ['agents']);
  process.env['GITGATE_CHECK_TEST_TOKEN'] = FAKE_UPSTREAM_SECRET;
  t.teardown(() => delete process.env['GITGATE_CHECK_TEST_TOKEN']);
  const path = writeConfig(dir, {
    tls: { cert_file: tls.certFile, key_file: tls.keyFile },
    metrics: { token_file: 'metrics-token' },
    upstreams: [
      { type: 'file', name: 'local', path: 'repos' },
      { type: 'http', name: 'github', repositories: ['github.com/acme/*'], credential: { username: 'x-access-token', password_env: 'GITGATE_CHECK_TEST_TOKEN' } },
    ],
  });
  const io = capturedIO();
  t.equal(await runCli(['config', 'check', '--config', path], allCommands, io), 0, io.out);
  t.match(io.out, /^ok {4}tls: CN=gitgate\.example, valid until \d{4}-\d\d-\d\dT[\d:.]+Z \((89|90) days\)$/m);
  t.match(io.out, /^ok {4}upstreams\[0\] \(local\): 1 repositories in \S+repos$/m);
  t.match(io.out, /^ok {4}upstreams\[1\] \(github\): https github\.com\/acme\/\*$/m);
  t.match(io.out, /^ok {4}upstreams\[1\]\.credential: set in GITGATE_CHECK_TEST_TOKEN$/m);
  t.match(io.out, /^ok {4}metrics\.token: readable at \S+metrics-token$/m);
  t.match(io.out, /^ok {4}policies: directory \S+ loads \(revision [0-9a-f]{16}\)$/m);
  t.match(io.out, /^ok {4}secrets\.rules_file: \d+ rules \(built in\)$/m);
  t.match(io.out, /^ok {4}tokens_file: 1 tokens in \S+gitgate-tokens\.json$/m);
  t.match(io.out, /^ok {4}data_dir: \S+data can be made$/m);
  t.match(io.out, /gitgate config check: ready to serve\n$/);
  t.notMatch(io.out, FAKE_UPSTREAM_SECRET);
  t.notMatch(io.out, /fake-metrics-token-value/);
});

t.test('what must be fixed is named, each with its key and why; exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-config-check-bad-'));
  const one = makeSelfSignedCertificate(join(dir, 'tls'), 'one');
  const two = makeSelfSignedCertificate(join(dir, 'tls'), 'two');
  mkdirSync(join(dir, 'broken-policies'));
  writeFileSync(join(dir, 'broken-policies', 'broken.rego'), 'package gitgate.push\n\ndeny contains x if {\n');
  writeFileSync(join(dir, 'gitgate-tokens.json'), '{ not json');
  delete process.env['GITGATE_CHECK_TEST_MISSING'];
  const path = writeConfig(dir, {
    tls: { cert_file: one.certFile, key_file: two.keyFile },
    policies: { directory: 'broken-policies' },
    github_api: { base_url: 'https://api.github.com', credential: { token_file: 'absent-token' } },
    upstreams: [
      { type: 'file', name: 'local', path: 'no-such-directory' },
      { type: 'http', name: 'github', repositories: ['github.com/acme/*'], credential: { username: 'x', password_env: 'GITGATE_CHECK_TEST_MISSING' } },
    ],
  });
  const io = capturedIO();
  t.equal(await runCli(['config', 'check', '--config', path], allCommands, io), 1, io.out);
  t.match(io.out, /^FAIL {2}tls: tls\.key_file \S+two\.key is not the key of the certificate in tls\.cert_file \S+one\.crt$/m);
  t.match(io.out, /^FAIL {2}upstreams\[0\] \(local\): \S+no-such-directory is not a directory$/m);
  t.match(io.out, /^FAIL {2}upstreams\[1\]\.credential: the variable GITGATE_CHECK_TEST_MISSING is not set$/m);
  t.match(io.out, /^FAIL {2}github_api\.credential: cannot read \S+absent-token \(ENOENT\)$/m);
  t.match(io.out, /^FAIL {2}policies: \S+broken-policies: .+/m);
  t.match(io.out, /^FAIL {2}tokens_file: .+/m);
  t.match(io.out, /gitgate config check: 6 problem\(s\) to fix before gitgate serve starts\n$/);
});

t.test('a certificate near its end is a warning, an expired one a failure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-config-check-tls-'));
  ensureDemoRepository(join(dir, 'repos'));
  const tls = makeSelfSignedCertificate(join(dir, 'tls'), 'gateway', { days: 30 });
  const config = loadConfigFile(writeConfig(dir, { tls: { cert_file: tls.certFile, key_file: tls.keyFile }, upstreams: [{ type: 'file', name: 'local', path: 'repos' }] }));
  const tlsLine = async (now: number) => (await checkConfig(config, now)).find((result) => result.subject === 'tls');
  t.match(await tlsLine(Date.now()), { status: 'ok' });
  t.match(await tlsLine(tls.notAfter.getTime() - 5 * 86_400_000), { status: 'warn', detail: /\(5 days\)$/ });
  t.match(await tlsLine(tls.notAfter.getTime() + 1000), { status: 'fail', detail: /: expired \(valid until / });
});
