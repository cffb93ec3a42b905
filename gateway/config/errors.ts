/** Every error of the config module is a ConfigError with a stable `code`. */
export type ConfigErrorCode = 'CONFIG_NOT_FOUND' | 'CONFIG_INVALID_YAML' | 'CONFIG_INVALID' | 'CONFIG_CREDENTIAL_UNAVAILABLE';

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;

  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.code = code;
  }
}

export function isConfigError(error: unknown, code?: ConfigErrorCode): error is ConfigError {
  return error instanceof ConfigError && (code === undefined || error.code === code);
}
