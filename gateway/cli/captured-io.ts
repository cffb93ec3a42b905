import { Readable } from 'node:stream';
import type { CliIO } from './command.js';

export type CapturedIO = CliIO & { out: string; err: string };

/** A CliIO for tests: collects what a command prints; standard input is the given chunks. */
export function capturedIO(...stdinChunks: (Buffer | string)[]): CapturedIO {
  const io: CapturedIO = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    stdin: Readable.from(stdinChunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk))),
  };
  return io;
}
