import {
  ArchiveUnreadableError,
  ExpansionBudget,
  unlessUnreadable,
  type ArchiveLimits,
  type ArchiveReader,
} from './archive-limits.js';
import type { BlobChange } from './added-lines.js';
import { ArArchive, isArArchive } from './ar-archive.js';
import type { SecretFinding } from './finding.js';
import { COMPRESSIONS, CompressedFile } from './compressed-file.js';
import { toBuffer, type FileScanResult } from './secret-scanner.js';
import { TarArchive, isTarArchive } from './tar-archive.js';
import { ZipArchive, isZipArchive } from './zip-archive.js';

/** Where a scan stands in nested archives: how deep, and the expansion left to the outermost file. */
export interface ArchiveScanContext {
  depth: number;
  budget: ExpansionBudget;
  /**
   * Told the size of each file read out of an archive before it is scanned; may throw to stop the
   * scan (a push counts those bytes against its scanning allowance, as it counts its blobs).
   */
  charge?: (bytes: number) => void;
}

export function topLevelArchiveContext(limits: Readonly<ArchiveLimits>, charge?: (bytes: number) => void): ArchiveScanContext {
  return { depth: 0, budget: new ExpansionBudget(limits), ...(charge === undefined ? {} : { charge }) };
}

/** Scans one file found in an archive, as the caller scans files (archives in it included). */
export type ArchiveEntryScan = (change: BlobChange, context: ArchiveScanContext) => Promise<FileScanResult>;

export interface ArchiveEntriesScan {
  findings: SecretFinding[];
  truncated: boolean;
  unscanned?: string;
}

interface ArchiveFormat {
  recognizes(content: Buffer): boolean;
  /** Opens the content; ArchiveUnreadableError when it cannot be read. */
  open(content: Buffer, path: string, limits: Readonly<ArchiveLimits>): Promise<ArchiveReader>;
}

/**
 * The formats whose files are read. Content that is more than one of them (bytes that end like a
 * zip and start like a gzip) is read as each: an extractor may take it for either.
 */
const ARCHIVE_FORMATS: readonly ArchiveFormat[] = [
  { recognizes: isZipArchive, open: (content, _path, limits) => ZipArchive.open(content, limits) },
  ...COMPRESSIONS.map((compression): ArchiveFormat => ({
    recognizes: (content) => compression.recognizes(content),
    open: async (content, path) => new CompressedFile(compression, content, path),
  })),
  { recognizes: isTarArchive, open: async (content, _path, limits) => new TarArchive(content, limits) },
  { recognizes: isArArchive, open: async (content, _path, limits) => new ArArchive(content, limits) },
];

/**
 * The findings in the files of an archive (zip, tar, ar, or a file compressed with gzip, xz, zstd
 * or bzip2), or undefined when the content is none. Each file is scanned as a file of its own, at
 * the path `<archive path>!<entry name>` (as Java names a file in a jar; a compressed file's one
 * file is named as gunzip names it, so a key in `site.tar.gz` is found at
 * `site.tar.gz!site.tar!config/app.env`), so its findings carry their line in that file. A file
 * with findings is scanned again against the file of the same name in the old version of the
 * archive, when there is one: what the old archive already held is not reported again. An
 * archive that cannot be read whole or nests deeper than `maxDepth` ends the scan with
 * `unscanned`.
 */
export async function scanArchiveEntries(
  change: BlobChange & { newContent: Buffer },
  context: ArchiveScanContext,
  pause: () => Promise<void>,
  scanEntry: ArchiveEntryScan,
): Promise<ArchiveEntriesScan | undefined> {
  const formats = ARCHIVE_FORMATS.filter((format) => format.recognizes(change.newContent));
  if (formats.length === 0) return undefined;
  const { limits } = context.budget;
  const scan: ArchiveEntriesScan = { findings: [], truncated: false };
  const stop = (reason: string): ArchiveEntriesScan => ({ ...scan, unscanned: `${change.path}: ${reason}` });
  if (context.depth >= limits.maxDepth) return stop(`it is an archive inside ${limits.maxDepth} others, deeper than gitgate reads`);
  const inner: ArchiveScanContext = { ...context, depth: context.depth + 1 };
  const commit = change.commit === undefined ? {} : { commit: change.commit };
  for (const format of formats) {
    let oldArchive: Promise<ArchiveReader | undefined> | undefined;
    try {
      const archive = await format.open(change.newContent, change.path, limits);
      for await (const file of archive.readFiles(context.budget)) {
        await pause();
        context.charge?.(file.content.length);
        const path = `${change.path}!${file.name}`;
        let result = await scanEntry({ path, newContent: file.content, ...commit }, inner);
        if (result.findings.length > 0 && change.oldContent !== undefined) {
          oldArchive ??= openOldArchive(format, toBuffer(change.oldContent), change.path, limits);
          const oldContent = await readOldFile(await oldArchive, file.name, context.budget);
          if (oldContent !== undefined) result = await scanEntry({ path, newContent: file.content, oldContent, ...commit }, inner);
        }
        scan.findings.push(...result.findings);
        scan.truncated ||= result.truncatedFindings === true;
        if (result.unscanned !== undefined) return { ...scan, unscanned: result.unscanned };
      }
    } catch (error) {
      if (error instanceof ArchiveUnreadableError) return stop(error.message);
      throw error;
    }
  }
  return scan;
}

/** The old version as an archive of the same format, when it is one that can be read (else its files count as absent). */
async function openOldArchive(format: ArchiveFormat, oldContent: Buffer, path: string, limits: Readonly<ArchiveLimits>): Promise<ArchiveReader | undefined> {
  if (!format.recognizes(oldContent)) return undefined;
  const archive = await unlessUnreadable(format.open(oldContent, path, limits));
  return archive instanceof ArchiveUnreadableError ? undefined : archive;
}

/** The old file of that name; undefined when there is none or it cannot be read (all findings then stand). */
async function readOldFile(archive: ArchiveReader | undefined, name: string, budget: ExpansionBudget): Promise<Buffer | undefined> {
  if (archive === undefined) return undefined;
  const content = await unlessUnreadable(archive.readLastNamed(name, budget));
  return content instanceof ArchiveUnreadableError ? undefined : content;
}
