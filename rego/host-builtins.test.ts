import t from 'tap';
import { anyPrefixMatch, anySuffixMatch, createHostBuiltins, supportedBuiltinNames } from './host-builtins.js';

t.test('strings.any_suffix_match and any_prefix_match behave as in OPA', async (t) => {
  t.equal(anySuffixMatch(['src/a.ts', 'certs/x.pem'], ['.key', '.pem']), true);
  t.equal(anySuffixMatch(['src/a.ts', 'x.pem.txt'], ['.key', '.pem', '/.env']), false);
  t.equal(anySuffixMatch('app/.env', '/.env'), true);
  t.equal(anySuffixMatch(['a'], ['']), true, 'the empty suffix ends every string');
  t.equal(anySuffixMatch([''], ['a']), false);
  t.equal(anySuffixMatch([], ['']), false, 'no strings, no match');
  t.equal(anySuffixMatch(['a'], []), false, 'no suffixes, no match');
  t.equal(anySuffixMatch(['dir/ü.çé'], ['.çé']), true);
  t.equal(anyPrefixMatch(['lib/x', 'src/a.ts'], ['src/', 'cmd/']), true);
  t.equal(anyPrefixMatch(['lib/src/x'], ['src/']), false);
  t.equal(anyPrefixMatch('x', ''), true);
  t.equal(anyPrefixMatch([], ['']), false);
  t.throws(() => anySuffixMatch([1], ['a']), TypeError);
  t.throws(() => anyPrefixMatch(['a'], { a: true }), TypeError);
});

t.test('the host supplies them to WASM policies', async (t) => {
  const builtins = createHostBuiltins({ nowNs: 5 });
  t.equal(builtins['time.now_ns']?.(), 5);
  t.ok(supportedBuiltinNames().has('strings.any_suffix_match'));
  t.ok(supportedBuiltinNames().has('strings.any_prefix_match'));
});
