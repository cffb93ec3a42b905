import { existsSync } from 'node:fs';
import { CliUsageError, stringOption, type ParsedCommandArgs } from './command.js';
import { defaultConfig, loadConfigFile } from '../config/load-config.js';
import { isConfigError } from '../config/errors.js';
import type { GatewayConfig } from '../config/config-types.js';

/** The config named by `--config`, else `$GITGATE_CONFIG`, else the embedded defaults. */
export function configFromArgs(args: ParsedCommandArgs): GatewayConfig {
  const path = stringOption(args, 'config') ?? process.env['GITGATE_CONFIG'];
  try {
    if (path === undefined) return defaultConfig();
    if (!existsSync(path)) throw new CliUsageError(`config file not found: ${path}`);
    return loadConfigFile(path);
  } catch (error) {
    if (isConfigError(error)) throw new CliUsageError(error.message);
    throw error;
  }
}
