import type { Readable } from 'node:stream';

/**
 * Watches a push's request body on its way upstream: returns whether the upstream was handed all
 * of it. Until then it cannot have applied anything: git applies a push only once it has read the
 * whole request, pack and trailing checksum included (a request cut short fails its unpack).
 * Handed over is not received: a body that was handed over whole may still have been lost, so
 * `true` means only that gitgate cannot rule the push out.
 */
export function watchDelivery(body: Readable): () => boolean {
  let delivered = false;
  body.once('end', () => {
    delivered = true;
  });
  return () => delivered;
}

/** What git shows for an allowed push that failed upstream before its answer began. */
export interface ForwardFailureNotice {
  /** The `ng` reason of every ref. */
  reason: string;
  /** `remote:` lines. */
  messages: string[];
  /** Whether gitgate knows nothing was applied (false: the upstream may have applied it). */
  nothingApplied: boolean;
}

/**
 * Says truthfully what a failed forward left behind. The upstream cannot have applied a push it
 * did not get whole, nor one it refused with an HTTP 4xx (a client error: the request was not
 * taken). Otherwise (the connection broke, a 5xx, git failing upstream after it read the push)
 * the upstream may have applied some or all of it before failing to answer, and only asking it
 * tells: git is told to look before pushing again, since pushing the same commits once more is
 * refused when the first attempt landed.
 */
export function forwardFailureNotice(
  failure: { code: string; message: string },
  delivery: { delivered: boolean; status: number | null },
  remoteReference: string,
): ForwardFailureNotice {
  const refusedRequest = delivery.status !== null && delivery.status >= 400 && delivery.status < 500;
  if (!delivery.delivered || refusedRequest) {
    return {
      reason: `gitgate: upstream unavailable (${failure.code})`,
      messages: [`gitgate allowed this push but could not deliver it: ${failure.message}. Nothing was applied; push again later.`, remoteReference],
      nothingApplied: true,
    };
  }
  return {
    reason: `gitgate: upstream failed, outcome unknown (${failure.code})`,
    messages: [
      `gitgate allowed this push and the upstream received all of it, but it failed before answering: ${failure.message}.`,
      'gitgate cannot tell whether the upstream applied it. Look with `git ls-remote` (or fetch) before pushing again.',
      remoteReference,
    ],
    nothingApplied: false,
  };
}
