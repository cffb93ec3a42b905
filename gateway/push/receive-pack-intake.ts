import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  idxV2Pieces,
  isPackParserError,
  PackDecoder,
  ReceivePackRequestParser,
  SpillingPackSpool,
  type ExternalBase,
  type PackLimits,
  type ReceivePackRequest,
} from '../../pack-parser/index.js';
import { CommandSectionRecorder } from './command-section.js';
import { PushError, pushErrorCodeFor } from './errors.js';
import { PushedObjects } from './pushed-objects.js';

/**
 * A receive-pack request read to its end: commands parsed, pack decoded, verified and spooled.
 * A lone flush (git's probe before a large push, or an up-to-date push) has no commands.
 */
export interface ReceivedPush {
  request: ReceivePackRequest;
  pushed: PushedObjects;
  pack: { size: number; objects: number } | null;
  /** SHA-256 of the pack bytes as they arrived (hashed while spooling); undefined without a pack. */
  packSha256: string | undefined;
  /**
   * Writes the pack bytes to the new file `path` and syncs them: a hard link to the spool file
   * when the pack spilled to disk (a copy when the link cannot be made, e.g. across file
   * systems), else a write of the bytes in memory.
   */
  savePack(path: string): Promise<void>;
  /** The identical request bytes (command section, then the spooled pack), for the upstream. */
  forwardBody(): Readable;
  /** How many bytes `forwardBody` gives. */
  forwardBodyBytes: number;
  /**
   * Writes the pack's version 2 idx (as `git index-pack` would, thin bases not included) from
   * what the decoder already computed: no second decode. Usable after `close()` too.
   */
  writeIdx(path: string): Promise<void>;
  /** Frees the spool (memory or temporary file) and the decoded objects: `pushed` is empty afterwards. */
  close(): void;
}

export interface IntakeOptions {
  resolveExternalBase?: (id: string) => Promise<ExternalBase | undefined>;
  limits?: Partial<PackLimits>;
  /**
   * Where a pack too large for memory is spooled (default: the OS temp directory). On the file
   * system of the audit packs, `savePack` links the spool file instead of copying it.
   */
  spoolDirectory?: string;
}

const LONE_FLUSH = Buffer.from('0000', 'latin1');

function loneFlush(): ReceivedPush {
  const request: ReceivePackRequest = {
    commands: [],
    capabilityList: [],
    capabilities: new Map(),
    objectFormat: 'sha1',
    pushOptions: [],
    shallow: [],
    pushCertificate: undefined,
    hasPack: false,
  };
  return {
    request,
    pushed: new PushedObjects(),
    pack: null,
    packSha256: undefined,
    savePack: noPack,
    forwardBody: () => Readable.from([LONE_FLUSH]),
    forwardBodyBytes: LONE_FLUSH.length,
    writeIdx: noPack,
    close: () => undefined,
  };
}

function noPack(): Promise<void> {
  return Promise.reject(new PushError('PUSH_REQUEST_INVALID', 'this push has no pack'));
}

/** Writes the spooled pack to the new file `path`, synced (see `ReceivedPush.savePack`). */
async function saveSpool(spool: SpillingPackSpool, path: string): Promise<void> {
  const spilled = spool.path;
  if (spilled === undefined) {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(spool.read(0, spool.size));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return;
  }
  try {
    await link(spilled, path);
  } catch {
    await copyFile(spilled, path, constants.COPYFILE_EXCL);
  }
  // The spool was written without syncing; syncing any descriptor of the file flushes its data.
  const handle = await open(path, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function asPushError(error: unknown, during: string): unknown {
  if (error instanceof PushError) return error;
  if (isPackParserError(error)) {
    const code = pushErrorCodeFor(error.code);
    const context = code === 'PUSH_TOO_LARGE' ? 'the pushed pack is beyond what gitgate accepts' : during;
    return new PushError(code, `${context}: ${error.message} (${error.code})`, { cause: error });
  }
  return error;
}

/** Tells a PushError which request it refuses, once its commands were read. */
function withRequest(error: unknown, request: ReceivePackRequest | undefined): unknown {
  if (error instanceof PushError && request !== undefined) error.request ??= request;
  return error;
}

/**
 * Reads a receive-pack request body: parses the commands, decodes the pack while it is spooled
 * (never holding it whole), resolves thin-pack bases, verifies ids and the checksum. Nothing is
 * forwarded here; the caller decides.
 */
export async function receivePush(body: AsyncIterable<Buffer>, options: IntakeOptions = {}): Promise<ReceivedPush> {
  const pushed = new PushedObjects();
  let decoder: PackDecoder | undefined;
  let spool: SpillingPackSpool | undefined;
  let packHash: Hash | undefined;
  const parser = new ReceivePackRequestParser({
    onRequest: (request) => {
      if (!request.hasPack) return;
      spool = new SpillingPackSpool(options.spoolDirectory === undefined ? {} : { tempDirectory: options.spoolDirectory });
      packHash = createHash('sha256');
      decoder = new PackDecoder({
        spool,
        hashAlgorithm: request.objectFormat,
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        ...(options.resolveExternalBase === undefined ? {} : { resolveExternalBase: options.resolveExternalBase }),
        onObject: (object) => pushed.add(object),
      });
    },
    onPackData: (chunk) => {
      packHash!.update(chunk);
      decoder!.write(chunk);
    },
  });
  // A lone flush-pkt is valid (it changes nothing) but not a request the parser accepts: hold the
  // first bytes until the body is known to be more than that.
  let held: Buffer | undefined = Buffer.alloc(0);
  const commandSection = new CommandSectionRecorder(parser);
  const feed = (chunk: Buffer): void => commandSection.feed(chunk);
  try {
    try {
      for await (const chunk of body) {
        if (held !== undefined) {
          held = Buffer.concat([held, chunk]);
          if (held.length <= LONE_FLUSH.length) continue;
          const first = held;
          held = undefined;
          feed(first);
          continue;
        }
        feed(chunk);
      }
      if (held !== undefined) {
        if (held.equals(LONE_FLUSH)) return loneFlush();
        feed(held);
      }
      parser.end();
    } catch (error) {
      throw withRequest(asPushError(error, 'the push request is malformed'), parser.request);
    }
    const request = parser.request!;
    let pack: ReceivedPush['pack'] = null;
    if (decoder !== undefined) {
      try {
        const summary = await decoder.end();
        pack = { size: summary.byteLength, objects: summary.objectCount };
        const verified = decoder;
        pushed.attachPack((id) => verified.readObject(id));
      } catch (error) {
        throw withRequest(asPushError(error, 'the pushed pack is invalid'), request);
      }
    }
    const commandBytes = commandSection.bytes();
    const packSha256 = packHash?.digest('hex');
    const spooled = spool;
    const release = (): void => {
      decoder?.close();
      spooled?.close();
      pushed.release();
    };
    return {
      request,
      pushed,
      pack,
      packSha256,
      savePack: (path) => (spooled === undefined ? noPack() : saveSpool(spooled, path)),
      forwardBodyBytes: commandBytes.length + (spooled?.size ?? 0),
      forwardBody: () =>
        Readable.from(
          (async function* () {
            yield commandBytes;
            if (spooled !== undefined) yield* spooled.openReadStream();
          })(),
        ),
      writeIdx: async (path) => {
        if (decoder === undefined) return noPack();
        const handle = await open(path, 'w', 0o644);
        try {
          for (const piece of idxV2Pieces(decoder.table, decoder.checksum!, decoder.hashAlgorithm)) await handle.write(piece);
        } finally {
          await handle.close();
        }
      },
      close: release,
    };
  } catch (error) {
    decoder?.close();
    spool?.close();
    pushed.release();
    throw error;
  }
}
