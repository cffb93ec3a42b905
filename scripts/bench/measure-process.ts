import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessMeasurement {
  wallMs: number;
  /** Peak resident set size (VmHWM) in bytes, sampled from /proc while the process ran. */
  peakRssBytes: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

function readHighWaterMark(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command and measures its wall time and peak RSS. VmHWM is the kernel's own high-water
 * mark, so sampling it every few milliseconds loses nothing but what happens after the last sample.
 */
export function measureProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessMeasurement> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = () => {
      const hwm = child.pid === undefined ? undefined : readHighWaterMark(child.pid);
      if (hwm !== undefined && hwm > peak) peak = hwm;
    };
    const timer = setInterval(sample, 5);
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ wallMs: performance.now() - started, peakRssBytes: peak, exitCode: code, stdout, stderr });
    });
  });
}
