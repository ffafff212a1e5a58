// server/src/core/labels.ts: label records, their canonical text, parsing with problems, and the label
// file on real disk (append, compaction).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  canonicalLabelText,
  LabelFile,
  LabelIndex,
  labelKey,
  parseLabels,
  serializeLabel,
  toLabelRecord,
} from '../../server/src/core/labels';
import type { LabelRecord } from '../../server/src/core/types';

function rec(id: string, extra: Partial<LabelRecord> = {}): LabelRecord {
  return { id, label: 'positive', answer: 'accept', annotator: 'ann@x', time: '2026-01-01T00:00:00.000Z', source: 'manual', ...extra };
}

function tempDir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-labels-')));
}

describe('core/labels: records', () => {
  it('serializeLabel writes a fixed key order whatever the input order', () => {
    const shuffled = { time: 't', annotator: 'a', score: 0.5, source: 'prediction', answer: 'accept', label: 'l', id: 'i' } as LabelRecord;
    assert.equal(serializeLabel(shuffled), '{"id":"i","label":"l","answer":"accept","source":"prediction","score":0.5,"annotator":"a","time":"t"}');
    const span = rec('s', { target: { end: 9, kind: 'span', start: 2 } as never });
    assert.deepEqual(Object.keys(JSON.parse(serializeLabel(span))), ['id', 'target', 'label', 'answer', 'source', 'annotator', 'time']);
    assert.match(serializeLabel(span), /"target":\{"kind":"span","start":2,"end":9\}/);
    assert.match(serializeLabel(rec('t', { target: { kind: 'turn', index: 3 } })), /"target":\{"kind":"turn","index":3\}/);
  });

  it('serializeLabel drops unknown properties', () => {
    const extra = { ...rec('x'), secret: 1 } as LabelRecord;
    assert.ok(!serializeLabel(extra).includes('secret'));
  });

  it('labelKey: same sample, target and annotator are the same decision', () => {
    assert.equal(labelKey(rec('a')), labelKey(rec('a', { label: 'other', time: 'later' })));
    assert.notEqual(labelKey(rec('a')), labelKey(rec('a', { annotator: 'someone else' })));
    assert.notEqual(labelKey(rec('a')), labelKey(rec('a', { target: { kind: 'turn', index: 0 } })));
  });

  it('toLabelRecord validates every field and defaults the source', () => {
    assert.deepEqual(toLabelRecord({ id: 'a', label: 'l', answer: 'reject', annotator: 'x', time: 't' }), {
      id: 'a', label: 'l', answer: 'reject', annotator: 'x', time: 't', source: 'manual',
    });
    const bad: Array<[unknown, RegExp]> = [
      [[], /Expected a JSON object/],
      [null, /Expected a JSON object/],
      [{ id: '', label: 'l' }, /"id" must be a non-empty string/],
      [{ id: 3, label: 'l' }, /"id"/],
      [{ id: 'a', label: 1 }, /"label" must be a string/],
      [{ id: 'a', label: 'l', answer: 'maybe' }, /"answer" must be one of accept, reject, ignore/],
      [{ id: 'a', label: 'l', answer: 'accept', annotator: null }, /"annotator"/],
      [{ id: 'a', label: 'l', answer: 'accept', annotator: 'x', time: 5 }, /"time"/],
      [{ id: 'a', label: 'l', answer: 'accept', annotator: 'x', time: 't', source: 'guess' }, /"source" must be one of/],
      [{ id: 'a', label: 'l', answer: 'accept', annotator: 'x', time: 't', target: { kind: 'span', start: 'x' } }, /"target"/],
      [{ id: 'a', label: 'l', answer: 'accept', annotator: 'x', time: 't', target: [] }, /"target"/],
    ];
    for (const [value, message] of bad) assert.match(toLabelRecord(value) as string, message, JSON.stringify(value));
  });

  it('toLabelRecord keeps a finite score only', () => {
    const base = { id: 'a', label: 'l', answer: 'accept', annotator: 'x', time: 't' };
    assert.equal((toLabelRecord({ ...base, score: 0.25 }) as LabelRecord).score, 0.25);
    assert.equal((toLabelRecord({ ...base, score: '0.25' }) as LabelRecord).score, undefined);
  });
});

describe('core/labels: canonical text', () => {
  it('sorts by id, then target, then annotator; LF; one final newline', () => {
    const text = canonicalLabelText([
      rec('b'),
      rec('a', { annotator: 'z' }),
      rec('a', { annotator: 'm' }),
      rec('a', { annotator: 'm', target: { kind: 'turn', index: 1 } }),
      rec('A'),
    ]);
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'ends with exactly one newline');
    assert.ok(!text.includes('\r'));
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)).map((r) => `${r.id}/${r.target ? 't' : '-'}/${r.annotator}`),
      ['A/-/ann@x', 'a/-/m', 'a/-/z', 'a/t/m', 'b/-/ann@x'],
    );
  });

  it('is empty for no records and independent of input order', () => {
    assert.equal(canonicalLabelText([]), '');
    const records = [rec('c'), rec('a'), rec('b')];
    assert.equal(canonicalLabelText(records), canonicalLabelText([...records].reverse()));
  });
});

describe('core/labels: parseLabels', () => {
  const good1 = serializeLabel(rec('r1'));
  const good2 = serializeLabel(rec('r2', { label: 'negative' }));

  it('loads a canonical file and knows it is canonical', () => {
    const parsed = parseLabels(`${good1}\n${good2}\n`);
    assert.equal(parsed.records.size, 2);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.canonical, true);
    assert.equal(parseLabels('').canonical, true);
  });

  it('not canonical: out of order, CRLF, no final newline, duplicates, blank lines', () => {
    for (const text of [`${good2}\n${good1}\n`, `${good1}\r\n${good2}\r\n`, `${good1}\n${good2}`, `${good1}\n${good1}\n${good2}\n`, `${good1}\n\n${good2}\n`]) {
      const parsed = parseLabels(text);
      assert.equal(parsed.canonical, false, JSON.stringify(text));
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.records.size, 2);
    }
  });

  it('the later of two records with the same key wins', () => {
    const parsed = parseLabels(`${good1}\n${serializeLabel(rec('r1', { label: 'changed' }))}\n`);
    assert.equal(parsed.records.size, 1);
    assert.equal([...parsed.records.values()][0]!.label, 'changed');
  });

  it('keeps good lines and reports bad ones by 0-based line: merge markers, bad JSON, bad records, truncated last line', () => {
    const text = [
      good1,
      '<<<<<<< HEAD',
      good2,
      '=======',
      '{"id": "r2", "label": "positive"}',
      '>>>>>>> theirs',
      '||||||| base',
      '[1]',
      '{"id":"r3","label":"neg',
    ].join('\n');
    const parsed = parseLabels(text);
    assert.deepEqual([...parsed.records.values()].map((r) => r.id), ['r1', 'r2']);
    assert.deepEqual(parsed.problems.map((p) => p.line), [1, 3, 4, 5, 6, 7, 8]);
    for (const i of [0, 1, 3, 4]) assert.match(parsed.problems[i]!.message, /Unresolved git merge conflict marker/);
    assert.match(parsed.problems[2]!.message, /^Not a label record: "answer" must be one of/);
    assert.match(parsed.problems[5]!.message, /^Not a label record: Expected a JSON object/);
    assert.match(parsed.problems[6]!.message, /^Not valid JSON: Unterminated string/);
    assert.equal(parsed.problems[6]!.start, 23);
    assert.equal(parsed.canonical, false);
  });

  it('reads a label file with a BOM or CR line endings, counting lines as LSP does', () => {
    const bom = parseLabels(`\uFEFF${good1}\n${good2}\n`);
    assert.deepEqual(bom.problems, []);
    assert.equal(bom.records.size, 2);
    assert.equal(bom.canonical, false, 'a BOM is not canonical: compaction drops it');
    const cr = parseLabels(`${good1}\r${good2}\rbad\r`);
    assert.equal(cr.records.size, 2);
    assert.deepEqual(cr.problems.map((p) => p.line), [2]);
  });
});

describe('core/labels: LabelFile on disk', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'sub', 'data.labels.jsonl');
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function leftovers(): string[] {
    return fs.readdirSync(path.dirname(file)).filter((f) => f !== path.basename(file));
  }

  it('reading a missing file gives no records and no problems', () => {
    const parsed = new LabelFile(file).read();
    assert.equal(parsed.records.size, 0);
    assert.deepEqual(parsed.problems, []);
  });

  it('append creates the folder and the file, and adds lines, each ending in a newline', () => {
    const labels = new LabelFile(file);
    labels.append([rec('b')]);
    labels.append([rec('a'), rec('c')]);
    labels.append([]);
    assert.equal(fs.readFileSync(file, 'utf8'), `${serializeLabel(rec('b'))}\n${serializeLabel(rec('a'))}\n${serializeLabel(rec('c'))}\n`);
    assert.deepEqual(leftovers(), [], 'no lock file left');
  });

  it('append adds a newline first when the file does not end with one', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"id":"r9","label":"trunc');
    new LabelFile(file).append([rec('a')]);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(lines, ['{"id":"r9","label":"trunc', serializeLabel(rec('a')), '']);
    const parsed = new LabelFile(file).read();
    assert.deepEqual([...parsed.records.keys()].length, 1);
    assert.deepEqual(parsed.problems.map((p) => p.line), [0]);
  });

  it('append refuses a record it could not read back, and writes nothing', () => {
    const labels = new LabelFile(file);
    labels.append([rec('ok')]);
    const before = fs.readFileSync(file, 'utf8');
    for (const bad of [rec('x', { label: 42 as never }), rec('x', { answer: 'maybe' as never }), rec('')]) {
      assert.throws(() => labels.append([rec('fine'), bad]), /label record/);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.deepEqual(leftovers(), []);
  });

  it('compact rewrites a non-canonical file in canonical order, atomically, leaving no temp file', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${serializeLabel(rec('b'))}\r\n${serializeLabel(rec('a'))}\r\n${serializeLabel(rec('b', { label: 'negative' }))}`);
    const { written, parsed } = new LabelFile(file).compact();
    assert.equal(written, true);
    assert.equal(parsed.records.size, 2);
    assert.equal(fs.readFileSync(file, 'utf8'), canonicalLabelText([rec('a'), rec('b', { label: 'negative' })]));
    assert.deepEqual(leftovers(), []);
  });

  it('compact of an unchanged canonical file writes nothing: same inode, same mtime', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const canonical = canonicalLabelText([rec('a'), rec('b')]);
    fs.writeFileSync(file, canonical);
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(file, past, past);
    const before = fs.statSync(file);
    const { written } = new LabelFile(file).compact();
    const after = fs.statSync(file);
    assert.equal(written, false);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(fs.readFileSync(file, 'utf8'), canonical);
    assert.deepEqual(leftovers(), []);
  });

  it('compact never rewrites a file that has a bad line', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    for (const bad of ['<<<<<<< HEAD', '{"id":"r9","label":"trunc', '{"id": "z"}']) {
      const content = `${serializeLabel(rec('b'))}\n${bad}\n${serializeLabel(rec('a'))}\n`;
      fs.writeFileSync(file, content);
      const before = fs.statSync(file);
      const { written, parsed } = new LabelFile(file).compact();
      assert.equal(written, false);
      assert.equal(parsed.problems.length, 1);
      assert.equal(parsed.records.size, 2, 'the good lines still load');
      assert.equal(fs.readFileSync(file, 'utf8'), content);
      assert.equal(fs.statSync(file).ino, before.ino);
    }
  });

  it('compact of a missing or empty file writes nothing', () => {
    assert.equal(new LabelFile(file).compact().written, false);
    assert.equal(fs.existsSync(file), false, 'no empty file is created');
  });
});

describe('core/labels: LabelIndex', () => {
  it('current: the given annotator\'s own decision, else the latest by anyone; targets do not count', () => {
    const index = new LabelIndex([
      rec('s', { annotator: 'a', label: 'x', time: '2026-01-01T00:00:00Z' }),
      rec('s', { annotator: 'b', label: 'y', time: '2026-01-03T00:00:00Z' }),
      rec('s', { annotator: 'c', label: 'z', time: '2026-01-02T00:00:00Z' }),
      rec('t', { annotator: 'a', target: { kind: 'span', start: 0, end: 1 } }),
    ]);
    assert.equal(index.size, 4);
    assert.equal(index.current('s', 'a')?.label, 'x');
    assert.equal(index.current('s', 'nobody')?.label, 'y');
    assert.equal(index.current('s')?.label, 'y');
    assert.equal(index.current('t', 'a'), undefined);
    assert.equal(index.current('missing'), undefined);
    assert.equal(index.of('s').length, 3);
  });

  it('put replaces the same decision and counts distinct ones', () => {
    const index = new LabelIndex();
    index.put(rec('s', { label: 'x' }));
    index.put(rec('s', { label: 'y' }));
    assert.equal(index.size, 1);
    assert.equal(index.current('s')?.label, 'y');
    index.put(rec('__proto__'));
    index.put(rec('constructor'));
    assert.equal(index.of('__proto__').length, 1);
    assert.equal(index.of('toString').length, 0);
    assert.equal(index.size, 3);
  });
});
