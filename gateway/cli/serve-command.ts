import type { Command } from './command.js';

/** Placeholder until the gateway lands (issue: the git smart-HTTP proxy). */
export const serveCommand: Command = {
  words: ['serve'],
  summary: 'Run the gateway (not built yet)',
  usage: '[--config gitgate.yaml]',
  options: { config: { type: 'string' } },
  async run(_args, io) {
    io.stderr(
      'gitgate serve: the gateway itself is not built yet.\n' +
        'What works today: `gitgate pack index <file.pack>` (streaming pack decoder and idx writer)\n' +
        'and `gitgate policy ...` (policy toolchain). Run `gitgate --help` for the list.\n',
    );
    return 1;
  },
};
