import t from 'tap';
import { capturedIO as captureIO } from './captured-io.js';
import { runCli } from './run.js';
import { allCommands } from './commands.js';
import type { Command } from './command.js';

const echo: Command = {
  words: ['demo', 'echo'],
  summary: 'Print the positionals',
  usage: '<words...> [--upper]',
  options: { upper: { type: 'boolean' } },
  async run(args, io) {
    const text = args.positionals.join(' ');
    io.stdout(`${args.values['upper'] ? text.toUpperCase() : text}\n`);
    return 0;
  },
};

t.test('--help lists every command with its summary', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['--help'], allCommands, io), 0);
  for (const entry of allCommands) t.match(io.out, (await entry.load()).summary);
});

t.test('a subcommand runs with parsed options', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['demo', 'echo', 'a', 'b', '--upper'], [echo], io), 0);
  t.equal(io.out, 'A B\n');
});

t.test('an unknown option is a usage error with exit 2 and the usage text', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['demo', 'echo', '--nope'], [echo], io), 2);
  t.match(io.err, /Unknown option '--nope'/);
  t.match(io.err, /Usage: gitgate demo echo/);
});

t.test('an unknown command names itself and lists the commands of its group', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['demo', 'nope'], [echo], io), 2);
  t.match(io.err, /unknown command 'demo nope'/);
  t.match(io.err, /demo echo/);
});

t.test('a group with --help lists its commands; the group alone asks for one of them', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['demo', '--help'], [echo], io), 0);
  t.match(io.out, /demo echo +Print the positionals/);
  t.equal(io.err, '');
  const bare = captureIO();
  t.equal(await runCli(['demo'], [echo], bare), 2);
  t.match(bare.err, /'demo' needs one of its commands/);
  t.match(bare.err, /demo echo/);
});

t.test('command --help prints its options', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['demo', 'echo', '--help'], [echo], io), 0);
  t.match(io.out, /--upper/);
});

t.test('each lazily loaded command has the words it is registered under', async (t) => {
  for (const entry of allCommands) t.same((await entry.load()).words, entry.words);
});
