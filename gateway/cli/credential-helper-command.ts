import { CliUsageError, stringOption, type Command } from './command.js';
import { answerCredentialRequest, CredentialHelperError, type TokenSource } from '../identity/credential-helper.js';

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/** `gitgate credential-helper`: gives git the agent's token from an env var, a file or a command. */
export const credentialHelperCommand: Command = {
  words: ['credential-helper'],
  summary: "git credential helper: the agent's token from an env var, file or command",
  usage:
    '(--token-env <NAME> | --token-file <path> | --token-command <cmd>) [--host <host:port>] <get|store|erase>\n\n' +
    "Set it up with: git config credential.helper '!gitgate credential-helper --token-env GITGATE_TOKEN --host gitgate.example.com'",
  options: { 'token-env': { type: 'string' }, 'token-file': { type: 'string' }, 'token-command': { type: 'string' }, host: { type: 'string' } },
  async run(args, io) {
    const sources: TokenSource[] = [];
    const env = stringOption(args, 'token-env');
    const file = stringOption(args, 'token-file');
    const command = stringOption(args, 'token-command');
    if (env !== undefined) sources.push({ kind: 'env', name: env });
    if (file !== undefined) sources.push({ kind: 'file', path: file });
    if (command !== undefined) sources.push({ kind: 'command', command });
    if (sources.length !== 1) throw new CliUsageError('give exactly one of --token-env, --token-file or --token-command');
    const operation = args.positionals[0];
    if (operation === undefined || args.positionals.length > 1) throw new CliUsageError('the operation (get, store or erase) is required');
    try {
      io.stdout(await answerCredentialRequest(operation, await readAll(io.stdin), sources[0]!, stringOption(args, 'host')));
      return 0;
    } catch (error) {
      if (error instanceof CredentialHelperError) {
        io.stderr(`${error.message}\n`);
        return 1;
      }
      throw error;
    }
  },
};
