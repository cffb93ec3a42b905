import { createHash } from 'node:crypto';

/**
 * The in-memory repositories of the fake GitHub: just enough state for the REST endpoints the
 * gateway tests use (repositories, branches, files, pull requests, issues).
 */
export interface FakePullRequest {
  number: number;
  title: string;
  base: string;
  head: string;
  headSha: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeCommitSha: string | null;
}

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  /** branch -> head commit sha */
  branches: Map<string, string>;
  protectedBranches: Set<string>;
  /** branch -> path -> content */
  files: Map<string, Map<string, Buffer>>;
  pulls: Map<number, FakePullRequest>;
  issues: { number: number; title: string; body: string }[];
}

let counter = 0;

/** A deterministic-looking 40-hex id from any text. */
export function fakeSha(seed: string): string {
  counter += 1;
  return createHash('sha1').update(`${seed}:${counter}`).digest('hex');
}

/** The sha GitHub gives a blob: git's object id of the content. */
export function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export interface NewFakeRepository {
  owner: string;
  name: string;
  defaultBranch?: string;
  branches?: string[];
  protectedBranches?: string[];
  files?: Record<string, string | Buffer>;
  /** `files`: what the head branch holds differently from the others (null deletes a file). */
  pulls?: { number: number; base: string; head: string; title?: string; files?: Record<string, string | null> }[];
  issues?: number;
  /** Characters of each issue body (default: a short sentence). */
  issueBodyChars?: number;
}

export function createFakeRepository(spec: NewFakeRepository, id: number): FakeRepository {
  const defaultBranch = spec.defaultBranch ?? 'main';
  const branchNames = new Set([defaultBranch, ...(spec.branches ?? []), ...(spec.pulls ?? []).flatMap((p) => [p.base, p.head])]);
  const branches = new Map<string, string>();
  const files = new Map<string, Map<string, Buffer>>();
  for (const branch of branchNames) {
    branches.set(branch, fakeSha(`${spec.owner}/${spec.name}@${branch}`));
    files.set(branch, new Map(Object.entries(spec.files ?? {}).map(([path, content]) => [path, Buffer.from(content)])));
  }
  const pulls = new Map<number, FakePullRequest>();
  for (const pull of spec.pulls ?? []) {
    const headFiles = files.get(pull.head)!;
    for (const [path, content] of Object.entries(pull.files ?? {})) {
      if (content === null) headFiles.delete(path);
      else headFiles.set(path, Buffer.from(content));
    }
    pulls.set(pull.number, {
      number: pull.number,
      title: pull.title ?? `Pull request ${pull.number}`,
      base: pull.base,
      head: pull.head,
      headSha: branches.get(pull.head)!,
      state: 'open',
      merged: false,
      mergeCommitSha: null,
    });
  }
  const filler = 'Steps to reproduce: run the tests, watch them fail. '.repeat(Math.ceil((spec.issueBodyChars ?? 0) / 52)).slice(0, spec.issueBodyChars ?? 0);
  const issues = Array.from({ length: spec.issues ?? 0 }, (_, i) => ({ number: i + 1, title: `Issue ${i + 1}`, body: spec.issueBodyChars === undefined ? `Body of issue ${i + 1}` : filler }));
  return { id, owner: spec.owner, name: spec.name, defaultBranch, branches, protectedBranches: new Set(spec.protectedBranches ?? []), files, pulls, issues };
}

/** The parts of GitHub's user object the endpoints return. */
export function userJson(origin: string, login: string, id: number): Record<string, unknown> {
  return { login, id, node_id: `U_${id}`, type: 'User', site_admin: false, url: `${origin}/users/${login}`, html_url: `https://github.example/${login}` };
}

/** GitHub's "full repository" object, trimmed to the commonly read fields. */
export function repositoryJson(origin: string, repo: FakeRepository): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: fullName,
    private: true,
    owner: userJson(origin, repo.owner, 1000 + repo.id),
    html_url: `https://github.example/${fullName}`,
    url: `${origin}/repos/${fullName}`,
    default_branch: repo.defaultBranch,
    visibility: 'private',
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
  };
}

export function pullJson(origin: string, repo: FakeRepository, pull: FakePullRequest): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    url: `${origin}/repos/${fullName}/pulls/${pull.number}`,
    id: repo.id * 10_000 + pull.number,
    number: pull.number,
    state: pull.state,
    title: pull.title,
    merged: pull.merged,
    mergeable: !pull.merged,
    merge_commit_sha: pull.mergeCommitSha,
    head: { label: `${repo.owner}:${pull.head}`, ref: pull.head, sha: pull.headSha, repo: repositoryJson(origin, repo) },
    base: { label: `${repo.owner}:${pull.base}`, ref: pull.base, sha: repo.branches.get(pull.base), repo: repositoryJson(origin, repo) },
  };
}

/** GitHub wraps base64 `content` at 60 characters per line, each line ending in `\n`. */
export function wrappedBase64(content: Buffer): string {
  const encoded = content.toString('base64');
  let out = '';
  for (let i = 0; i < encoded.length; i += 60) out += `${encoded.slice(i, i + 60)}\n`;
  return out;
}

export function contentJson(origin: string, repo: FakeRepository, path: string, content: Buffer, ref: string): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const sha = blobSha(content);
  return {
    type: 'file',
    encoding: 'base64',
    size: content.length,
    name: path.split('/').pop(),
    path,
    content: wrappedBase64(content),
    sha,
    url: `${origin}/repos/${fullName}/contents/${path}?ref=${ref}`,
    git_url: `${origin}/repos/${fullName}/git/blobs/${sha}`,
    html_url: `https://github.example/${fullName}/blob/${ref}/${path}`,
    download_url: `https://raw.github.example/${fullName}/${ref}/${path}`,
    _links: { self: `${origin}/repos/${fullName}/contents/${path}?ref=${ref}`, git: `${origin}/repos/${fullName}/git/blobs/${sha}` },
  };
}

/** GitHub's pull request files: what the head branch changes against the base, with a patch. */
export function pullFilesJson(repo: FakeRepository, pull: FakePullRequest): Record<string, unknown>[] {
  const base = repo.files.get(pull.base) ?? new Map<string, Buffer>();
  const head = repo.files.get(pull.head) ?? new Map<string, Buffer>();
  const out: Record<string, unknown>[] = [];
  for (const path of [...new Set([...base.keys(), ...head.keys()])].sort()) {
    const before = base.get(path);
    const after = head.get(path);
    if (before !== undefined && after !== undefined && before.equals(after)) continue;
    const removed = before === undefined ? [] : before.toString().split('\n').filter((l) => l !== '').map((l) => `-${l}`);
    const added = after === undefined ? [] : after.toString().split('\n').filter((l) => l !== '').map((l) => `+${l}`);
    out.push({
      sha: after === undefined ? null : blobSha(after),
      filename: path,
      status: before === undefined ? 'added' : after === undefined ? 'removed' : 'modified',
      additions: added.length,
      deletions: removed.length,
      changes: added.length + removed.length,
      patch: `@@ -1,${removed.length} +1,${added.length} @@\n${[...removed, ...added].join('\n')}`,
    });
  }
  return out;
}

/** GitHub's pull request commits: here one commit, the head. */
export function pullCommitsJson(repo: FakeRepository, pull: FakePullRequest): Record<string, unknown>[] {
  const person = { name: 'Code Bot', email: 'code-bot@example.com', date: '2026-05-04T10:00:00Z' };
  return [
    {
      sha: pull.headSha,
      commit: { author: person, committer: person, message: `${pull.title}\n\nChanges on ${pull.head}.`, verification: { verified: false, reason: 'unsigned' } },
      parents: [{ sha: repo.branches.get(pull.base) }],
    },
  ];
}
