import t from 'tap';
import { encodeSideband, FLUSH_PKT, pktLine } from '../../pack-parser/index.js';
import { parseReceivePackReport } from './receive-pack-report.js';

const report = Buffer.concat([pktLine('unpack ok\n'), pktLine('ok refs/heads/main\n'), pktLine('ng refs/heads/prod fetch first\n'), Buffer.from(FLUSH_PKT)]);

t.test('plain report-status', async (t) => {
  t.same(parseReceivePackReport(report), {
    unpack: 'ok',
    refs: [
      { ref: 'refs/heads/main', ok: true },
      { ref: 'refs/heads/prod', ok: false, reason: 'fetch first' },
    ],
    progress: '',
  });
});

t.test('inside side-band-64k, with hook output on band 2', async (t) => {
  const wrapped = Buffer.concat([encodeSideband(2, 'hook says hi\n'), encodeSideband(1, report), Buffer.from(FLUSH_PKT)]);
  const parsed = parseReceivePackReport(wrapped);
  t.equal(parsed.unpack, 'ok');
  t.equal(parsed.refs.length, 2);
  t.equal(parsed.progress, 'hook says hi\n');
});

t.test('a response cut mid-packet keeps what was readable', async (t) => {
  const cut = report.subarray(0, report.length - 12);
  t.same(parseReceivePackReport(cut).refs, [{ ref: 'refs/heads/main', ok: true }]);
  t.same(parseReceivePackReport(Buffer.alloc(0)), { unpack: null, refs: [], progress: '' });
  t.same(parseReceivePackReport(Buffer.from('zzzz garbage')), { unpack: null, refs: [], progress: '' });
});

t.test('an unpack error', async (t) => {
  t.equal(parseReceivePackReport(Buffer.concat([pktLine('unpack index-pack failed\n'), Buffer.from(FLUSH_PKT)])).unpack, 'index-pack failed');
});
