import t from 'tap';
import { approvalFingerprint, type FingerprintSubject } from './approval-fingerprint.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const base: FingerprintSubject = {
  repository: 'acme/app',
  pusher: { issuer: 'gitgate:static-tokens', subject: 'agent-1' },
  refs: [
    { ref: 'refs/heads/main', old: A, new: B },
    { ref: 'refs/tags/v1', old: '0'.repeat(40), new: C },
  ],
};

t.test('the same push gives the same fingerprint, whatever the order of refs or the case of ids', async (t) => {
  const fingerprint = approvalFingerprint(base);
  t.match(fingerprint, /^sha256:[0-9a-f]{64}$/);
  t.equal(approvalFingerprint({ ...base, refs: [...base.refs].reverse() }), fingerprint);
  t.equal(approvalFingerprint({ ...base, refs: base.refs.map((r) => ({ ...r, new: r.new.toUpperCase() })) }), fingerprint);
});

t.test('anything else that differs gives another fingerprint', async (t) => {
  const fingerprint = approvalFingerprint(base);
  const variants: FingerprintSubject[] = [
    { ...base, repository: 'acme/other' },
    { ...base, pusher: { ...base.pusher, subject: 'agent-2' } },
    { ...base, pusher: { ...base.pusher, issuer: 'https://issuer.example' } },
    { ...base, refs: [{ ...base.refs[0]!, new: C }, base.refs[1]!] },
    { ...base, refs: [{ ...base.refs[0]!, old: C }, base.refs[1]!] },
    { ...base, refs: [{ ...base.refs[0]!, ref: 'refs/heads/prod' }, base.refs[1]!] },
    { ...base, refs: [base.refs[0]!] },
  ];
  const seen = new Set([fingerprint]);
  for (const variant of variants) seen.add(approvalFingerprint(variant));
  t.equal(seen.size, variants.length + 1);
});

t.test('fields cannot run into each other', async (t) => {
  const one = approvalFingerprint({ ...base, repository: 'acme/app', pusher: { issuer: 'x', subject: 'y' } });
  const two = approvalFingerprint({ ...base, repository: 'acme/app\n1:x', pusher: { issuer: '', subject: 'y' } });
  t.not(one, two);
});
