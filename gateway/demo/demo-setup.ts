import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TokenStore } from '../identity/token-store.js';

export const DEMO_REPOSITORY = 'demo/hello';
export const DEMO_SUBJECT = 'demo-agent';

function git(args: string[], cwd: string, date: number): void {
  execFileSync('git', args, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Demo Author',
      GIT_AUTHOR_EMAIL: 'demo@example.com',
      GIT_COMMITTER_NAME: 'Demo Author',
      GIT_COMMITTER_EMAIL: 'demo@example.com',
      GIT_AUTHOR_DATE: `${date} +0000`,
      GIT_COMMITTER_DATE: `${date} +0000`,
    },
  });
}

const HISTORY: { message: string; files: Record<string, string> }[] = [
  { message: 'Initial commit', files: { 'README.md': '# hello\n\nA demo repository served through gitgate.\n' } },
  { message: 'Add the greeting script', files: { 'src/hello.js': "console.log('hello from gitgate');\n" } },
  { message: 'Document how to run it', files: { 'docs/usage.md': '# Usage\n\n    node src/hello.js\n' } },
];

/** A bare repository with a little history on `main`, made with the real git. Idempotent. */
export function ensureDemoRepository(upstreamDir: string): string {
  const gitDir = join(upstreamDir, `${DEMO_REPOSITORY}.git`);
  if (existsSync(join(gitDir, 'HEAD'))) return gitDir;
  mkdirSync(dirname(gitDir), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'gitgate-demo-'));
  try {
    git(['init', '-q', '-b', 'main', '.'], work, 1_700_000_000);
    HISTORY.forEach((step, i) => {
      for (const [path, content] of Object.entries(step.files)) {
        mkdirSync(dirname(join(work, path)), { recursive: true });
        writeFileSync(join(work, path), content);
      }
      git(['add', '-A'], work, 1_700_000_000 + i * 3600);
      git(['commit', '-q', '-m', step.message], work, 1_700_000_000 + i * 3600);
    });
    git(['clone', '-q', '--bare', work, gitDir], work, 1_700_000_000);
    git(['--git-dir', gitDir, 'remote', 'remove', 'origin'], work, 1_700_000_000);
    git(['--git-dir', gitDir, 'config', 'receive.advertisePushOptions', 'true'], work, 1_700_000_000);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return gitDir;
}

/**
 * The demo agent's token: issued once and kept in `<dataDir>/demo-token` (mode 0600) so that
 * `npm start` can print the clone command again. Only for the embedded defaults.
 */
export function ensureDemoToken(dataDir: string, tokens: TokenStore): string {
  const path = join(dataDir, 'demo-token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (tokens.verify(token) !== undefined) return token;
  }
  const { token } = tokens.create(DEMO_SUBJECT, ['agents']);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}
