import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { TokenStore } from '../identity/token-store.js';
import { MALLOC_ENV } from '../server/malloc-settings.js';

/**
 * `gitgate serve` in a process of its own, so that its memory is measured alone (the tests and
 * benchmarks that drive it, and git, run elsewhere).
 */
export interface ChildGateway {
  pid: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  token: string;
  /** `http://agent:<token>@host:port/<path>.git` */
  remote: (path: string) => string;
  /** Every log line so far (pino JSON). */
  logs: () => string;
  /** What it wrote to standard error so far. */
  stderr: () => string;
  /** Sends the process a signal. */
  kill: (signal: NodeJS.Signals) => void;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Current resident set size, bytes. */
  rss: () => number;
  /**
   * Starts a measurement of peak RSS: resets the kernel's high-water mark (VmHWM) where allowed,
   * and samples VmRSS every few milliseconds as well; `stop` returns the peak in bytes.
   */
  measurePeak: () => { stop: () => number };
  close: () => Promise<void>;
}

export interface ChildGatewayOptions {
  /** The command that runs the gitgate CLI: `[node, ...flags, cli]`. */
  cli: string[];
  /** Directory for the config, tokens and data. */
  root: string;
  /** `upstreams:` of the config (as in gitgate.yaml). */
  upstreams: unknown[];
  /** More top-level settings of gitgate.yaml (e.g. `github_api`). */
  extraConfig?: Record<string, unknown>;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Compiles the project (tsconfig.build.json) into a temporary directory under `.cache/` (inside
 * the project, so that node_modules and the shipped policies are found) and returns the command
 * that runs its CLI, and a function that deletes the build.
 */
export async function compileGatewayCli(): Promise<{ cli: string[]; remove: () => void }> {
  mkdirSync(join(PROJECT_ROOT, '.cache'), { recursive: true });
  const outDir = mkdtempSync(join(PROJECT_ROOT, '.cache', 'e2e-build-'));
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await new Promise<void>((resolvePromise, reject) => {
    execFile(process.execPath, [tsc, '-p', join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false', '--declaration', 'false'], { cwd: PROJECT_ROOT }, (error, stdout) => {
      // Type errors elsewhere in the tree do not stop tsc from writing JavaScript.
      if (existsSync(join(outDir, 'gateway', 'cli.js'))) resolvePromise();
      else reject(new Error(`compiling the gateway failed: ${error?.message ?? ''} ${stdout}`));
    });
  });
  return { cli: [process.execPath, join(outDir, 'gateway', 'cli.js')], remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

/** Gateways started here and still running: ended when this process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

export async function startChildGateway(options: ChildGatewayOptions): Promise<ChildGateway> {
  const configPath = join(options.root, 'gitgate.yaml');
  writeFileSync(configPath, stringify({ listen: { host: '127.0.0.1', port: 0 }, data_dir: 'data', tokens_file: 'tokens.json', upstreams: options.upstreams, ...options.extraConfig }));
  const { token } = new TokenStore(join(options.root, 'tokens.json')).create('agent-1', ['agents']);
  const [command, ...args] = options.cli;
  const child: ChildProcess = spawn(command!, [...args, 'serve', '--config', configPath], {
    cwd: options.root,
    // As the `gitgate` command and `npm start` run it.
    env: { ...process.env, ...MALLOC_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const ready = /gitgate is ready on (\S+)/.exec(stdout);
      if (ready) resolve(ready[1]!);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gitgate serve exited ${code} before it was ready: ${stderr.trim()}`)));
  });
  const pid = child.pid!;
  const origin = new URL(url);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    pid,
    url,
    token,
    remote: (path) => `${origin.protocol}//agent:${token}@${origin.host}/${path}.git`,
    logs: () => stdout,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    exited,
    rss: () => statusField(pid, 'VmRSS'),
    measurePeak: () => {
      let peak = statusField(pid, 'VmRSS');
      let resetHighWaterMark = false;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
        resetHighWaterMark = true;
      } catch {
        // not allowed here: the samples alone give the peak
      }
      const sample = () => (peak = Math.max(peak, statusField(pid, 'VmRSS')));
      const timer = setInterval(sample, 5);
      return {
        stop: () => {
          clearInterval(timer);
          sample();
          return resetHighWaterMark ? Math.max(peak, statusField(pid, 'VmHWM')) : peak;
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
