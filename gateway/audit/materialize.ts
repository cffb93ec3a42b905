import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from './audit-types.js';
import { AuditError } from './errors.js';
import { sha256OfPackFile, type AuditPackStore } from './pack-store.js';
import { runGit } from './run-git.js';

export interface MaterializedPush {
  gitDir: string;
  refs: { ref: string; id: string }[];
  /** Commits present whose parents are not (history before the push), listed in `shallow`. */
  shallow: string[];
  objects: number;
}

const ZERO_ID = /^0+$/;

/**
 * Rebuilds a recorded push into a new bare repository: the replay pack (pushed objects with the
 * thin bases filled in, plus the parents and old paths `git show` needs) is indexed by git, each
 * pushed ref is set to its new id, and the commits just before the push are marked shallow so
 * `git log` stops there. Checks the pushed pack is the one the intent names (content hash).
 */
export async function materializePush(events: readonly AuditEvent[], packs: AuditPackStore, directory: string): Promise<MaterializedPush> {
  const intent = events.find((e) => e.type === 'upstream.forward');
  if (intent === undefined) throw new AuditError('AUDIT_MATERIALIZE_FAILED', 'this request forwarded no push: nothing to materialize (it was a fetch, or refused)');
  const result = events.find((e) => e.type === 'upstream.result' && e.data['replay_pack'] !== null && typeof (e.data['replay_pack'] as { sha256?: unknown })?.sha256 === 'string');
  const pushedPack = (intent.data['pack'] as { sha256?: string | null } | null)?.sha256 ?? undefined;
  const replayPack = (result?.data['replay_pack'] as { sha256: string } | undefined)?.sha256;
  const commands = (intent.data['commands'] as unknown as { ref: string; new: string }[]).filter((c) => !ZERO_ID.test(c.new));
  if (existsSync(directory) && readdirSync(directory).length > 0) throw new AuditError('AUDIT_MATERIALIZE_FAILED', `${directory} is not empty; give a new directory`);
  await mkdir(directory, { recursive: true });
  await runGit(['init', '--bare', '-q', directory]);
  const gitDir = ['--git-dir', directory];
  if (replayPack !== undefined) {
    if (!packs.has(replayPack)) throw new AuditError('AUDIT_PACK_MISSING', `the replay pack ${replayPack} is no longer kept (past the pack retention, or deleted)`);
    await runGit([...gitDir, 'index-pack', '--stdin'], { inputFile: packs.packPath(replayPack) });
  }
  if (pushedPack !== undefined && pushedPack !== null) {
    if (!packs.has(pushedPack)) throw new AuditError('AUDIT_PACK_MISSING', `the pushed pack ${pushedPack} is no longer kept (past the pack retention, or deleted)`);
    const actual = await sha256OfPackFile(packs.packPath(pushedPack));
    if (actual !== pushedPack) throw new AuditError('AUDIT_MATERIALIZE_FAILED', `the kept pack ${pushedPack} was altered: its content hashes to ${actual}`);
    // The exact pushed pack; its thin bases come from the replay pack indexed above.
    try {
      await runGit([...gitDir, 'index-pack', '--stdin', '--fix-thin'], { inputFile: packs.packPath(pushedPack) });
    } catch (error) {
      throw new AuditError('AUDIT_MATERIALIZE_FAILED', `the pushed pack cannot be completed without the upstream's objects and no replay pack was recorded: ${(error as Error).message}`);
    }
  }
  const refs: { ref: string; id: string }[] = [];
  for (const command of commands) {
    await runGit([...gitDir, 'update-ref', command.ref, command.new]);
    refs.push({ ref: command.ref, id: command.new });
  }
  if (refs[0] !== undefined) await runGit([...gitDir, 'symbolic-ref', 'HEAD', refs[0].ref]);
  // Commits whose parents are absent: mark them shallow, so history walks stop there cleanly.
  const listing = (await runGit([...gitDir, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'])).toString();
  const present = new Set<string>();
  const commits: string[] = [];
  for (const line of listing.split('\n')) {
    const [id, type] = line.split(' ');
    if (id === undefined || type === undefined) continue;
    present.add(id);
    if (type === 'commit') commits.push(id);
  }
  const shallow: string[] = [];
  if (commits.length > 0) {
    const parents = (await runGit([...gitDir, 'cat-file', '--batch'], { input: `${commits.join('\n')}\n` })).toString('latin1');
    let current: string | undefined;
    let missing = false;
    for (const line of parents.split('\n')) {
      const header = /^([0-9a-f]{40,64}) commit \d+$/.exec(line);
      if (header !== null) {
        if (current !== undefined && missing) shallow.push(current);
        current = header[1];
        missing = false;
      } else if (line.startsWith('parent ') && !present.has(line.slice(7).trim())) missing = true;
    }
    if (current !== undefined && missing) shallow.push(current);
  }
  if (shallow.length > 0) await writeFile(join(directory, 'shallow'), `${shallow.sort().join('\n')}\n`);
  return { gitDir: directory, refs, shallow, objects: present.size };
}
