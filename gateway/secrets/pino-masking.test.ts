import t from 'tap';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { pinoMaskingOptions } from './pino-masking.js';
import { SecretMasker } from './secret-masker.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';

const token = fakeGithubToken(41);

t.test('pino logs carry no secret: message, args, objects, errors, bindings, redacted paths', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const masker = new SecretMasker(builtinScanner());
  const logger = pino(pinoMaskingOptions(masker), sink).child({ session: `s-${token}` });
  logger.info(`pushing with ${token}`);
  logger.info({ req: { headers: { authorization: 'Basic dXNlcjpwYXNz' } }, detail: { note: `x ${token}` } }, 'request %s', token);
  logger.error({ err: new Error(`upstream said ${token}`) }, 'failed');
  t.equal(lines.length, 3);
  const all = lines.join('');
  t.notMatch(all, token);
  t.notMatch(all, 'dXNlcjpwYXNz');
  const second = JSON.parse(lines[1]!) as { msg: string; req: { headers: { authorization: string } }; session: string };
  t.equal(second.msg, 'request [REDACTED:github-pat]');
  t.equal(second.req.headers.authorization, '[REDACTED]');
  t.equal(second.session, 's-[REDACTED:github-pat]');
  const third = JSON.parse(lines[2]!) as { err: { type: string; message: string } };
  t.same([third.err.type, third.err.message], ['Error', 'upstream said [REDACTED:github-pat]']);
});
