import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFakeGpgProgram } from './fake-gpg.js';
import { git, hermeticGitEnv } from './git-cli.js';

/** A `git-receive-pack` request body sent by the real git client, with what it should contain. */
export interface CapturedReceivePackRequest {
  name: string;
  body: Buffer;
  /** The ref updates git was asked to make, ids in hex (zero id for create/delete). */
  commands: { oldId: string; newId: string; ref: string }[];
  pushOptions: string[];
  /** Capabilities the request must carry (in addition to git's defaults). */
  capabilities: string[];
  signed: boolean;
}

/**
 * Pushes with the real git to a local bare repository through a `--receive-pack` script that
 * tees the request body to a file, and returns every captured body. The scenarios: a first push,
 * a fast-forward, a multi-ref push (branch, new branch, annotated tag), push options, an atomic
 * push, a signed push (a stand-in gpg program, since only the bytes matter), a delete-only push
 * and an up-to-date push (which sends a lone flush).
 */
export function captureReceivePackRequests(root: string, objectFormat: 'sha1' | 'sha256' = 'sha1'): CapturedReceivePackRequest[] {
  mkdirSync(root, { recursive: true });
  const env = hermeticGitEnv();
  const remote = join(root, 'remote.git');
  const work = join(root, 'work');
  const capture = join(root, 'capture.bin');
  const receivePack = join(root, 'capture-receive-pack.sh');
  const fakeGpg = join(root, 'fake-gpg.sh');
  writeFileSync(receivePack, `#!/bin/sh\ntee '${capture}' | git receive-pack "$@"\n`);
  chmodSync(receivePack, 0o755);
  writeFakeGpgProgram(fakeGpg);

  const run = (cwd: string, args: string[]) => git(args, { cwd, env }).toString('utf8').trim();
  run(root, ['init', '-q', '--bare', `--object-format=${objectFormat}`, remote]);
  run(remote, ['config', 'receive.advertisePushOptions', 'true']);
  run(remote, ['config', 'receive.certNonceSeed', 'gitgate-test']);
  run(root, ['init', '-q', '-b', 'main', `--object-format=${objectFormat}`, work]);
  run(work, ['config', 'gpg.program', fakeGpg]);
  run(work, ['config', 'user.signingkey', 'ABCDEF']);

  const zero = '0'.repeat(objectFormat === 'sha1' ? 40 : 64);
  const requests: CapturedReceivePackRequest[] = [];
  let fileNumber = 0;
  const commit = (message: string) => {
    fileNumber++;
    writeFileSync(join(work, `file-${fileNumber}.txt`), `${message}\n`.repeat(fileNumber));
    run(work, ['add', '.']);
    run(work, ['commit', '-q', '-m', message]);
    return run(work, ['rev-parse', 'HEAD']);
  };
  const push = (
    name: string,
    args: string[],
    commands: CapturedReceivePackRequest['commands'],
    extra: Partial<Pick<CapturedReceivePackRequest, 'pushOptions' | 'capabilities' | 'signed'>> = {},
  ) => {
    writeFileSync(capture, '');
    run(work, ['push', '-q', `--receive-pack=${receivePack}`, remote, ...args]);
    requests.push({
      name,
      body: readFileSync(capture),
      commands,
      pushOptions: extra.pushOptions ?? [],
      capabilities: extra.capabilities ?? [],
      signed: extra.signed ?? false,
    });
  };

  const first = commit('first');
  push('first push', ['main'], [{ oldId: zero, newId: first, ref: 'refs/heads/main' }]);
  const second = commit('second');
  push('fast-forward', ['main'], [{ oldId: first, newId: second, ref: 'refs/heads/main' }]);

  const third = commit('third');
  run(work, ['branch', 'feature', second]);
  run(work, ['tag', '-a', '-m', 'release one', 'v1', third]);
  const tag = run(work, ['rev-parse', 'v1']);
  push('multi-ref', ['main', 'feature', 'v1'], [
    { oldId: second, newId: third, ref: 'refs/heads/main' },
    { oldId: zero, newId: second, ref: 'refs/heads/feature' },
    { oldId: zero, newId: tag, ref: 'refs/tags/v1' },
  ]);

  const fourth = commit('fourth');
  push('push options', ['-o', 'ci.skip', '-o', 'reviewer=alice bob', 'main'], [{ oldId: third, newId: fourth, ref: 'refs/heads/main' }], {
    pushOptions: ['ci.skip', 'reviewer=alice bob'],
    capabilities: ['push-options'],
  });

  const fifth = commit('fifth');
  push('atomic', ['--atomic', 'main', `${fifth}:refs/heads/release`], [
    { oldId: fourth, newId: fifth, ref: 'refs/heads/main' },
    { oldId: zero, newId: fifth, ref: 'refs/heads/release' },
  ], { capabilities: ['atomic'] });

  const sixth = commit('sixth');
  push('signed', ['--signed', '-o', 'signed-option', 'main'], [{ oldId: fifth, newId: sixth, ref: 'refs/heads/main' }], {
    pushOptions: ['signed-option'],
    capabilities: ['push-options'],
    signed: true,
  });

  push('delete-only', ['--delete', 'feature', 'release'], [
    { oldId: second, newId: zero, ref: 'refs/heads/feature' },
    { oldId: fifth, newId: zero, ref: 'refs/heads/release' },
  ]);
  push('up-to-date', ['main'], []);
  return requests;
}
