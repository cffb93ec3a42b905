// Runs isomorphic-git's indexPack on one pack (a child process of the pack benchmark, so that its
// memory is measured on its own). Usage: node isomorphic-git-index.js <gitdir> <pack path relative to gitdir's parent>
import fs from 'node:fs';
import { dirname } from 'node:path';
import git from 'isomorphic-git';

const [gitdir, filepath] = process.argv.slice(2);
if (!gitdir || !filepath) {
  process.stderr.write('usage: isomorphic-git-index <gitdir> <filepath>\n');
  process.exit(2);
}
const result = await git.indexPack({ fs, dir: dirname(gitdir), gitdir, filepath });
process.stdout.write(`${JSON.stringify({ oids: result.oids.length })}\n`);
