import { constants as zlibConstants, deflateSync, inflateSync } from 'node:zlib';

/** The result of inflating one zlib stream from the start of `input`. */
export type InflateOutcome =
  | { kind: 'done'; data: Buffer; consumed: number }
  /** The input ends before the stream does. */
  | { kind: 'short' }
  /** The stream inflates to more bytes than expected. */
  | { kind: 'too-large' }
  | { kind: 'corrupt'; message: string };

/**
 * Inflates one zlib stream at a time, as a pack needs: output of a known size, and how many input
 * bytes the stream used (the next entry starts there).
 *
 * Node's public `inflateSync` builds a stream object and a fresh zlib state for every call, which
 * for a pack of a million small objects costs more than the inflating itself. Where Node's zlib
 * binding can be used directly (checked once with a self-test), one zlib state is reset and
 * reused: about four times faster per small object. Otherwise, or if the self-test fails on some
 * Node version, `inflateSync` is used: same results, only slower.
 */
export interface Inflater {
  readonly reusesState: boolean;
  /**
   * Inflates the stream at the start of `input`, which should produce `size` bytes. Given an
   * `output` of at least `size + 1` bytes, the data may be written there instead of into a new
   * buffer (the extra byte detects a stream longer than announced).
   */
  inflate(input: Buffer, size: number, output?: Buffer): InflateOutcome;
}

interface ZlibBindingHandle {
  init(windowBits: number, level: number, memLevel: number, strategy: number, writeState: Uint32Array, processCallback: () => void, dictionary: undefined): void;
  writeSync(flush: number, input: Buffer, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

class PublicApiInflater implements Inflater {
  readonly reusesState = false;

  inflate(input: Buffer, size: number): InflateOutcome {
    try {
      const result = inflateSync(input, {
        info: true,
        maxOutputLength: Math.max(size, 1),
        // One output buffer of the announced size: no 16 KiB chunks to allocate and join.
        chunkSize: Math.max(64, size + 1),
      }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      return { kind: 'done', data: result.buffer, consumed: result.engine.bytesWritten };
    } catch (error) {
      const zerror = error as Error & { code?: string; errno?: number };
      if (zerror.code === 'Z_BUF_ERROR' || zerror.errno === zlibConstants.Z_BUF_ERROR) return { kind: 'short' };
      if (zerror.code === 'ERR_BUFFER_TOO_LARGE') return { kind: 'too-large' };
      return { kind: 'corrupt', message: zerror.message };
    }
  }
}

class ReusedStateInflater implements Inflater {
  readonly reusesState = true;
  private readonly state = new Uint32Array(2);
  private error: { message: string; errno: number } | undefined;

  constructor(private readonly handle: ZlibBindingHandle) {
    handle.onerror = (message, errno) => {
      this.error = { message, errno };
    };
    handle.init(15, 0, 8, 0, this.state, () => {}, undefined);
  }

  inflate(input: Buffer, size: number, output?: Buffer): InflateOutcome {
    const out = output !== undefined && output.length >= size + 1 ? output.subarray(0, size + 1) : Buffer.allocUnsafe(size + 1);
    this.error = undefined;
    this.handle.writeSync(zlibConstants.Z_FINISH, input, 0, input.length, out, 0, out.length);
    const error = this.error as { message: string; errno: number } | undefined;
    const availOut = this.state[0]!;
    const availIn = this.state[1]!;
    this.handle.reset();
    if (error) {
      if (error.errno === zlibConstants.Z_BUF_ERROR) return { kind: 'short' };
      return { kind: 'corrupt', message: error.message };
    }
    const produced = out.length - availOut;
    if (produced > size) return { kind: 'too-large' };
    if (availOut === 0 || availIn > input.length) return { kind: 'corrupt', message: 'zlib state out of range' };
    return { kind: 'done', data: out.subarray(0, produced), consumed: input.length - availIn };
  }
}

function bindingHandle(): ZlibBindingHandle | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): { Zlib?: new (mode: number) => ZlibBindingHandle } }).binding('zlib');
    return binding.Zlib ? new binding.Zlib(zlibConstants.INFLATE) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the reused-state inflater against the public API on known inputs. */
function selfTestPasses(candidate: Inflater): boolean {
  try {
    const reference = new PublicApiInflater();
    const text = Buffer.from('gitgate inflater self-test '.repeat(50));
    const stream = Buffer.concat([deflateSync(text), Buffer.from('next entry')]);
    const cases: [Buffer, number][] = [
      [stream, text.length],
      [stream.subarray(0, 12), text.length],
      [Buffer.concat([stream.subarray(0, 6), Buffer.from([0xff, 0xff]), stream.subarray(8)]), text.length],
      [stream, text.length - 1],
      [deflateSync(Buffer.alloc(0)), 0],
    ];
    for (const [input, size] of cases) {
      const a = candidate.inflate(input, size);
      const b = reference.inflate(input, size);
      if (a.kind !== b.kind) return false;
      if (a.kind === 'done' && b.kind === 'done' && (!a.data.equals(b.data) || a.consumed !== b.consumed)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

let fastAvailable: boolean | undefined;

/** A new inflater: the reused-state one where this Node allows it, else the public API. */
export function createInflater(options: { preferPublicApi?: boolean } = {}): Inflater {
  if (!options.preferPublicApi && fastAvailable !== false) {
    const handle = bindingHandle();
    if (handle) {
      const inflater = new ReusedStateInflater(handle);
      fastAvailable ??= selfTestPasses(inflater);
      if (fastAvailable) return inflater;
    } else {
      fastAvailable = false;
    }
  }
  return new PublicApiInflater();
}
