import { CliUsageError, stringOption, type Command } from './command.js';
import { configFromArgs } from './config-option.js';
import { TokenStore } from '../identity/token-store.js';
import { IdentityError } from '../identity/errors.js';

/** `gitgate token create`: issues a static token; only its hash is stored. */
export const tokenCreateCommand: Command = {
  words: ['token', 'create'],
  summary: 'Issue a static token for an agent (prints it once; stores only its hash)',
  usage: '--subject <name> [--groups a,b] [--kind agent|human] [--config gitgate.yaml]',
  options: { subject: { type: 'string' }, groups: { type: 'string' }, kind: { type: 'string' }, config: { type: 'string' } },
  async run(args, io) {
    const subject = stringOption(args, 'subject');
    if (subject === undefined) throw new CliUsageError('--subject is required');
    const kind = stringOption(args, 'kind') ?? 'agent';
    if (kind !== 'agent' && kind !== 'human') throw new CliUsageError(`--kind must be agent or human, not '${kind}'`);
    const groups = (stringOption(args, 'groups') ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
    const config = configFromArgs(args);
    try {
      const { token, record } = new TokenStore(config.tokensFile).create(subject, groups, kind);
      io.stderr(`token ${record.id} for ${subject} (groups: ${groups.join(', ') || 'none'}) stored in ${config.tokensFile}; shown once:\n`);
      io.stdout(`${token}\n`);
      return 0;
    } catch (error) {
      if (error instanceof IdentityError) throw new CliUsageError(error.message);
      throw error;
    }
  },
};
