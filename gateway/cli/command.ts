import type { ParseArgsConfig } from 'node:util';

/** Where a command writes; tests pass their own to capture output. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Standard input as a stream, for commands that read `-`. */
  stdin: NodeJS.ReadableStream;
  /** Whether to show progress of long operations (standard error is a terminal). */
  progress?: boolean;
}

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommandArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** One `gitgate <words...>` subcommand. */
export interface Command {
  /** The words that select it, e.g. `['pack', 'index']`. */
  words: string[];
  summary: string;
  /** Usage text printed by `--help`, without the leading `gitgate <words>`. */
  usage: string;
  options: CommandOptions;
  /** Returns the process exit code. */
  run(args: ParsedCommandArgs, io: CliIO): Promise<number>;
}

/**
 * A command known by its words, whose module is imported only when it runs (or for --help), so
 * that `gitgate pack index` does not load the gateway, the policy engine and the secret rules.
 */
export interface LazyCommand {
  words: string[];
  load(): Promise<Command>;
}

export type CommandEntry = Command | LazyCommand;

export function loadCommand(entry: CommandEntry): Promise<Command> {
  return 'load' in entry ? entry.load() : Promise.resolve(entry);
}

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class CliUsageError extends Error {
  readonly code = 'CLI_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export function stringOption(args: ParsedCommandArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(args: ParsedCommandArgs, name: string): boolean {
  return args.values[name] === true;
}

/** All values of an option declared with `multiple: true`. */
export function stringListOption(args: ParsedCommandArgs, name: string): string[] {
  const value = args.values[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}
