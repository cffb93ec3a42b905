#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node
// The setting on the line above: see gateway/server/malloc-settings.ts.
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { runCli } from './cli/run.js';
import { allCommands } from './cli/commands.js';

export { runCli };

const invokedDirectly = (() => {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  const io = {
    stdout: (text: string) => void process.stdout.write(text),
    stderr: (text: string) => void process.stderr.write(text),
    stdin: process.stdin,
    progress: process.stderr.isTTY === true,
  };
  runCli(process.argv.slice(2), allCommands, io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`gitgate: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
