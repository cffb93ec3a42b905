import { parseArgs } from 'node:util';
import { CliUsageError, loadCommand, type CliIO, type Command, type CommandEntry } from './command.js';

const PROGRAM = 'gitgate';
const HELP_WORDS = new Set(['--help', '-h', 'help']);

function commandName(command: Command): string {
  return `${PROGRAM} ${command.words.join(' ')}`;
}

function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length));
  const lines = commands.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return (
    `Usage: ${PROGRAM} <command> [options]\n\n` +
    `Commands:\n${lines.join('\n')}\n\n` +
    `Run \`${PROGRAM} <command> --help\` for the options of one command.\n`
  );
}

function commandHelp(command: Command): string {
  const optionLines = Object.entries(command.options).map(([name, option]) => {
    const short = option.short ? `-${option.short}, ` : '    ';
    const value = option.type === 'string' ? ` <value>` : '';
    return `  ${short}--${name}${value}`;
  });
  return (
    `Usage: ${commandName(command)} ${command.usage}\n\n${command.summary}\n` +
    (optionLines.length > 0 ? `\nOptions:\n${optionLines.join('\n')}\n` : '')
  );
}

/** Finds the command whose words are the longest prefix of argv. */
function selectCommand(argv: string[], commands: CommandEntry[]): { command: CommandEntry; rest: string[] } | undefined {
  let best: CommandEntry | undefined;
  for (const command of commands) {
    const matches = command.words.every((word, i) => argv[i] === word);
    if (matches && (best === undefined || command.words.length > best.words.length)) best = command;
  }
  return best ? { command: best, rest: argv.slice(best.words.length) } : undefined;
}

/** Runs the CLI and returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function runCli(argv: string[], entries: CommandEntry[], io: CliIO): Promise<number> {
  const loadAll = (list: CommandEntry[]) => Promise.all(list.map(loadCommand));
  if (argv.length === 0 || HELP_WORDS.has(argv[0]!)) {
    io.stdout(overview(await loadAll(entries)));
    return argv.length === 0 ? 2 : 0;
  }
  const selected = selectCommand(argv, entries);
  if (!selected) {
    const group = entries.filter((c) => c.words[0] === argv[0]);
    // `gitgate approvals --help`: the commands of the group.
    if (group.length > 0 && argv.length === 2 && HELP_WORDS.has(argv[1]!)) {
      io.stdout(overview(await loadAll(group)));
      return 0;
    }
    io.stderr(argv.length === 1 && group.length > 0 ? `${PROGRAM}: '${argv[0]}' needs one of its commands\n\n` : `${PROGRAM}: unknown command '${argv.join(' ')}'\n\n`);
    io.stderr(overview(await loadAll(group.length > 0 ? group : entries)));
    return 2;
  }
  const command = await loadCommand(selected.command);
  const rest = selected.rest;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(commandHelp(command));
    return 0;
  }
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, io);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const usageMistake =
      error instanceof CliUsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    if (usageMistake) {
      io.stderr(`${commandName(command)}: ${(error as Error).message}\n\n${commandHelp(command)}`);
      return 2;
    }
    throw error;
  }
}
