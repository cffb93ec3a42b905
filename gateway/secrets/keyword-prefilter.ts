/**
 * States up to which the automaton is also compiled to a table indexed by state and byte itself
 * (16-bit entries, the top bit marking a state that ends a keyword): 8,192 states, 4 MiB. The
 * default rules make about 1,000 (516 KiB); rule sets with far more keywords keep the class table.
 */
const MAX_DIRECT_STATES = 8192;
const ACCEPTS = 0x8000;

/**
 * Aho–Corasick automaton over bytes, ASCII case-insensitive: one pass over the content finds
 * every occurrence of every rule keyword. The automaton is compiled to a dense DFA over byte
 * classes (only bytes that occur in keywords get their own class), so the inner loop is one
 * table lookup per byte.
 *
 * Where it has at most MAX_DIRECT_STATES states it is also laid out by byte (`direct`): the
 * loop then reads the content byte and one table entry, which also says whether the state ends
 * a keyword, instead of a class, a transition and an accepting flag. On 30-40 MB of base64,
 * source code and random bytes that took it from 408-448 to 458-495 MB/s (old and new builds
 * alternating, two runs each); a push's secret scan spends most of its time here.
 */
export class KeywordPrefilter {
  readonly keywords: readonly string[];
  private readonly byteClass: Uint8Array;
  private readonly classCount: number;
  /** Next state, premultiplied by the class count (row offset), indexed by `row + class`. */
  private readonly transitions: Int32Array;
  /** 1 at the row offset of every state that ends at least one keyword. */
  private readonly accepting: Uint8Array;
  /** For each state, the keyword ids that end there (own output plus the fail chain's). */
  private readonly outputs: (readonly number[] | undefined)[];
  private readonly keywordLengths: Int32Array;
  /** Next state at `(state << 8) | byte`, ACCEPTS set when it ends a keyword; undefined past MAX_DIRECT_STATES. */
  private readonly direct: Uint16Array | undefined;

  /** `maxDirectStates` is for tests, to run the class-table loop on a small automaton. */
  constructor(keywords: readonly string[], options: { maxDirectStates?: number } = {}) {
    this.keywords = keywords;
    const encoded = keywords.map((k) => Buffer.from(k.toLowerCase(), 'utf8'));
    this.keywordLengths = Int32Array.from(encoded.map((k) => k.length));

    this.byteClass = new Uint8Array(256);
    let classCount = 1;
    for (const keyword of encoded) {
      for (const byte of keyword) {
        if (this.byteClass[byte] === 0) {
          if (classCount === 255) throw new RangeError('too many distinct keyword bytes');
          this.byteClass[byte] = classCount++;
        }
      }
    }
    for (let upper = 0x41; upper <= 0x5a; upper++) this.byteClass[upper] = this.byteClass[upper + 0x20]!;
    this.classCount = classCount;

    // Trie.
    const children: Map<number, number>[] = [new Map()];
    const ownOutputs: number[][] = [[]];
    encoded.forEach((keyword, id) => {
      let state = 0;
      for (const byte of keyword) {
        const cls = this.byteClass[byte]!;
        let next = children[state]!.get(cls);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          ownOutputs.push([]);
          children[state]!.set(cls, next);
        }
        state = next;
      }
      ownOutputs[state]!.push(id);
    });

    // Breadth-first: fail links and the dense transition table.
    const stateCount = children.length;
    const transitions = new Int32Array(stateCount * classCount);
    const fail = new Int32Array(stateCount);
    const outputs: (number[] | undefined)[] = new Array(stateCount);
    const queue: number[] = [];
    for (let cls = 1; cls < classCount; cls++) {
      const next = children[0]!.get(cls);
      if (next !== undefined) {
        transitions[cls] = next;
        fail[next] = 0;
        queue.push(next);
      }
    }
    outputs[0] = undefined;
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      const own = ownOutputs[state]!;
      const inherited = outputs[fail[state]!];
      const merged = inherited ? [...own, ...inherited] : own;
      outputs[state] = merged.length > 0 ? merged : undefined;
      for (let cls = 1; cls < classCount; cls++) {
        const next = children[state]!.get(cls);
        const viaFail = transitions[fail[state]! * classCount + cls]!;
        if (next !== undefined) {
          transitions[state * classCount + cls] = next;
          fail[next] = viaFail;
          queue.push(next);
        } else {
          transitions[state * classCount + cls] = viaFail;
        }
      }
    }
    for (let i = 0; i < transitions.length; i++) transitions[i] = transitions[i]! * classCount;
    this.transitions = transitions;
    this.outputs = outputs;
    this.accepting = new Uint8Array(stateCount * classCount);
    outputs.forEach((o, state) => void (this.accepting[state * classCount] = o === undefined ? 0 : 1));
    this.direct = stateCount <= (options.maxDirectStates ?? MAX_DIRECT_STATES) && stateCount < ACCEPTS ? this.directTable(stateCount) : undefined;
  }

  private directTable(stateCount: number): Uint16Array {
    const { byteClass, transitions, classCount, outputs } = this;
    const table = new Uint16Array(stateCount * 256);
    for (let state = 0; state < stateCount; state++) {
      for (let byte = 0; byte < 256; byte++) {
        const next = transitions[state * classCount + byteClass[byte]!]! / classCount;
        table[(state << 8) | byte] = next | (outputs[next] === undefined ? 0 : ACCEPTS);
      }
    }
    return table;
  }

  /**
   * Every keyword occurrence in `content[from, to)`, in order of their end: a flat list of
   * `keywordId, startOffset` pairs.
   */
  findAll(content: Uint8Array, from = 0, to = content.length): number[] {
    if (this.direct !== undefined) return this.findAllDirect(this.direct, content, from, to);
    const hits: number[] = [];
    const { byteClass, transitions, classCount, accepting, outputs, keywordLengths } = this;
    let row = 0;
    for (let i = from; i < to; i++) {
      row = transitions[row + byteClass[content[i]!]!]!;
      if (accepting[row] === 1) {
        for (const id of outputs[row / classCount]!) hits.push(id, i + 1 - keywordLengths[id]!);
      }
    }
    return hits;
  }

  private findAllDirect(table: Uint16Array, content: Uint8Array, from: number, to: number): number[] {
    const hits: number[] = [];
    const { outputs, keywordLengths } = this;
    let state = 0;
    for (let i = from; i < to; i++) {
      const entry = table[(state << 8) | content[i]!]!;
      state = entry & ~ACCEPTS;
      if (entry >= ACCEPTS) {
        for (const id of outputs[state]!) hits.push(id, i + 1 - keywordLengths[id]!);
      }
    }
    return hits;
  }
}
