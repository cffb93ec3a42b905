import type { RefUpdate } from '../../rego/index.js';
import { scanLargeText, type SecretScanner } from '../secrets/index.js';
import { PushError } from './errors.js';
import type { ObjectReader } from './object-reader.js';
import type { PushInspection } from './push-inspection.js';
import { addFindings, policyFindings, refuseUnscanned } from './ref-update-inspection.js';

/**
 * What the pack carries beyond what the ref updates reached. git sends only objects reachable
 * from the pushed tips, but a crafted pack may hold more, and the upstream stores all of it (on
 * GitHub, readable by id). A commit or tag that no update reaches is refused (PUSH_UNINSPECTABLE).
 * A blob that no analysed commit adds or changes can come from git too (a pack may repeat objects
 * the upstream has), so it is scanned on its own rather than refused: its findings are listed on
 * the first update that is not a deletion, with the path `(unreferenced blob <id>)`.
 */
export async function inspectUnreachedObjects(updates: RefUpdate[], reader: ObjectReader, scanner: SecretScanner, push: PushInspection): Promise<void> {
  const pushed = reader.pushed;
  for (const kind of ['commits', 'tags'] as const) {
    for (const id of pushed[kind].keys()) {
      if (push.reached.has(id)) continue;
      const noun = kind === 'commits' ? 'commit' : 'annotated tag';
      throw new PushError(
        'PUSH_UNINSPECTABLE',
        `this push carries the ${noun} ${id}, which none of its refs reaches; gitgate inspects what the pushed refs bring ` +
          '(git sends nothing else) and forwards nothing it has not inspected. Push a ref that points at it, or leave it out',
      );
    }
  }
  const listedOn = updates.find((update) => update.operation !== 'delete');
  for (const id of pushed.blobs.keys()) {
    if (push.diffedBlobs.has(id)) continue;
    await push.pause();
    const content = pushed.blobContent(id)!; // every id here is a blob of the push: it is kept or read back
    push.scanning(content.length);
    const result = await scanLargeText(scanner, { path: `(unreferenced blob ${id})`, newContent: content }, () => push.pause(), push.archiveContext(scanner));
    refuseUnscanned(result, `blob ${id}`);
    const findings = policyFindings(result, listedOn?.new ?? id);
    if (findings.length === 0 && !result.truncatedFindings) continue;
    if (listedOn === undefined) {
      throw new PushError('PUSH_UNINSPECTABLE', `this push carries the blob ${id}, which holds a secret and which none of its refs reaches`);
    }
    if (result.truncatedFindings) listedOn.truncated = true;
    addFindings(listedOn, push, findings);
  }
}
