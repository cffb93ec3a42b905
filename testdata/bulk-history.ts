import { createCipheriv, createHash } from 'node:crypto';
import { gitWithStdinStream, hermeticGitEnv } from './git-cli.js';
import { SeededRandom } from './seeded-random.js';

/** A large push made from a seed: what `writeBulkHistory` adds on top of a branch. */
export interface BulkHistoryOptions {
  seed: number;
  /** Bytes of file content to add across all commits (the pack is about this size: little compresses). */
  totalBytes: number;
  /** The branch to create (`refs/heads/<branch>`), starting from `from`. */
  branch: string;
  /** A commit-ish the branch starts from (for example `refs/heads/main`). */
  from: string;
  /** Bytes added per commit (default 8 MiB). */
  bytesPerCommit?: number;
  /** File sizes (default 16 KiB to 1.5 MiB: some text files are over the scanner's 1 MiB, which pushes read in slices). */
  fileBytes?: [min: number, max: number];
}

export interface BulkHistorySummary {
  commits: number;
  files: number;
  bytes: number;
}

/**
 * Deterministic bytes that do not compress: AES-256-CTR keystream keyed by the seed. Hundreds of
 * megabytes a second, so generating a 500 MB push costs git's time, not ours.
 */
export class SeededByteStream {
  private readonly cipher;
  private readonly zeros = Buffer.alloc(1 << 20);

  constructor(seed: number) {
    const key = createHash('sha256').update(`gitgate-bulk-${seed}`).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }

  bytes(length: number): Buffer {
    const parts: Buffer[] = [];
    for (let left = length; left > 0; left -= this.zeros.length) parts.push(this.cipher.update(this.zeros.subarray(0, Math.min(left, this.zeros.length))));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Text that does not compress much either: base64 lines of 76 characters (no NUL: not binary). */
  text(length: number): Buffer {
    const raw = this.bytes(Math.ceil((length * 3) / 4) + 3);
    const base64 = raw.toString('base64');
    const out = Buffer.allocUnsafe(length);
    let o = 0;
    let i = 0;
    while (o < length) {
      const line = Math.min(76, length - o - 1);
      if (line > 0) {
        out.write(base64.slice(i, i + line), o, 'latin1');
        o += line;
        i += line;
      }
      out[o++] = 0x0a;
    }
    return out;
  }
}

/**
 * Adds a branch of commits holding `totalBytes` of new files to a repository, through
 * `git fast-import` (streamed, never held whole): per commit some binary files (random bytes)
 * and some text files (base64 lines), plus an edit of one small changelog so that later commits
 * modify as well as add. The same seed gives the same commits.
 */
export async function writeBulkHistory(gitDir: string, options: BulkHistoryOptions): Promise<BulkHistorySummary> {
  const random = new SeededRandom(options.seed);
  const stream = new SeededByteStream(options.seed);
  const bytesPerCommit = options.bytesPerCommit ?? 8 * 1024 * 1024;
  const [minFile, maxFile] = options.fileBytes ?? [16 * 1024, 1536 * 1024];
  const summary: BulkHistorySummary = { commits: 0, files: 0, bytes: 0 };
  const env = hermeticGitEnv();
  await gitWithStdinStream(['--git-dir', gitDir, 'fast-import', '--quiet', '--done'], {
    cwd: gitDir,
    env,
    writeInput: async (stdin) => {
      // Waits for 'drain' so that no more than one pipe buffer is held; if git dies, the
      // caller's promise rejects with git's error.
      stdin.on('error', () => undefined); // git exiting early is reported by its exit status
      const write = (chunk: string | Buffer): Promise<void> =>
        stdin.write(chunk) ? Promise.resolve() : new Promise((resolve) => stdin.once('drain', () => resolve()));
      const changelog: string[] = [];
      while (summary.bytes < options.totalBytes) {
        summary.commits++;
        const n = summary.commits;
        const message = `Bulk commit ${n}\n`;
        await write(`commit refs/heads/${options.branch}\ncommitter Bulk Writer <bulk@example.com> ${1700000000 + n * 60} +0000\ndata ${Buffer.byteLength(message)}\n${message}`);
        if (n === 1) await write(`from ${options.from}^0\n`); // ^0: also when the branch is `from` itself
        let inCommit = 0;
        while (inCommit < bytesPerCommit && summary.bytes < options.totalBytes) {
          const size = random.int(minFile, maxFile);
          const text = random.next() < 0.4;
          const content = text ? stream.text(size) : stream.bytes(size);
          const path = text ? `docs/part-${n}/notes-${summary.files}.txt` : `assets/part-${n}/blob-${summary.files}.bin`;
          await write(`M 100644 inline ${path}\ndata ${content.length}\n`);
          await write(content);
          await write('\n');
          summary.files++;
          summary.bytes += content.length;
          inCommit += content.length;
        }
        changelog.push(`- commit ${n}: ${summary.files} files, ${summary.bytes} bytes`);
        const log = `${changelog.join('\n')}\n`;
        await write(`M 100644 inline CHANGELOG.md\ndata ${Buffer.byteLength(log)}\n${log}\n`);
      }
      await write('done\n');
    },
  });
  return summary;
}
