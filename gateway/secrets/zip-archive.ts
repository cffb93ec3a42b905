import yauzl from 'yauzl';
import { ArchiveUnreadableError, DEFLATE_MAX_RATIO, notReadableAs, quotedEntryName, readWhole, type ArchiveFile, type ArchiveLimits, type ArchiveReader, type ExpansionBudget } from './archive-limits.js';

/**
 * Reading the files inside zip archives (zip, jar, war, apk, whl, nupkg, docx, xlsx, pptx, odt and
 * the other formats built on zip), for the secret scan: a key in `application.properties` inside a
 * committed jar, or in a zipped `.env`, is deflated, and no rule finds it in the archive's bytes.
 *
 * yauzl parses the archive (central directory, ZIP64, and the check that every entry inflates to
 * exactly the size it declares). What is left here is what a scanner must refuse to be fooled by:
 * - limits on entries and on the bytes they expand to, checked against the declared sizes before
 *   anything is inflated (yauzl's check makes the declared sizes true), so a zip bomb costs nothing;
 * - data that readers other than yauzl would extract but the central directory does not list: a
 *   local file header outside every listed entry;
 * - encrypted entries and compression methods other than stored and deflate, which cannot be read.
 * Any of these makes the archive unreadable (ArchiveUnreadableError, with the reason), and a scanner
 * that cannot read what it is given says so rather than passing it. Limits: archive-limits.ts.
 */

const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const LOCAL_FILE_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;

/**
 * Where the archive's end-of-central-directory record starts, or -1 when the content is no zip
 * archive: the last record signature whose comment length reaches exactly the end of the content
 * (how every zip reader finds the record; a signature by chance rarely ends the content too).
 */
export function zipEndRecordOffset(content: Buffer): number {
  const lowest = Math.max(0, content.length - END_RECORD_BYTES - MAX_COMMENT_BYTES);
  for (let at = content.lastIndexOf(END_OF_CENTRAL_DIRECTORY, content.length - END_RECORD_BYTES); at >= lowest; at = content.lastIndexOf(END_OF_CENTRAL_DIRECTORY, at - 1)) {
    if (at + END_RECORD_BYTES + content.readUInt16LE(at + 20) === content.length) return at;
    if (at === 0) break;
  }
  return -1;
}

export function isZipArchive(content: Buffer): boolean {
  return content.length >= END_RECORD_BYTES && zipEndRecordOffset(content) >= 0;
}

const unreadable = (error: unknown): ArchiveUnreadableError => notReadableAs('a zip archive', error);

/** One file of an archive (empty directory entries are not listed). */
export interface ZipFileEntry {
  readonly name: string;
  /** Its place among the archive's entries: two entries may have the same name, and both are read. */
  readonly index: number;
}

/** The files of a zip archive held in memory, read one at a time against an ExpansionBudget. */
export class ZipArchive implements ArchiveReader {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: readonly yauzl.Entry[],
    readonly files: readonly ZipFileEntry[],
  ) {}

  /**
   * Lists the archive's files and checks that nothing lies outside them; ArchiveUnreadableError when
   * it cannot be read whole.
   */
  static async open(content: Buffer, limits: Readonly<ArchiveLimits>): Promise<ZipArchive> {
    const endRecord = zipEndRecordOffset(content);
    if (endRecord < 0) throw new ArchiveUnreadableError('it is not a zip archive (no end of central directory record)');
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromBufferPromise(content, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false });
    } catch (error) {
      throw unreadable(error);
    }
    if (zip.entryCount > limits.maxEntries) {
      throw new ArchiveUnreadableError(`it lists ${zip.entryCount} entries, more than the ${limits.maxEntries} gitgate reads of one archive`);
    }
    const entries = await listEntries(zip);
    await checkNothingUnlisted(zip, entries, content, endRecord);
    // A directory entry that holds bytes is read like a file: extractors differ on what they do with them.
    const files = entries.flatMap((entry, index) =>
      entry.fileName.endsWith('/') && entry.uncompressedSize === 0 ? [] : [{ name: entry.fileName, index }],
    );
    return new ZipArchive(zip, entries, files);
  }

  /** The last file of that name (the one extracting the archive leaves), or undefined. */
  file(name: string): ZipFileEntry | undefined {
    return this.files.findLast((file) => file.name === name);
  }

  async *readFiles(budget: ExpansionBudget): AsyncGenerator<ArchiveFile> {
    for (const file of this.files) yield { name: file.name, content: await this.read(file, budget) };
  }

  async readLastNamed(name: string, budget: ExpansionBudget): Promise<Buffer | undefined> {
    const file = this.file(name);
    return file === undefined ? undefined : this.read(file, budget);
  }

  /** The bytes of a file, taken from `budget`; ArchiveUnreadableError when it cannot be read. */
  async read(file: ZipFileEntry, budget: ExpansionBudget): Promise<Buffer> {
    const entry = this.entries[file.index];
    const what = `the entry ${quotedEntryName(file.name)}`;
    if (entry === undefined || entry.fileName !== file.name) throw new ArchiveUnreadableError(`${what} is not in the archive`);
    if (entry.isEncrypted()) throw new ArchiveUnreadableError(`${what} is encrypted`);
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new ArchiveUnreadableError(`${what} uses compression method ${entry.compressionMethod}; gitgate reads stored and deflated entries`);
    }
    budget.take(entry.uncompressedSize, what);
    try {
      const stream = await this.zip.openReadStreamPromise(entry);
      // yauzl ends the stream with an error when the entry inflates to more or less than declared.
      const sizeHint = Math.min(entry.uncompressedSize, Math.max(entry.compressedSize, 1) * DEFLATE_MAX_RATIO);
      const content = await readWhole(stream, sizeHint, entry.uncompressedSize);
      if (content === undefined) throw new Error(`it inflates to more than the ${entry.uncompressedSize} bytes it declares`);
      return content;
    } catch (error) {
      throw new ArchiveUnreadableError(`${what} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
  }
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: unknown) => reject(unreadable(error)));
    zip.readEntry();
  });
}

/** Where the central directory starts (ZIP64 archives keep it in their own end record). */
function centralDirectoryStart(content: Buffer, endRecord: number): number {
  const offset = content.readUInt32LE(endRecord + 16);
  if (offset !== 0xffffffff) return Math.min(offset, endRecord);
  const locator = endRecord - 20;
  if (locator >= 0 && content.readUInt32LE(locator) === 0x07064b50) {
    const record = Number(content.readBigUInt64LE(locator + 8));
    if (record + 56 <= content.length && content.readUInt32LE(record) === 0x06064b50) return Math.min(Number(content.readBigUInt64LE(record + 48)), endRecord);
  }
  return endRecord;
}

/**
 * Readers that walk local file headers from the start (streaming unzippers) extract entries the
 * central directory does not list; the scanner must not miss what they would find. Refuses a local
 * file header signature in front of the central directory that lies outside every listed entry's
 * bytes (its header and data).
 */
async function checkNothingUnlisted(zip: yauzl.ZipFile, entries: readonly yauzl.Entry[], content: Buffer, endRecord: number): Promise<void> {
  const spans: Array<{ start: number; end: number }> = [];
  for (const entry of entries) {
    let dataStart: number;
    try {
      ({ fileDataStart: dataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true }));
    } catch (error) {
      throw unreadable(error);
    }
    spans.push({ start: entry.relativeOffsetOfLocalHeader, end: dataStart + entry.compressedSize });
  }
  spans.sort((a, b) => a.start - b.start);
  const directoryStart = centralDirectoryStart(content, endRecord);
  // Signatures come in order: the spans starting at or before one are swept once, keeping the
  // furthest end among them; the signature is inside an entry when that end lies past it.
  let next = 0;
  let furthestEnd = 0;
  for (let at = content.indexOf(LOCAL_FILE_HEADER); at >= 0 && at < directoryStart; at = content.indexOf(LOCAL_FILE_HEADER, at + 1)) {
    while (next < spans.length && spans[next]!.start <= at) furthestEnd = Math.max(furthestEnd, spans[next++]!.end);
    if (at >= furthestEnd) throw new ArchiveUnreadableError(`it holds a file at byte ${at} that its central directory does not list`);
  }
}
