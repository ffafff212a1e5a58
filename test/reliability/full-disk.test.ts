// A full disk, for real: a small tmpfs mounted by the test, filled with a filler file to several levels,
// then labels written through the CLI bin and through the server's quick fix. Nothing that was on disk
// before may be lost, the label file must always parse, a write that did not happen in full is reported
// as not saved (naming the file and "disk full"), and a write that is acknowledged is on disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WriteFailedError } from '../../server/src/core/fsutil';
import { canonicalLabelText, LabelFile, serializeLabel } from '../../server/src/core/labels';
import type { LabelRecord } from '../../server/src/core/types';
import { until } from '../helpers/workspace';
import { LspClient, readLabels, Rng, runCli, sampleIdOf, writeDataset } from './harness';
import { freeBytes, leaveFreePages, mountTmpfs, PAGE, unmount } from './tmpfs';

const SEEDED = 300; // the label file of the report: 300 records
const ANNOTATOR = 'full-disk@example.com';
/** Sorts before every seeded id, so that after its append the file is not canonical and gets compacted. */
const TARGET = sampleIdOf(0);

interface Level {
  name: string;
  /** Free pages left by the filler. */
  pages: number;
  /** Free bytes at the end of the label file's last page (an append that fits there needs no new page). */
  slack: number;
  /** Whether the label can be written in full (the lock needs one page, the append the slack or one more). */
  fits: boolean;
  /** Whether the compaction (a temp copy of the whole file) fits too. */
  compacts: boolean;
}

const LEVELS: Level[] = [
  { name: '0 bytes free: not even the lock file can be created', pages: 0, slack: 100, fits: false, compacts: false },
  { name: '100 bytes of room: the append is cut short (a short write)', pages: 1, slack: 100, fits: false, compacts: false },
  { name: '1000 bytes of room: the append fits, the compaction does not', pages: 1, slack: 1000, fits: true, compacts: false },
  { name: '4000 bytes of room and one more page: the compaction still does not fit', pages: 2, slack: 4000, fits: true, compacts: false },
  { name: 'room for everything: the label is written and the file compacted', pages: 64, slack: 1000, fits: true, compacts: true },
];

/**
 * 300 canonical records for s00100.., padded (in the annotator names) so that the file's size leaves
 * exactly `slack` bytes free in its last page.
 */
function seededText(slack: number): string {
  const records = (pad: number[]): LabelRecord[] =>
    Array.from({ length: SEEDED }, (_, i): LabelRecord => ({
      id: sampleIdOf(100 + i), label: ['positive', 'negative', 'neutral'][i % 3]!, answer: 'accept', source: 'manual',
      annotator: `seed${'.'.repeat(pad[i] ?? 0)}@example.com`, time: '2026-11-01T10:00:00.000Z',
    }));
  const size = Buffer.byteLength(canonicalLabelText(records([])));
  let missing = (((PAGE - slack - size) % PAGE) + PAGE) % PAGE;
  const pad: number[] = [];
  for (let i = 0; i < SEEDED && missing > 0; i++) {
    pad[i] = Math.min(20, missing);
    missing -= pad[i]!;
  }
  const text = canonicalLabelText(records(pad));
  assert.equal(PAGE - (Buffer.byteLength(text) % PAGE), slack, 'the seeded file leaves the slack asked for');
  return text;
}

/** Every record of `before` is in `after`, unchanged. */
function assertNothingLost(before: string, after: string, where: string): void {
  const old = readText(before);
  const now = readText(after);
  assert.equal(now.problems, 0, `${where}: the label file parses (${now.problems} bad lines)`);
  for (const [key, record] of old.records) {
    const kept = now.records.get(key);
    assert.ok(kept && serializeLabel(kept) === serializeLabel(record), `${where}: record ${record.id} (${record.annotator}) is still on disk`);
  }
}

function readText(text: string): ReturnType<typeof readLabels> {
  const tmp = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'loopmark-read-')), 'x.labels.jsonl');
  fs.writeFileSync(tmp, text);
  try {
    return readLabels(tmp);
  } finally {
    fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
  }
}

function targetRecord(labelFile: string): LabelRecord | undefined {
  return [...readLabels(labelFile).records.values()].find((r) => r.id === TARGET && r.annotator === ANNOTATOR);
}

describe('reliability: a full disk', function () {
  this.timeout(60_000);
  let mount: string | undefined;
  let skipReason: string | undefined;
  const clients: LspClient[] = [];

  before(function () {
    const probe = mountTmpfs(PAGE * 4);
    if ('reason' in probe) {
      skipReason = probe.reason;
      console.log(`      skipped: the full-disk tests need a tmpfs they mount themselves, and ${probe.reason}`);
      this.skip();
    } else unmount(probe.dir);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    if (mount) unmount(mount);
    mount = undefined;
  });

  /** A workspace on a fresh 512 KB tmpfs with a dataset of 400 samples and a label file of 300 records. */
  function workspace(level: Level): { root: string; dataset: string; text: string; labelFile: string; before: string } {
    assert.equal(skipReason, undefined);
    const mounted = mountTmpfs(512 * 1024);
    if ('reason' in mounted) throw new Error(mounted.reason);
    mount = mounted.dir;
    const root = path.join(mount, 'ws');
    const { file, text } = writeDataset(root, 400, new Rng(10));
    const labelFile = path.join(root, 'data', 'big.labels.jsonl');
    const before = seededText(level.slack);
    fs.writeFileSync(labelFile, before);
    return { root, dataset: file, text, labelFile, before };
  }

  for (const level of LEVELS) {
    it(`CLI, ${level.name}`, async () => {
      const { root, dataset, labelFile, before } = workspace(level);
      const filler = leaveFreePages(mount!, level.pages);
      const result = await runCli(['label', dataset, TARGET, 'negative', '--annotator', ANNOTATOR, '--root', root]);
      const after = fs.readFileSync(labelFile, 'utf8');
      assertNothingLost(before, after, level.name);
      if (!level.fits) {
        assert.notEqual(result.code, 0, `a label that was not written exits non-zero (stdout: ${result.stdout})`);
        assert.match(result.stderr, /not saved/);
        assert.ok(result.stderr.includes(labelFile), `the message names the label file: ${result.stderr}`);
        assert.match(result.stderr, /disk full \(ENOSPC\)/);
        assert.equal(result.stdout, '', 'nothing is acknowledged');
        assert.equal(after, before, 'the label file is byte for byte as it was (a torn append is cut back)');
        assert.equal(targetRecord(labelFile), undefined);
      } else {
        assert.equal(result.code, 0, result.stderr);
        assert.equal(JSON.parse(result.stdout).id, TARGET, 'the record written is acknowledged');
        assert.equal(targetRecord(labelFile)?.label, 'negative', 'an acknowledged label is on disk');
        if (level.compacts) assert.ok(readLabels(labelFile).canonical, 'compacted');
        else {
          assert.match(result.stderr, /rewriting .* in canonical order failed: .*disk full/);
          assert.equal(after.slice(0, before.length), before, 'the failed compaction left the old file (and the append) in place');
        }
      }
      assert.deepEqual(fs.readdirSync(path.dirname(labelFile)).sort(), ['big.jsonl', 'big.labels.jsonl'], 'no lock or temp file left');
      // Free the space: the same command now succeeds, so nothing was left half-done.
      fs.rmSync(filler);
      if (!level.fits) {
        const again = await runCli(['label', dataset, TARGET, 'negative', '--annotator', ANNOTATOR, '--root', root]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(targetRecord(labelFile)?.label, 'negative');
        assertNothingLost(before, fs.readFileSync(labelFile, 'utf8'), `${level.name}, after freeing space`);
      }
      console.log(`      ${level.pages} free pages + ${level.slack} bytes of slack: exit ${result.code}, ${readLabels(labelFile).records.size} records`);
    });
  }

  for (const level of LEVELS) {
    it(`server quick fix, ${level.name}`, async () => {
      const { root, dataset, text, labelFile, before } = workspace(level);
      const client = await LspClient.start(root, { annotator: ANNOTATOR });
      clients.push(client);
      const uri = await client.open(dataset, text);
      const diagnostic = (await client.diagnostics(uri)).find((d) => (d.data as { sampleId?: string } | undefined)?.sampleId === TARGET);
      assert.ok(diagnostic, `a diagnostic on ${TARGET}`);
      const accept = (await client.codeActions(uri, diagnostic)).find((a) => a.title.startsWith('Accept'));
      assert.ok(accept, 'an Accept quick fix');
      const filler = leaveFreePages(mount!, level.pages);
      let error: Error | undefined;
      try {
        await client.run(accept);
      } catch (e) {
        error = e as Error;
      }
      assertNothingLost(before, fs.readFileSync(labelFile, 'utf8'), level.name);
      if (!level.fits) {
        assert.ok(error, 'the command answers an error');
        assert.match(error.message, /not saved/);
        assert.ok(error.message.includes(labelFile), error.message);
        assert.match(error.message, /disk full/);
        assert.equal(fs.readFileSync(labelFile, 'utf8'), before, 'the label file is as it was');
        const still = (await client.diagnostics(uri)).some((d) => (d.data as { sampleId?: string } | undefined)?.sampleId === TARGET);
        assert.ok(still, 'the server does not count the label that was not saved: the sample still asks for review');
        // With space again, the same quick fix is written.
        fs.rmSync(filler);
        await client.run(accept);
        assert.ok(targetRecord(labelFile), 'written once there is space');
      } else {
        assert.equal(error, undefined, `acknowledged: ${error?.message}`);
        assert.ok(targetRecord(labelFile), 'an acknowledged label is on disk');
        if (level.compacts) await until('the compaction', () => (readLabels(labelFile).canonical ? true : undefined));
        else {
          const logged = await until('the failed compaction to be logged', () =>
            client.notifications.find((n) => n.method === 'window/logMessage' && /could not rewrite/.test((n.params as { message: string }).message)));
          assert.match((logged.params as { message: string }).message, /disk full/);
          const after = fs.readFileSync(labelFile, 'utf8');
          assert.equal(after.slice(0, before.length), before, 'the old file (and the append) are in place');
          assert.equal(readLabels(labelFile).records.size, SEEDED + 1);
        }
      }
      assertNothingLost(before, fs.readFileSync(labelFile, 'utf8'), `${level.name}, at the end`);
    });
  }

  it('a compaction at low free space leaves the old file intact, byte for byte', () => {
    const level: Level = { name: 'compaction', pages: 1, slack: 500, fits: true, compacts: false };
    const { labelFile } = workspace(level);
    // Not canonical: the 300 records in reverse order, so the compaction must rewrite all of them.
    const lines = fs.readFileSync(labelFile, 'utf8').trimEnd().split('\n').reverse();
    const old = `${lines.join('\n')}\n`;
    fs.writeFileSync(labelFile, old);
    for (const pages of [0, 1, 2, 5]) {
      leaveFreePages(mount!, pages);
      const file = new LabelFile(labelFile, path.join(mount!, 'ws'));
      assert.throws(() => file.compact(), (e: unknown) => e instanceof WriteFailedError && e.code === 'ENOSPC' && e.message.includes(labelFile) && /disk full/.test(e.message), `${pages} free pages`);
      assert.equal(fs.readFileSync(labelFile, 'utf8'), old, `${pages} free pages: the old file is intact`);
      assert.deepEqual(fs.readdirSync(path.dirname(labelFile)).sort(), ['big.jsonl', 'big.labels.jsonl'], 'no temp file left');
    }
    fs.rmSync(path.join(mount!, 'filler'));
    assert.ok(freeBytes(mount!) > Buffer.byteLength(old));
    assert.equal(new LabelFile(labelFile).compact().written, true);
    assert.equal(readLabels(labelFile).records.size, SEEDED);
    assert.ok(readLabels(labelFile).canonical);
  });
});
