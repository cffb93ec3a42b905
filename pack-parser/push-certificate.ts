import { PackParserError } from './errors.js';
import type { HashAlgorithm } from './object-id.js';
import { parseReceivePackCommand, type ReceivePackCommand } from './receive-pack-command.js';
import { signatureFormatOf, signatureStart, type SignatureFormat } from './signature-format.js';

/** A signed push certificate (`git push --signed`), kept verbatim with its header fields parsed. */
export interface PushCertificate {
  /** The certificate exactly as sent: every line from `certificate version` to the signature's end. */
  readonly raw: Buffer;
  readonly version: string;
  readonly pusher: string | undefined;
  readonly pushee: string | undefined;
  readonly nonce: string | undefined;
  /** `push-option` lines of the certificate header. */
  readonly pushOptions: readonly string[];
  /** The certificate's signature format, `undefined` when it carries no signature block. */
  readonly signatureFormat: SignatureFormat | undefined;
}

const LF = 0x0a;

/**
 * Parses the certificate text sent between `push-cert` and `push-cert-end`. Its ref updates are the
 * push's commands (git takes them from the certificate, not from separate command lines).
 * `offset` is where the certificate starts in the request, for error messages.
 */
export function parsePushCertificate(
  raw: Buffer,
  algorithm: HashAlgorithm,
  offset: number,
): { certificate: PushCertificate; commands: ReceivePackCommand[] } {
  const fail = (message: string): never => {
    throw new PackParserError('RECEIVE_PACK_BAD_PUSH_CERT', `push certificate at offset ${offset}: ${message}`, { offset });
  };
  if (raw.length > 0 && raw[raw.length - 1] !== LF) fail('does not end with a newline');
  const headerEnd = raw.indexOf('\n\n', 0, 'latin1');
  if (headerEnd < 0) fail('has no blank line between its header and its ref updates');
  const header = raw.toString('utf8', 0, headerEnd).split('\n');
  const versionPrefix = 'certificate version ';
  if (!header[0]!.startsWith(versionPrefix)) fail('does not start with "certificate version"');
  const fields: { pusher?: string; pushee?: string; nonce?: string } = {};
  const pushOptions: string[] = [];
  for (const line of header.slice(1)) {
    const space = line.indexOf(' ');
    const name = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    if (name === 'push-option') pushOptions.push(value);
    else if (name === 'pusher' || name === 'pushee' || name === 'nonce') {
      if (fields[name] !== undefined) fail(`repeats the "${name}" header`);
      fields[name] = value;
    }
  }
  const bodyStart = headerEnd + 2;
  const bodyEnd = signatureStart(raw, bodyStart);
  const commands: ReceivePackCommand[] = [];
  for (let line = bodyStart; line < bodyEnd; ) {
    const eol = raw.indexOf(LF, line);
    if (eol === line) fail('has an empty line among its ref updates');
    commands.push(parseReceivePackCommand(raw.subarray(line, eol), algorithm, offset));
    line = eol + 1;
  }
  return {
    certificate: {
      raw,
      version: header[0]!.slice(versionPrefix.length),
      pusher: fields.pusher,
      pushee: fields.pushee,
      nonce: fields.nonce,
      pushOptions,
      signatureFormat: bodyEnd < raw.length ? signatureFormatOf(raw, bodyEnd) : undefined,
    },
    commands,
  };
}
