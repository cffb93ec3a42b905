import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturedIO } from './captured-io.js';
import { runCli } from './run.js';
import { allCommands } from './commands.js';

const request = 'protocol=http\nhost=gitgate.test:8080\npath=demo/hello.git\nusername=agent\n\n';

t.test('get answers with the token from an env var, a file or a command', async (t) => {
  process.env['GITGATE_TEST_AGENT_TOKEN'] = 'ggt_12345678_fromenv';
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-helper-'));
  writeFileSync(join(dir, 'token'), 'ggt_12345678_fromfile\n');
  const cases: [string[], string][] = [
    [['--token-env', 'GITGATE_TEST_AGENT_TOKEN'], 'ggt_12345678_fromenv'],
    [['--token-file', join(dir, 'token')], 'ggt_12345678_fromfile'],
    [['--token-command', 'echo ggt_12345678_fromcommand'], 'ggt_12345678_fromcommand'],
  ];
  for (const [options, token] of cases) {
    const io = capturedIO(request);
    t.equal(await runCli(['credential-helper', ...options, 'get'], allCommands, io), 0);
    t.equal(io.out, `username=agent\npassword=${token}\n`);
  }
});

t.test('another host, store and erase get no answer; a missing token is an error without a secret', async (t) => {
  const other = capturedIO(request);
  t.equal(await runCli(['credential-helper', '--token-env', 'GITGATE_TEST_AGENT_TOKEN', '--host', 'elsewhere:443', 'get'], allCommands, other), 0);
  t.equal(other.out, '');
  const store = capturedIO(`${request}password=x\n`);
  t.equal(await runCli(['credential-helper', '--token-env', 'GITGATE_TEST_AGENT_TOKEN', 'store'], allCommands, store), 0);
  t.equal(store.out, '');
  const missing = capturedIO(request);
  t.equal(await runCli(['credential-helper', '--token-env', 'GITGATE_TEST_UNSET_TOKEN', 'get'], allCommands, missing), 1);
  t.match(missing.err, /no token in \$GITGATE_TEST_UNSET_TOKEN/);
  const usage = capturedIO(request);
  t.equal(await runCli(['credential-helper', 'get'], allCommands, usage), 2);
});
