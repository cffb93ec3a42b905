import t from 'tap';
import { overlayData, overlayDigest } from './data-overlay.js';

t.test('objects merge, everything else is replaced', async (t) => {
  const base = { gitgate: { config: { protected_refs: ['refs/heads/main'], files: { max_size: 10, forbidden: ['a'] } } } };
  const merged = overlayData(base, { gitgate: { config: { protected_refs: ['refs/heads/prod'], files: { max_size: 20 } } } });
  t.same(merged, { gitgate: { config: { protected_refs: ['refs/heads/prod'], files: { max_size: 20, forbidden: ['a'] } } } });
  t.same(base.gitgate.config.protected_refs, ['refs/heads/main'], 'the base is not modified');
  t.equal(overlayDigest({ a: 1 }), overlayDigest({ a: 1 }));
  t.not(overlayDigest({ a: 1 }), overlayDigest({ a: 2 }));
});
