import { ArchiveUnreadableError, quotedEntryName, type ArchiveFile, type ArchiveLimits, type ArchiveReader } from './archive-limits.js';

/**
 * Reading `ar` archives for the secret scan: a Debian package (`.deb`: `debian-binary`,
 * `control.tar.*`, `data.tar.*`), a static library (`.a`). Like a tar, an ar stores its members
 * as they are, so what matters is opening what is compressed inside: the `data.tar.xz` of a
 * package, whose files no byte of the package shows. Members take nothing from the expansion
 * budget: they are views of the archive's own bytes.
 *
 * The format (as GNU binutils and BSD write it): the magic `!<arch>\n`, then for each member a
 * 60-byte header (name 16, mtime 12, uid 6, gid 6, mode 8, size 10 in decimal, then "`\n") and its
 * bytes, padded to an even length with "\n". GNU names end with "/", longer ones are "/<offset>"
 * into the member "//" that lists them; "/" and "/SYM64/" are symbol tables. BSD writes a long
 * name as "#1/<length>" and puts it first in the member's bytes; "__.SYMDEF" is its symbol table.
 * A header that is not one, a member cut short and anything after the last member make the
 * archive unreadable. Thin archives (`!<thin>\n`) hold no members and are not opened.
 */

const MAGIC = Buffer.from('!<arch>\n', 'latin1');
const HEADER_BYTES = 60;
const HEADER_END = Buffer.from('`\n', 'latin1');
const SYMBOL_TABLES = new Set(['/', '/SYM64/', '__.SYMDEF', '__.SYMDEF SORTED']);

/** The magic, then nothing (an empty archive) or a first header that ends as one must. */
export function isArArchive(content: Buffer): boolean {
  if (content.length < MAGIC.length || !content.subarray(0, MAGIC.length).equals(MAGIC)) return false;
  return content.length === MAGIC.length || content.subarray(MAGIC.length + HEADER_BYTES - 2, MAGIC.length + HEADER_BYTES).equals(HEADER_END);
}

export class ArArchive implements ArchiveReader {
  constructor(
    private readonly content: Buffer,
    private readonly limits: Readonly<ArchiveLimits>,
  ) {}

  async *readFiles(): AsyncGenerator<ArchiveFile> {
    yield* this.members();
  }

  async readLastNamed(name: string): Promise<Buffer | undefined> {
    let last: Buffer | undefined;
    for (const member of this.members()) if (member.name === name) last = member.content;
    return last;
  }

  /** The members that are files, in order (symbol tables and the long-name table left out). */
  private *members(): Generator<ArchiveFile> {
    const { content } = this;
    let longNames: Buffer | undefined;
    let count = 0;
    let at = MAGIC.length;
    while (at < content.length) {
      if (at === content.length - 1 && content[at] === 0x0a) break; // the last member's padding
      if (at + HEADER_BYTES > content.length) throw new ArchiveUnreadableError(`it has ${content.length - at} bytes after its last member`);
      if (++count > this.limits.maxEntries) throw new ArchiveUnreadableError(`it holds more than the ${this.limits.maxEntries} entries gitgate reads of one archive`);
      const header = content.subarray(at, at + HEADER_BYTES);
      const field = header.toString('latin1', 0, 16).trimEnd();
      const shortName = /^[^/].*\/$/.test(field) ? field.slice(0, -1) : field; // GNU ends a name with "/"
      const size = header.toString('latin1', 48, 58).trimEnd();
      if (!header.subarray(58).equals(HEADER_END) || !/^[0-9]+$/.test(size)) {
        throw new ArchiveUnreadableError(`the member header at byte ${at} is not an ar header`);
      }
      const start = at + HEADER_BYTES;
      const end = start + Number(size);
      if (end > content.length) throw new ArchiveUnreadableError(`the member ${quotedEntryName(shortName)} holds ${content.length - start} of its ${size} bytes`);
      at = end + (end % 2);
      let bytes = content.subarray(start, end);
      if (SYMBOL_TABLES.has(field)) continue;
      if (field === '//') {
        longNames = bytes;
        continue;
      }
      let name: string;
      if (/^#1\/[0-9]+$/.test(field)) {
        const length = Number(field.slice(3));
        if (length > bytes.length) throw new ArchiveUnreadableError(`the member ${quotedEntryName(field)} is shorter than its name`);
        name = bytes.toString('utf8', 0, length).replace(/\0+$/, '');
        bytes = bytes.subarray(length);
      } else if (/^\/[0-9]+$/.test(field)) {
        name = longName(longNames, Number(field.slice(1)), field);
      } else {
        name = shortName;
      }
      yield { name, content: bytes };
    }
  }
}

/** A GNU long name: at `offset` in the "//" member, up to "/\n". */
function longName(table: Buffer | undefined, offset: number, field: string): string {
  const end = table?.indexOf('/\n', offset) ?? -1;
  if (table === undefined || offset >= table.length || end < 0) throw new ArchiveUnreadableError(`the member ${quotedEntryName(field)} names no entry of its long-name table`);
  return table.toString('utf8', offset, end);
}
