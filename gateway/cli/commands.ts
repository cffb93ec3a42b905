import type { Command } from './command.js';
import { serveCommand } from './serve-command.js';
import { packIndexCommand } from './pack-command.js';
import { policyCommands } from './policy-command.js';
import { scanCommand } from './scan-command.js';
import { tokenCreateCommand } from './token-command.js';
import { credentialHelperCommand } from './credential-helper-command.js';

/** Every subcommand of the `gitgate` CLI. Each concern adds its own file and one line here. */
export const allCommands: Command[] = [serveCommand, packIndexCommand, ...policyCommands, scanCommand, tokenCreateCommand, credentialHelperCommand];
