import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { forwardFailureNotice, watchDelivery } from './forward-failure.js';

const reference = 'gitgate: request r-1 (operators: gitgate audit show r-1)';
const failure = { code: 'UPSTREAM_UNREACHABLE', message: 'cannot reach the upstream http://example.invalid/x.git: ECONNRESET' };

t.test('a body read to its end counts as delivered; one the upstream stopped reading does not', async (t) => {
  const whole = Readable.from([Buffer.from('0000'), Buffer.from('PACK')]);
  const wholeDelivered = watchDelivery(whole);
  t.equal(wholeDelivered(), false, 'nothing read yet');
  await pipeline(whole, new Writable({ write: (_chunk, _encoding, done) => done() }));
  t.equal(wholeDelivered(), true);

  const cut = Readable.from([Buffer.from('first'), Buffer.from('second'), Buffer.from('third')]);
  const cutDelivered = watchDelivery(cut);
  let seen = 0;
  const upstream = new Writable({
    write: (_chunk, _encoding, done) => done(++seen === 2 ? new Error('ECONNRESET') : undefined),
  });
  await t.rejects(pipeline(cut, upstream), /ECONNRESET/);
  t.equal(cutDelivered(), false, 'the upstream never had the third chunk');
});

t.test('nothing applied when the upstream never had all of the push, or refused it with a 4xx', async (t) => {
  for (const delivery of [{ delivered: false, status: null }, { delivered: false, status: 200 }, { delivered: true, status: 403 }, { delivered: true, status: 413 }]) {
    const notice = forwardFailureNotice(failure, delivery, reference);
    t.equal(notice.nothingApplied, true, JSON.stringify(delivery));
    t.equal(notice.reason, 'gitgate: upstream unavailable (UPSTREAM_UNREACHABLE)');
    t.match(notice.messages[0], /could not deliver it: cannot reach the upstream .*ECONNRESET\. Nothing was applied; push again later\./);
    t.equal(notice.messages.at(-1), reference);
  }
});

t.test('outcome unknown once the upstream had all of it and then failed (a cut connection, a 5xx)', async (t) => {
  for (const delivery of [{ delivered: true, status: null }, { delivered: true, status: 200 }, { delivered: true, status: 502 }]) {
    const notice = forwardFailureNotice(failure, delivery, reference);
    t.equal(notice.nothingApplied, false, JSON.stringify(delivery));
    t.equal(notice.reason, 'gitgate: upstream failed, outcome unknown (UPSTREAM_UNREACHABLE)');
    t.notMatch(notice.messages.join('\n'), /Nothing was applied/i, 'never claims nothing was applied');
    t.match(notice.messages.join('\n'), /cannot tell whether the upstream applied it\. Look with `git ls-remote`/);
    t.equal(notice.messages.at(-1), reference);
  }
});
