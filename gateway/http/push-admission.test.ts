import t from 'tap';
import { PushAdmission } from './push-admission.js';

t.test('up to the limit at once; the rest get their turn in arrival order as turns end', async (t) => {
  const admission = new PushAdmission(2);
  const first = await admission.enter(1000);
  const second = await admission.enter(1000);
  t.ok(first && second);
  const order: string[] = [];
  const third = admission.enter(5000).then((end) => (order.push('third'), end));
  const fourth = admission.enter(5000).then((end) => (order.push('fourth'), end));
  await new Promise((resolve) => setImmediate(resolve));
  t.same({ admitted: admission.admitted, queued: admission.queued }, { admitted: 2, queued: 2 });
  second!();
  second!(); // ending a turn twice gives back one turn only
  const endThird = await third;
  t.same(order, ['third']);
  t.same({ admitted: admission.admitted, queued: admission.queued }, { admitted: 2, queued: 1 });
  first!();
  const endFourth = await fourth;
  t.same(order, ['third', 'fourth']);
  endThird!();
  endFourth!();
  t.same({ admitted: admission.admitted, queued: admission.queued }, { admitted: 0, queued: 0 });
});

t.test('a wait ends without a turn after the queue time or when its signal aborts, and leaves the queue', async (t) => {
  const admission = new PushAdmission(1);
  const held = await admission.enter(0);
  const started = Date.now();
  t.equal(await admission.enter(50), undefined);
  t.ok(Date.now() - started >= 45);
  const left = new AbortController();
  const leaving = admission.enter(10_000, left.signal);
  t.equal(admission.queued, 1);
  left.abort();
  t.equal(await leaving, undefined);
  t.equal(admission.queued, 0);
  t.equal(await admission.enter(10_000, left.signal), undefined, 'an aborted signal gets no turn');
  held!();
  const next = await admission.enter(0);
  t.ok(next, 'the turn given back goes to the next push, not to the ones that left');
  t.equal(admission.admitted, 1);
});
