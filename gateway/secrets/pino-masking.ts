import { symbols, type Logger, type LoggerOptions } from 'pino';
import type { SecretMasker } from './secret-masker.js';

/** Fields that never carry anything but credentials: censored by path, whatever their value. */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'upstream.token',
  'credentials',
  '*.password',
  '*.token',
  '*.secret',
];

export interface PinoMaskingConfig {
  redactPaths?: readonly string[];
  censor?: string;
}

/**
 * Options to spread into `pino({...})`: `redact` censors known credential fields by path, and
 * the `formatters` and `hooks` mask secret values anywhere else (message, format arguments,
 * merged objects, errors with their stacks, base and child bindings).
 */
export function pinoMaskingOptions(
  masker: SecretMasker,
  config: PinoMaskingConfig = {},
): Required<Pick<LoggerOptions, 'redact' | 'formatters' | 'hooks' | 'onChild'>> {
  return {
    redact: { paths: [...(config.redactPaths ?? DEFAULT_REDACT_PATHS)], censor: config.censor ?? '[REDACTED]' },
    formatters: {
      log: (object) => masker.maskValue(object),
      bindings: (bindings) => masker.maskValue(bindings),
    },
    // pino serializes a child's bindings once, without the bindings formatter: mask that JSON fragment.
    onChild: (child: Logger) => maskChildBindings(masker, child),
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => masker.maskValue(arg)) as typeof args;
        method.apply(this, masked);
      },
    },
  };
}

function maskChildBindings(masker: SecretMasker, child: Logger): void {
  const holder = child as unknown as Record<symbol, unknown>;
  const fragment = holder[symbols.chindingsSym];
  if (typeof fragment !== 'string' || fragment.length === 0) return;
  let bindings: unknown;
  try {
    bindings = JSON.parse(`{${fragment.slice(1)}}`);
  } catch {
    return;
  }
  const masked = JSON.stringify(masker.maskValue(bindings));
  holder[symbols.chindingsSym] = `,${masked.slice(1, -1)}`;
}
