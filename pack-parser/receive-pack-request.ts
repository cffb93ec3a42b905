import { isUtf8 } from 'node:buffer';
import { PackParserError } from './errors.js';
import { hashLengthOf, type HashAlgorithm } from './object-id.js';
import { PktLineReader, type PktLine } from './pkt-line.js';
import { parsePushCertificate, type PushCertificate } from './push-certificate.js';
import { isLowerHex } from './hex.js';
import { parseReceivePackCommand, quoteLine, type ReceivePackCommand } from './receive-pack-command.js';

/** The command section of a `git-receive-pack` request: everything before the pack. */
export interface ReceivePackRequest {
  readonly commands: readonly ReceivePackCommand[];
  /** Capabilities as sent, in order (`report-status`, `agent=git/2.39.5`, ...). */
  readonly capabilityList: readonly string[];
  /** Capabilities by name; a capability without `=value` maps to `true`. */
  readonly capabilities: ReadonlyMap<string, string | true>;
  /** From the `object-format` capability; `sha1` when absent. */
  readonly objectFormat: HashAlgorithm;
  /** Push options (`git push -o`), sent when the `push-options` capability is. */
  readonly pushOptions: readonly string[];
  /** Ids of the client's shallow boundary commits (`shallow <id>` lines). */
  readonly shallow: readonly string[];
  readonly pushCertificate: PushCertificate | undefined;
  /** False for a delete-only push: git sends no pack then. */
  readonly hasPack: boolean;
}

export interface ReceivePackRequestParserOptions {
  /**
   * Called once, as soon as the command section (and push options) have been read, before any
   * pack data. An error it throws propagates out of `write` and leaves the parser failed.
   */
  onRequest?: (request: ReceivePackRequest) => void;
  /**
   * Called with every byte after the command section, in order, without buffering: the pack.
   * The chunks may share memory with the chunks given to `write`.
   */
  onPackData?: (chunk: Buffer) => void;
  /** Most bytes the command section may take (pkt-line headers included). Default 32 MiB. */
  maxCommandSectionBytes?: number;
}

type State = 'commands' | 'certificate' | 'after-certificate' | 'push-options' | 'pack' | 'done';

const NUL = 0x00;
const LF = 0x0a;
const SHALLOW_PREFIX = Buffer.from('shallow ', 'latin1');
const PUSH_CERT = Buffer.from('push-cert', 'latin1');
const PUSH_CERT_END = Buffer.from('push-cert-end\n', 'latin1');
const DEFAULT_MAX_COMMAND_SECTION_BYTES = 32 * 1024 * 1024;

/**
 * Streaming parser of a `git-receive-pack` request body, fed chunks of any size. It reads the
 * shallow lines, the commands with their capabilities (or a push certificate), the push options,
 * reports the request, then hands every following byte on as pack data.
 *
 * Stricter than git where git would accept a malformed request: shallow lines only before the
 * first command, capabilities only on the first line, ref names valid UTF-8, no duplicate refs, no
 * empty command list, and no bytes after a delete-only request.
 */
export class ReceivePackRequestParser {
  private readonly reader = new PktLineReader();
  private readonly options: ReceivePackRequestParserOptions;
  private readonly maxCommandSectionBytes: number;
  private state: State = 'commands';
  /** The first error thrown (also one thrown by a callback): every later call throws it again. */
  private failure: unknown;

  private capabilityList: string[] = [];
  private capabilities = new Map<string, string | true>();
  private objectFormat: HashAlgorithm = 'sha1';
  private commands: ReceivePackCommand[] = [];
  private refs = new Set<string>();
  private shallow: { id: string; offset: number }[] = [];
  private pushOptions: string[] = [];
  private certificateLines: Buffer[] = [];
  private certificateOffset = 0;
  private pushCertificate: PushCertificate | undefined;
  private parsed: ReceivePackRequest | undefined;
  private packStart = -1;
  private packBytes = 0;

  constructor(options: ReceivePackRequestParserOptions = {}) {
    this.options = options;
    this.maxCommandSectionBytes = options.maxCommandSectionBytes ?? DEFAULT_MAX_COMMAND_SECTION_BYTES;
  }

  /** The request, once its command section has been read. */
  get request(): ReceivePackRequest | undefined {
    return this.parsed;
  }

  /** Offset in the body where the pack starts, once known (-1 before). */
  get packOffset(): number {
    return this.packStart;
  }

  /** Bytes handed on as pack data so far. */
  get packLength(): number {
    return this.packBytes;
  }

  write(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.consume(chunk);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /**
   * Declares the body complete and returns the request. Throws `RECEIVE_PACK_TRUNCATED` when the
   * body ended before the command section did, or without any pack bytes when a pack was due.
   */
  end(): ReceivePackRequest {
    if (this.failure !== undefined) throw this.failure;
    const request = this.parsed;
    if (request === undefined) {
      this.failure = new PackParserError(
        'RECEIVE_PACK_TRUNCATED',
        `receive-pack request ended after ${this.reader.offset + this.reader.bufferedLength} bytes, inside its command section`,
        { offset: this.reader.offset },
      );
      throw this.failure;
    }
    if (request.hasPack && this.packBytes === 0) {
      this.failure = new PackParserError(
        'RECEIVE_PACK_TRUNCATED',
        'receive-pack request ended without the pack its commands need',
        { offset: this.packStart },
      );
      throw this.failure;
    }
    return request;
  }

  private consume(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.state === 'pack') {
      this.emitPack(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      return;
    }
    if (this.state === 'done') throw this.trailingData(this.packStart);
    this.reader.push(chunk);
    for (;;) {
      const offset = this.reader.offset;
      const packet = this.reader.read();
      if (packet === undefined) break;
      this.checkSectionSize(this.reader.offset);
      this.handle(packet, offset);
      if (this.parsed !== undefined) {
        const rest = this.reader.takeRemainder();
        if (rest.length === 0) return;
        if (!this.parsed.hasPack) throw this.trailingData(this.packStart);
        this.emitPack(rest);
        return;
      }
    }
    this.checkSectionSize(this.reader.offset + this.reader.bufferedLength);
  }

  private checkSectionSize(bytes: number): void {
    if (bytes > this.maxCommandSectionBytes) {
      throw new PackParserError(
        'RECEIVE_PACK_TOO_LARGE',
        `receive-pack command section exceeds ${this.maxCommandSectionBytes} bytes; push fewer refs at once`,
        { offset: this.reader.offset },
      );
    }
  }

  private handle(packet: PktLine, offset: number): void {
    switch (this.state) {
      case 'commands':
        return this.handleCommandSection(packet, offset);
      case 'certificate':
        return this.handleCertificateLine(packet, offset);
      case 'after-certificate':
        if (packet.kind !== 'flush') throw this.badCommand(offset, 'expected a flush after push-cert-end');
        return this.endCommands(offset);
      case 'push-options':
        return this.handlePushOption(packet, offset);
      default:
        throw new Error(`unreachable state ${this.state}`);
    }
  }

  private handleCommandSection(packet: PktLine, offset: number): void {
    if (packet.kind === 'flush') {
      if (this.commands.length === 0) {
        throw new PackParserError(
          'RECEIVE_PACK_NO_COMMANDS',
          `receive-pack request at offset ${offset} has no ref update commands`,
          { offset },
        );
      }
      return this.endCommands(offset);
    }
    if (packet.kind !== 'data') throw this.badCommand(offset, `unexpected ${packet.kind} packet in the command list`);
    const line = chompLf(packet.data);
    const first = this.commands.length === 0;
    if (first && startsWith(line, SHALLOW_PREFIX)) return this.addShallow(line, offset);
    const nul = line.indexOf(NUL);
    if (nul >= 0 && !first) throw this.badCommand(offset, 'capabilities are only allowed on the first command');
    if (first && nul < 0) throw this.badCommand(offset, 'the first command carries no capabilities');
    const command = first ? line.subarray(0, nul) : line;
    if (first) this.setCapabilities(line.subarray(nul + 1), offset);
    if (first && command.equals(PUSH_CERT)) {
      this.state = 'certificate';
      this.certificateOffset = offset;
      return;
    }
    this.addCommand(parseReceivePackCommand(command, this.objectFormat, offset), offset);
  }

  private handleCertificateLine(packet: PktLine, offset: number): void {
    if (packet.kind !== 'data') {
      throw new PackParserError(
        'RECEIVE_PACK_BAD_PUSH_CERT',
        `push certificate at offset ${this.certificateOffset} ended by a ${packet.kind} packet at offset ${offset} instead of push-cert-end`,
        { offset },
      );
    }
    if (!packet.data.equals(PUSH_CERT_END)) {
      this.certificateLines.push(Buffer.from(packet.data));
      return;
    }
    const raw = Buffer.concat(this.certificateLines);
    this.certificateLines = [];
    const { certificate, commands } = parsePushCertificate(raw, this.objectFormat, this.certificateOffset);
    if (commands.length === 0) {
      throw new PackParserError(
        'RECEIVE_PACK_NO_COMMANDS',
        `push certificate at offset ${this.certificateOffset} has no ref update commands`,
        { offset: this.certificateOffset },
      );
    }
    for (const command of commands) this.addCommand(command, this.certificateOffset);
    this.pushCertificate = certificate;
    this.state = 'after-certificate';
  }

  private handlePushOption(packet: PktLine, offset: number): void {
    if (packet.kind === 'flush') return this.finish(offset);
    if (packet.kind !== 'data') throw this.badPushOption(offset, `unexpected ${packet.kind} packet among push options`);
    const option = chompLf(packet.data);
    if (option.includes(NUL) || option.includes(LF) || !isUtf8(option)) {
      throw this.badPushOption(offset, `push option ${quoteLine(option)} contains a NUL or newline or is not valid UTF-8`);
    }
    this.pushOptions.push(option.toString('utf8'));
  }

  private endCommands(offset: number): void {
    for (const { id, offset: at } of this.shallow) {
      if (id.length !== hashLengthOf(this.objectFormat) * 2) {
        throw new PackParserError(
          'RECEIVE_PACK_BAD_OBJECT_ID',
          `shallow id ${id} at offset ${at} does not match the object format ${this.objectFormat}`,
          { offset: at },
        );
      }
    }
    if (this.capabilities.has('push-options')) this.state = 'push-options';
    else this.finish(offset);
  }

  private finish(offset: number): void {
    const hasPack = this.commands.some((command) => command.operation !== 'delete');
    this.parsed = {
      commands: this.commands,
      capabilityList: this.capabilityList,
      capabilities: this.capabilities,
      objectFormat: this.objectFormat,
      pushOptions: this.pushOptions,
      shallow: this.shallow.map((entry) => entry.id),
      pushCertificate: this.pushCertificate,
      hasPack,
    };
    this.packStart = offset + 4;
    this.state = hasPack ? 'pack' : 'done';
    this.options.onRequest?.(this.parsed);
  }

  private emitPack(chunk: Buffer): void {
    this.packBytes += chunk.length;
    this.options.onPackData?.(chunk);
  }

  private addShallow(line: Buffer, offset: number): void {
    const idLength = line.length - SHALLOW_PREFIX.length;
    if ((idLength !== 40 && idLength !== 64) || !isLowerHex(line, SHALLOW_PREFIX.length, idLength)) {
      throw new PackParserError(
        'RECEIVE_PACK_BAD_OBJECT_ID',
        `expected "shallow <id>" at offset ${offset}, got ${quoteLine(line)}`,
        { offset },
      );
    }
    this.shallow.push({ id: line.toString('latin1', SHALLOW_PREFIX.length), offset });
  }

  private addCommand(command: ReceivePackCommand, offset: number): void {
    if (this.refs.has(command.ref)) {
      throw new PackParserError(
        'RECEIVE_PACK_DUPLICATE_REF',
        `ref ${command.ref} is updated twice in one push (second time at offset ${offset})`,
        { offset },
      );
    }
    this.refs.add(command.ref);
    this.commands.push(command);
  }

  private setCapabilities(list: Buffer, offset: number): void {
    if (!isUtf8(list)) throw this.badCommand(offset, 'the capability list is not valid UTF-8');
    for (const capability of list.toString('utf8').split(' ')) {
      if (capability.length === 0) continue;
      this.capabilityList.push(capability);
      const equals = capability.indexOf('=');
      if (equals < 0) this.capabilities.set(capability, true);
      else this.capabilities.set(capability.slice(0, equals), capability.slice(equals + 1));
    }
    const format = this.capabilities.get('object-format');
    if (format === 'sha256') this.objectFormat = 'sha256';
    else if (format !== undefined && format !== 'sha1') {
      throw this.badCommand(offset, `unsupported object-format capability ${JSON.stringify(String(format))}`);
    }
  }

  private badCommand(offset: number, message: string): PackParserError {
    return new PackParserError('RECEIVE_PACK_BAD_COMMAND', `receive-pack request at offset ${offset}: ${message}`, { offset });
  }

  private badPushOption(offset: number, message: string): PackParserError {
    return new PackParserError('RECEIVE_PACK_BAD_PUSH_OPTION', `receive-pack request at offset ${offset}: ${message}`, { offset });
  }

  private trailingData(offset: number): PackParserError {
    return new PackParserError(
      'RECEIVE_PACK_TRAILING_DATA',
      `receive-pack request has bytes after its command section at offset ${offset}, but its commands are all deletions and take no pack`,
      { offset },
    );
  }
}

function chompLf(data: Buffer): Buffer {
  return data.length > 0 && data[data.length - 1] === LF ? data.subarray(0, data.length - 1) : data;
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
