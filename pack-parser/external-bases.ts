import { PackParserError } from './errors.js';
import type { ObjectArena } from './object-arena.js';
import { objectId, type HashAlgorithm } from './object-id.js';
import type { ObjectType } from './pack-object-table.js';
import { SpillingPackSpool } from './pack-spool.js';

/** A delta base a thin pack leaves out, as its source supplies it. */
export interface ExternalBase {
  type: ObjectType;
  content: Buffer;
}

export type ExternalBaseResolver = (id: string) => Promise<ExternalBase | undefined>;

interface ExternalBaseRecord {
  type: number;
  offset: number;
  length: number;
  cacheKey: number;
}

const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

/**
 * The bases of a thin pack, fetched from the resolver once each, checked against their ids, and
 * kept in a spool of their own (memory, then a temporary file) so that memory stays bounded; the
 * shared arena caches them under negative keys.
 */
export class ExternalBaseStore {
  private readonly records = new Map<string, ExternalBaseRecord>();
  private spool: SpillingPackSpool | undefined;

  constructor(
    private readonly arena: ObjectArena,
    private readonly hashAlgorithm: HashAlgorithm,
    private readonly resolver: ExternalBaseResolver | undefined,
  ) {}

  get count(): number {
    return this.records.size;
  }

  /** Asks the resolver for a base; `othersMissing` counts the other bases still wanted, for the message. */
  async fetch(idHex: string, othersMissing: number): Promise<void> {
    const supplied = this.resolver ? await this.resolver(idHex) : undefined;
    if (!supplied) {
      throw new PackParserError(
        'PACK_DELTA_BASE_MISSING',
        `thin pack: delta base ${idHex} is not in the pack` +
          (othersMissing > 0 ? ` (nor are ${othersMissing} other bases)` : '') +
          (this.resolver ? ' and the base source does not have it' : '; give the decoder a base source (e.g. --base-repo)'),
      );
    }
    const actual = objectId(this.hashAlgorithm, supplied.type, supplied.content).toString('hex');
    if (actual !== idHex) {
      throw new PackParserError(
        'PACK_DELTA_BASE_MISSING',
        `the base source returned ${actual} when asked for ${idHex}; refusing a base that does not match its id`,
      );
    }
    this.spool ??= new SpillingPackSpool();
    const record: ExternalBaseRecord = {
      type: TYPE_CODES[supplied.type],
      offset: this.spool.size,
      length: supplied.content.length,
      cacheKey: -1 - this.records.size,
    };
    this.spool.append(supplied.content);
    this.records.set(idHex, record);
    this.arena.store(record.cacheKey, supplied.content);
  }

  /** Object type code (1-4) of a fetched base. */
  typeOf(idHex: string): number {
    return this.record(idHex).type;
  }

  content(idHex: string): Buffer {
    const record = this.record(idHex);
    const cached = this.arena.get(record.cacheKey);
    if (cached) return cached;
    return this.arena.store(record.cacheKey, this.spool!.read(record.offset, record.length));
  }

  close(): void {
    this.spool?.close();
    this.spool = undefined;
  }

  private record(idHex: string): ExternalBaseRecord {
    const record = this.records.get(idHex);
    if (!record) throw new PackParserError('PACK_DELTA_BASE_MISSING', `delta base ${idHex} is neither in the pack nor supplied`);
    return record;
  }
}
