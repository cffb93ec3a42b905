import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Where the agent's token comes from. */
export type TokenSource = { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'command'; command: string };

export class CredentialHelperError extends Error {
  readonly code = 'CREDENTIAL_HELPER_TOKEN_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'CredentialHelperError';
  }
}

/** Parses git's credential description: `key=value` lines up to a blank line. */
export function parseCredentialRequest(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') break;
    const equals = line.indexOf('=');
    if (equals > 0) fields.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return fields;
}

export async function readToken(source: TokenSource): Promise<string> {
  let token: string | undefined;
  if (source.kind === 'env') token = process.env[source.name];
  else if (source.kind === 'file') token = await readFile(source.path, 'utf8').catch(() => undefined);
  else {
    token = await new Promise<string | undefined>((resolve) => {
      execFile('/bin/sh', ['-c', source.command], { timeout: 30_000 }, (error, stdout) => resolve(error === null ? stdout : undefined));
    });
  }
  token = token?.trim();
  if (token === undefined || token === '' || /[\r\n]/.test(token)) {
    const where = source.kind === 'env' ? `$${source.name}` : source.kind === 'file' ? source.path : `the command '${source.command}'`;
    throw new CredentialHelperError(`gitgate credential-helper: no token in ${where}`);
  }
  return token;
}

/**
 * git's credential-helper protocol for `get`: answers `username`/`password` (the token) for the
 * gateway's host, nothing for other hosts (git then asks its other helpers). `store` and `erase`
 * are accepted and ignored: the token lives where its source says.
 */
export async function answerCredentialRequest(operation: string, input: string, source: TokenSource, host: string | undefined): Promise<string> {
  if (operation !== 'get') return '';
  const request = parseCredentialRequest(input);
  if (host !== undefined && request.get('host') !== host) return '';
  const token = await readToken(source);
  return `username=${request.get('username') ?? 'agent'}\npassword=${token}\n`;
}
