import t from 'tap';
import { PushInspection } from './push-inspection.js';

function busy(milliseconds: number): void {
  const until = performance.now() + milliseconds;
  while (performance.now() < until);
}

t.test('a long inspection gives the event loop turns, and is refused past its time allowance', async (t) => {
  const inspection = new PushInspection({ budget: { milliseconds: 200 } });
  let turns = 0;
  const other = () => setImmediate(() => turns++);
  other();
  busy(5);
  await inspection.pause();
  t.equal(turns, 0, 'within a slice: no turn given');
  busy(25);
  await inspection.pause();
  t.equal(turns, 1, 'after a slice: other work ran');
  busy(200);
  await t.rejects(inspection.pause(), { name: 'PushError', code: 'PUSH_TOO_LARGE', message: 'inspecting this push took more than 0.2 s, longer than gitgate allows one push; push the history in smaller parts' });
});
