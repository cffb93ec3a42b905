import type { BlobChange } from './added-lines.js';
import type { SecretFinding } from './finding.js';
import { toBuffer, type FileScanResult } from './secret-scanner.js';
import { ExpansionBudget, ZipArchive, ZipUnreadableError, isZipArchive, unlessUnreadable, type ArchiveLimits } from './zip-archive.js';

/** Where a scan stands in nested archives: how deep, and the expansion left to the outermost file. */
export interface ArchiveScanContext {
  depth: number;
  budget: ExpansionBudget;
}

export function topLevelArchiveContext(limits: Readonly<ArchiveLimits>): ArchiveScanContext {
  return { depth: 0, budget: new ExpansionBudget(limits) };
}

/** Scans one file found in an archive, as the caller scans files (archives in it included). */
export type ArchiveEntryScan = (change: BlobChange, context: ArchiveScanContext) => Promise<FileScanResult>;

export interface ArchiveEntriesScan {
  findings: SecretFinding[];
  truncated: boolean;
  unscanned?: string;
}

/**
 * The findings in the files of a zip archive, or undefined when the content is not one. Each file
 * is scanned as a file of its own, at the path `<archive path>!<entry name>` (as Java names a
 * file in a jar), so its findings carry their line in that file. A file with findings is scanned
 * again against the file of the same name in the old version of the archive, when there is one:
 * what the old archive already held is not reported again. An archive that cannot be read whole
 * (see zip-archive.ts) or nests deeper than `maxDepth` ends the scan with `unscanned`.
 */
export async function scanZipEntries(
  change: BlobChange & { newContent: Buffer },
  context: ArchiveScanContext,
  pause: () => Promise<void>,
  scanEntry: ArchiveEntryScan,
): Promise<ArchiveEntriesScan | undefined> {
  if (!isZipArchive(change.newContent)) return undefined;
  const { limits } = context.budget;
  const scan: ArchiveEntriesScan = { findings: [], truncated: false };
  const stop = (reason: string): ArchiveEntriesScan => ({ ...scan, unscanned: `${change.path}: ${reason}` });
  if (context.depth >= limits.maxDepth) return stop(`it is an archive inside ${limits.maxDepth} others, deeper than gitgate reads`);
  const archive = await unlessUnreadable(ZipArchive.open(change.newContent, limits));
  if (archive instanceof ZipUnreadableError) return stop(archive.message);
  const inner: ArchiveScanContext = { depth: context.depth + 1, budget: context.budget };
  const commit = change.commit === undefined ? {} : { commit: change.commit };
  let oldArchive: Promise<ZipArchive | undefined> | undefined;
  for (const file of archive.files) {
    await pause();
    const content = await unlessUnreadable(archive.read(file, context.budget));
    if (content instanceof ZipUnreadableError) return stop(content.message);
    const path = `${change.path}!${file.name}`;
    let result = await scanEntry({ path, newContent: content, ...commit }, inner);
    if (result.findings.length > 0 && change.oldContent !== undefined) {
      oldArchive ??= openOldArchive(change.oldContent, limits);
      const oldContent = await readOldFile(await oldArchive, file.name, context.budget);
      if (oldContent !== undefined) result = await scanEntry({ path, newContent: content, oldContent, ...commit }, inner);
    }
    scan.findings.push(...result.findings);
    scan.truncated ||= result.truncatedFindings === true;
    if (result.unscanned !== undefined) return { ...scan, unscanned: result.unscanned };
  }
  return scan;
}

/** The old version as an archive, when it is one that can be read (else its files count as absent). */
async function openOldArchive(oldContent: BlobChange['oldContent'], limits: Readonly<ArchiveLimits>): Promise<ZipArchive | undefined> {
  const archive = await unlessUnreadable(ZipArchive.open(toBuffer(oldContent ?? ''), limits));
  return archive instanceof ZipUnreadableError ? undefined : archive;
}

/** The old file of that name; undefined when there is none or it cannot be read (all findings then stand). */
async function readOldFile(archive: ZipArchive | undefined, name: string, budget: ExpansionBudget): Promise<Buffer | undefined> {
  const file = archive?.file(name);
  if (archive === undefined || file === undefined) return undefined;
  const content = await unlessUnreadable(archive.read(file, budget));
  return content instanceof ZipUnreadableError ? undefined : content;
}
