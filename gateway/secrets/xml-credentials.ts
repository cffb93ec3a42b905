import { XMLParser } from 'fast-xml-parser';
import RE2 from 're2';
import type { CompiledSecretRule } from './compiled-rules.js';
import type { SecretSpan } from './secret-span.js';

/**
 * Structured look at XML configuration (Maven settings.xml, web.config, app.config, ...):
 * credentials in elements (`<password>…</password>`), attributes (`password="…"`), key/value
 * pairs (`<add key="SmtpPassword" value="…"/>`) and connection strings (`…;Password=…;`).
 * Entities are not expanded (no entity-expansion attacks); the file is already size-capped.
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
});

const CONNECTION_STRING_PASSWORD = new RE2('(?i)(?:^|;)\\s*(?:password|pwd)\\s*=\\s*([^;]+)', 'g');
const PAIR_KEY_ATTRIBUTES = ['key', 'name'];
const PAIR_VALUE_ATTRIBUTES = ['value'];

type XmlNode = Record<string, unknown>;

class CandidateLocator {
  private cursor = 0;
  readonly spans: SecretSpan[] = [];

  constructor(
    private readonly content: Buffer,
    private readonly rule: CompiledSecretRule,
  ) {}

  add(value: string): void {
    const needle = Buffer.from(value, 'utf8');
    let at = this.content.indexOf(needle, this.cursor);
    if (at < 0) at = this.content.indexOf(needle);
    if (at < 0) return;
    this.cursor = at + needle.length;
    this.spans.push({ rule: this.rule, start: at, end: at + needle.length });
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

function textOf(children: unknown): string {
  if (!Array.isArray(children)) return '';
  return children
    .map((child) => (child as XmlNode)['#text'])
    .filter((text): text is string => typeof text === 'string')
    .join('');
}

function visit(nodes: unknown, rule: CompiledSecretRule, locator: CandidateLocator, depth: number): void {
  if (!Array.isArray(nodes) || depth > 200) return;
  const keyNames = rule.keyNames!;
  for (const node of nodes as XmlNode[]) {
    const attributes = (node[':@'] ?? {}) as Record<string, unknown>;
    const tag = Object.keys(node).find((k) => k !== ':@');
    if (tag === undefined || tag === '#text') continue;
    for (const [name, value] of Object.entries(attributes)) {
      if (typeof value !== 'string') continue;
      if (keyNames.test(name)) locator.add(value);
      else if (/^connectionstring$/i.test(name)) locator.addConnectionStringPasswords(value);
    }
    const pairKey = PAIR_KEY_ATTRIBUTES.map((a) => attributes[a]).find((v) => typeof v === 'string') as string | undefined;
    const pairValue = PAIR_VALUE_ATTRIBUTES.map((a) => attributes[a]).find((v) => typeof v === 'string') as string | undefined;
    if (pairKey !== undefined && pairValue !== undefined) {
      if (keyNames.test(pairKey)) locator.add(pairValue);
      else if (/connectionstring/i.test(pairKey)) locator.addConnectionStringPasswords(pairValue);
    }
    const children = node[tag];
    const text = textOf(children);
    if (text.length > 0) {
      if (keyNames.test(tag)) locator.add(text);
      else if (/connectionstring/i.test(tag)) locator.addConnectionStringPasswords(text);
    }
    visit(children, rule, locator, depth + 1);
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
