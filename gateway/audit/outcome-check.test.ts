import t from 'tap';
import pino from 'pino';
import { OutcomeChecks, refOutcomes } from './outcome-check.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const OTHER = 'c'.repeat(40);
const ZERO = '0'.repeat(40);
const logger = pino({ level: 'silent' });
// The checks' timers do not hold the process open (a gateway stopping does not wait for them): this does, meanwhile.
const keepAlive = setInterval(() => undefined, 1000);
t.teardown(() => clearInterval(keepAlive));

/** A trail that keeps what is recorded; resolves `recorded` at the first record. */
function recordingTrail() {
  const records: { type: string; data: Record<string, unknown> }[] = [];
  let first: () => void = () => undefined;
  const recorded = new Promise<void>((resolve) => (first = resolve));
  return {
    records,
    recorded,
    trail: {
      requestId: 'req-1',
      record: async (type: string, data: Record<string, unknown>) => {
        records.push({ type, data });
        first();
      },
    },
  };
}

t.test('a ref is landed at the pushed id, not landed at the old one, changed since otherwise; a deletion landed is a ref gone', async (t) => {
  const refs = new Map([
    ['refs/heads/a', NEW],
    ['refs/heads/b', OLD],
    ['refs/heads/c', OTHER],
  ]);
  const outcomes = refOutcomes(
    [
      { ref: 'refs/heads/a', old: OLD, new: NEW },
      { ref: 'refs/heads/b', old: OLD, new: NEW },
      { ref: 'refs/heads/c', old: OLD, new: NEW },
      { ref: 'refs/heads/gone', old: OLD, new: ZERO },
      { ref: 'refs/heads/never-created', old: ZERO, new: NEW },
    ],
    refs,
  );
  t.same(
    outcomes.map((o) => [o.ref, o.state, o.ok]),
    [
      ['refs/heads/a', 'landed', true],
      ['refs/heads/b', 'not-landed', false],
      ['refs/heads/c', 'changed-since', false],
      ['refs/heads/gone', 'landed', true],
      ['refs/heads/never-created', 'not-landed', false],
    ],
  );
});

t.test('a ref still at its old id is asked about again; the result is recorded once it landed', async (t) => {
  const { records, recorded, trail } = recordingTrail();
  const answers = [new Map([['refs/heads/x', OLD]]), new Map([['refs/heads/x', NEW]])];
  let asked = 0;
  const checks = new OutcomeChecks(logger, [10, 30, 60]);
  checks.schedule({ trail, commands: [{ ref: 'refs/heads/x', old: OLD, new: NEW }], askRefs: async () => answers[asked++]! });
  await recorded;
  t.equal(asked, 2, 'asked twice: not landed at first, then landed');
  t.equal(records.length, 1);
  t.match(records[0], { type: 'upstream.result', data: { reconciled: true, status: null, landed: ['refs/heads/x'], refs: [{ ref: 'refs/heads/x', state: 'landed', found: NEW }] } });
  t.ok((records[0]!.data['checked_after_ms'] as number) >= 30);
  checks.stop();
});

t.test('still at its old id at the last check: recorded as not landed', async (t) => {
  const { records, recorded, trail } = recordingTrail();
  let asked = 0;
  const checks = new OutcomeChecks(logger, [5, 10, 15]);
  checks.schedule({
    trail,
    commands: [{ ref: 'refs/heads/x', old: ZERO, new: NEW }],
    askRefs: async () => {
      asked++;
      return new Map();
    },
  });
  await recorded;
  t.equal(asked, 3);
  t.match(records, [{ type: 'upstream.result', data: { reconciled: true, landed: [], refs: [{ state: 'not-landed' }] } }]);
});

t.test('an upstream that cannot be asked at the last check leaves an error, and the forward pending for the next start', async (t) => {
  const { records, recorded, trail } = recordingTrail();
  const checks = new OutcomeChecks(logger, [5, 10]);
  checks.schedule({
    trail,
    commands: [{ ref: 'refs/heads/x', old: OLD, new: NEW }],
    askRefs: async () => {
      throw new Error('cannot reach the upstream: ECONNREFUSED');
    },
  });
  await recorded;
  t.same(records, [{ type: 'error', data: { code: 'RECONCILE_FAILED', message: 'cannot reach the upstream: ECONNREFUSED' } }]);
});

t.test('stopped (shutdown): no check is made or recorded', async (t) => {
  const { records, trail } = recordingTrail();
  let asked = 0;
  const checks = new OutcomeChecks(logger, [20]);
  checks.schedule({
    trail,
    commands: [{ ref: 'refs/heads/x', old: OLD, new: NEW }],
    askRefs: async () => {
      asked++;
      return new Map([['refs/heads/x', NEW]]);
    },
  });
  checks.stop();
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.equal(asked, 0);
  t.same(records, []);
  checks.schedule({ trail, commands: [], askRefs: async () => new Map() });
  await new Promise((resolve) => setTimeout(resolve, 40));
  t.same(records, [], 'nothing is scheduled after the stop');
});
