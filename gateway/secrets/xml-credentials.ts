import { XMLParser } from 'fast-xml-parser';
import RE2 from 're2';
import type { CompiledSecretRule } from './compiled-rules.js';
import type { SecretSpan } from './secret-span.js';

/**
 * Structured look at XML configuration (Maven settings.xml, web.config, app.config, ...):
 * credentials in elements (`<password>…</password>`), attributes (`password="…"`), key/value
 * pairs (`<add key="SmtpPassword" value="…"/>`) and connection strings (`…;Password=…;`).
 * Entities are not expanded (no entity-expansion attacks); the file is already size-capped.
 * Comments are kept as nodes (and skipped) so that they split text instead of being cut out of it:
 * every text piece is then a verbatim part of the file, and can be found in it.
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  commentPropName: '#comment',
});

const CONNECTION_STRING_PASSWORD = new RE2('(?i)(?:^|;)\\s*(?:password|pwd)\\s*=\\s*([^;]+)', 'g');
const PAIR_KEY_ATTRIBUTES = ['key', 'name'];
const PAIR_VALUE_ATTRIBUTES = ['value'];

type XmlNode = Record<string, unknown>;

/** How far past the cursor a value is looked for once misses have cost their budget. */
const SHORT_SEARCH_BYTES = 4096;

/**
 * Finds each candidate value in the file. Values come in document order, so each is looked for
 * from where the previous one was found, and finding them all reads the file about once. The parser
 * turns `\r\n` into `\n`, so a multi-line value of a CRLF file is looked for with `\r\n` too. A
 * value still not found (a lone `\r` in it, say) was read past to the end for nothing: such misses
 * may read the file twice in all, then values are only looked for within SHORT_SEARCH_BYTES of the
 * cursor (a thousand crafted misses would otherwise read a 1 MiB file a thousand times).
 */
class CandidateLocator {
  private cursor = 0;
  private missBudget: number;
  private readonly crlf: boolean;
  readonly spans: SecretSpan[] = [];

  constructor(
    private readonly content: Buffer,
    private readonly rule: CompiledSecretRule,
  ) {
    this.missBudget = 2 * content.length + 65536;
    this.crlf = content.includes(13);
  }

  add(value: string): void {
    if (!this.locate(value) && this.crlf && value.includes('\n')) this.locate(value.replace(/\n/g, '\r\n'));
  }

  private locate(value: string): boolean {
    const needle = Buffer.from(value, 'utf8');
    const end = this.missBudget > 0 ? this.content.length : Math.min(this.content.length, this.cursor + SHORT_SEARCH_BYTES + needle.length);
    const at = this.content.subarray(0, end).indexOf(needle, this.cursor);
    if (at < 0) {
      this.missBudget -= end - this.cursor;
      return false;
    }
    this.cursor = at + needle.length;
    this.spans.push({ rule: this.rule, start: at, end: at + needle.length });
    return true;
  }

  addConnectionStringPasswords(value: string): void {
    CONNECTION_STRING_PASSWORD.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = CONNECTION_STRING_PASSWORD.exec(value)) !== null) {
      const password = match[1]!.trim();
      if (password.length > 0) this.add(password);
    }
  }
}

/** Visits elements, their attributes and their text in document order, as the locator reads. */
function visit(nodes: unknown, rule: CompiledSecretRule, locator: CandidateLocator, depth: number): void {
  if (!Array.isArray(nodes) || depth > 200) return;
  const keyNames = rule.keyNames!;
  for (const node of nodes as XmlNode[]) {
    const attributes = (node[':@'] ?? {}) as Record<string, unknown>;
    const tag = Object.keys(node).find((k) => k !== ':@');
    if (tag === undefined || tag === '#text' || tag === '#comment') continue;
    const pairKey = PAIR_KEY_ATTRIBUTES.map((a) => attributes[a]).find((v) => typeof v === 'string') as string | undefined;
    const pairValueName = PAIR_VALUE_ATTRIBUTES.find((a) => typeof attributes[a] === 'string');
    for (const [name, value] of Object.entries(attributes)) {
      if (typeof value !== 'string') continue;
      if (keyNames.test(name)) locator.add(value);
      else if (/^connectionstring$/i.test(name)) locator.addConnectionStringPasswords(value);
      if (name === pairValueName && pairKey !== undefined) {
        if (keyNames.test(pairKey)) locator.add(value);
        else if (/connectionstring/i.test(pairKey)) locator.addConnectionStringPasswords(value);
      }
    }
    const children = node[tag];
    if (!Array.isArray(children)) continue;
    const secretText = keyNames.test(tag);
    const connectionText = !secretText && /connectionstring/i.test(tag);
    for (const child of children as XmlNode[]) {
      const text = child['#text'];
      if (typeof text !== 'string') visit([child], rule, locator, depth + 1);
      else if (text.length === 0) continue;
      else if (secretText) locator.add(text);
      else if (connectionText) locator.addConnectionStringPasswords(text);
    }
  }
}

/** Candidate credential spans in an XML document (before placeholder and entropy filters). */
export function findXmlCredentials(content: Buffer, rule: CompiledSecretRule): SecretSpan[] {
  let document: unknown;
  try {
    document = parser.parse(content.toString('utf8'));
  } catch {
    return [];
  }
  const locator = new CandidateLocator(content, rule);
  visit(document, rule, locator, 0);
  return locator.spans;
}
