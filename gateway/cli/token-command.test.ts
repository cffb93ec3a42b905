import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturedIO } from './captured-io.js';
import { runCli } from './run.js';
import { allCommands } from './commands.js';
import { TokenStore } from '../identity/token-store.js';

t.test('token create prints the token once and stores its hash next to the config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-token-cli-'));
  writeFileSync(join(dir, 'gitgate.yaml'), 'listen: { port: 0 }\n');
  const io = capturedIO();
  t.equal(await runCli(['token', 'create', '--subject', 'agent-1', '--groups', 'agents,ci', '--config', join(dir, 'gitgate.yaml')], allCommands, io), 0);
  const token = io.out.trim();
  t.match(io.err, /for agent-1 \(groups: agents, ci\) stored in .*gitgate-tokens\.json/);
  t.notMatch(readFileSync(join(dir, 'gitgate-tokens.json'), 'utf8'), token);
  t.match(new TokenStore(join(dir, 'gitgate-tokens.json')).verify(token), { subject: 'agent-1', groups: ['agents', 'ci'] });
});

t.test('token create without --subject is a usage error', async (t) => {
  const io = capturedIO();
  t.equal(await runCli(['token', 'create'], allCommands, io), 2);
  t.match(io.err, /--subject is required/);
});
