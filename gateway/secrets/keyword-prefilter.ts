/**
 * Aho–Corasick automaton over bytes, ASCII case-insensitive: one pass over the content finds
 * every occurrence of every rule keyword. The automaton is compiled to a dense DFA over byte
 * classes (only bytes that occur in keywords get their own class), so the inner loop is one
 * table lookup per byte.
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

  constructor(keywords: readonly string[]) {
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
  }

  /**
   * Every keyword occurrence in `content[from, to)`, in order of their end: a flat list of
   * `keywordId, startOffset` pairs.
   */
  findAll(content: Uint8Array, from = 0, to = content.length): number[] {
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
}
