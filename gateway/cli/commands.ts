import type { LazyCommand } from './command.js';

/**
 * Every subcommand of the `gitgate` CLI, each imported only when used. Each concern adds its own
 * file and one entry here.
 */
export const allCommands: LazyCommand[] = [
  { words: ['serve'], load: async () => (await import('./serve-command.js')).serveCommand },
  { words: ['config', 'check'], load: async () => (await import('./config-check-command.js')).configCheckCommand },
  { words: ['pack', 'index'], load: async () => (await import('./pack-command.js')).packIndexCommand },
  ...['test', 'check', 'build', 'eval'].map(
    (verb): LazyCommand => ({
      words: ['policy', verb],
      load: async () => {
        const { policyCommands } = await import('./policy-command.js');
        return policyCommands.find((command) => command.words[1] === verb)!;
      },
    }),
  ),
  { words: ['scan'], load: async () => (await import('./scan-command.js')).scanCommand },
  { words: ['token', 'create'], load: async () => (await import('./token-command.js')).tokenCreateCommand },
  ...['list', 'show', 'approve', 'deny', 'cancel', 'wait'].map(
    (verb): LazyCommand => ({
      words: ['approvals', verb],
      load: async () => (await import('./approvals-command.js')).approvalsCommands.find((command) => command.words[1] === verb)!,
    }),
  ),
  ...['verify', 'show', 'list', 'replay', 'materialize', 'export'].map(
    (verb): LazyCommand => ({
      words: ['audit', verb],
      load: async () => (await import('./audit-command.js')).auditCommands.find((command) => command.words[1] === verb)!,
    }),
  ),
  { words: ['credential-helper'], load: async () => (await import('./credential-helper-command.js')).credentialHelperCommand },
];
