import type { PackSummary } from '../../pack-parser/index.js';

/** Messages between `indexPackInWorker` and its worker thread. */
export interface PackIndexJob {
  /** A pack file path, or undefined when the bytes come as `chunk` messages. */
  packPath: string | undefined;
  idxPath: string | undefined;
  baseRepo: string | undefined;
  progress: boolean;
}

export type ToPackIndexWorker = { type: 'chunk'; chunk: Uint8Array } | { type: 'end' };

export type FromPackIndexWorker =
  | { type: 'progress'; resolved: number; total: number }
  | { type: 'consumed'; bytes: number }
  | { type: 'done'; summary: PackSummary; idxPath: string | undefined }
  | { type: 'failed'; code: string | undefined; message: string; offset: number | undefined; parserError: boolean };
