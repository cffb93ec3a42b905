import { createHash } from 'node:crypto';

/** What an approval is bound to: the repository, the pusher, and every ref's exact old and new id. */
export interface FingerprintSubject {
  /** `owner/name` as policies see it. */
  repository: string;
  pusher: { issuer: string; subject: string };
  refs: readonly { ref: string; old: string; new: string }[];
}

/**
 * `sha256:<hex>` over a canonical text of the subject: refs sorted by name, ids lower-cased, each
 * field length-prefixed so no two different subjects can produce the same text. Other commits, another
 * ref, another repository or another pusher give another fingerprint, so an approval never
 * covers anything but the exact push it was asked for.
 */
export function approvalFingerprint(subject: FingerprintSubject): string {
  const refs = [...subject.refs].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const fields = ['gitgate-approval-v1', subject.repository, subject.pusher.issuer, subject.pusher.subject, String(refs.length)];
  for (const ref of refs) fields.push(ref.ref, ref.old.toLowerCase(), ref.new.toLowerCase());
  const hash = createHash('sha256');
  for (const field of fields) hash.update(`${Buffer.byteLength(field)}:${field}\n`);
  return `sha256:${hash.digest('hex')}`;
}
