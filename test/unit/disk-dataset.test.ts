// server/src/core/diskDataset.ts: the index of a file no editor holds, built in byte ranges (as the
// worker threads do) and kept as they came: ids in one string per range, found again exactly.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskDataset, ID_SEPARATOR, indexRangeSteps, splitPoints, type IndexPart } from '../../server/src/core/diskDataset';
import { parseLine } from '../../server/src/core/dataset';
import { runToEnd } from '../../server/src/core/slicer';
import { removeWorkspace, tempWorkspace } from '../helpers/workspace';

const FIELDS = { textField: 'text', idField: 'id' };

/** The index of a file in `count` byte ranges, as the workers build it. */
function inParts(file: string, count: number): DiskDataset {
  const points = splitPoints(file, count);
  const parts: IndexPart[] = [];
  for (let k = 0; k + 1 < points.length; k++) parts.push(runToEnd(indexRangeSteps(file, FIELDS, points[k]!, points[k + 1]!)));
  assert.equal(parts.length, count, 'the file is cut where asked');
  return DiskDataset.fromParts(file, FIELDS, parts);
}

describe('core/diskDataset: an index in byte ranges', () => {
  let root: string;
  let file: string;
  let lines: string[];

  beforeEach(() => {
    root = tempWorkspace();
    file = path.join(root, 'd.jsonl');
    // Ids that are parts of others, that contain the separator, repeated ids, numbers, ids from the
    // text; blank lines and lines that are not samples; non-ASCII text.
    const ids: unknown[] = ['a', 'a\u0000b', 'b', 'ab', 'a', 7, 70, 'b\u0000', '\u0000a', 'zé', undefined, 'a'];
    lines = [];
    for (let i = 0; i < 240; i++) {
      const id = ids[i % ids.length];
      if (i % 17 === 5) lines.push('');
      else if (i % 23 === 7) lines.push('{"id": "broken", "text": ');
      else if (i % 29 === 9) lines.push(JSON.stringify({ id: 'no-text' }));
      else lines.push(JSON.stringify({ ...(id === undefined ? {} : { id }), text: `sample ${i} ${'é'.repeat(i % 5)}` }));
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
  });

  afterEach(() => removeWorkspace(root));

  it('gives every line the kind, id and text that parsing it gives, cut in one range or several', () => {
    const expected = [...lines, ''];
    for (const count of [1, 2, 3, 5]) {
      const dataset = count === 1 ? DiskDataset.indexSync(file, FIELDS) : inParts(file, count);
      assert.equal(dataset.lineCount, expected.length, `${count} ranges: lines`);
      let samples = 0;
      for (let line = 0; line < expected.length; line++) {
        const parsed = parseLine(expected[line]!, FIELDS);
        assert.equal(dataset.lineKind(line), parsed.kind, `${count} ranges, line ${line}: kind`);
        assert.equal(dataset.idAt(line), parsed.kind === 'sample' ? parsed.sample.id : undefined, `${count} ranges, line ${line}: id`);
        assert.equal(dataset.lineText(line), expected[line], `${count} ranges, line ${line}: text`);
        if (parsed.kind === 'sample') samples++;
      }
      assert.equal(dataset.samples, samples);
      assert.equal(dataset.idAt(-1), undefined);
      assert.equal(dataset.idAt(expected.length), undefined);
      assert.equal(dataset.lineText(expected.length), '');
    }
  });

  it('finds the lines of an id exactly: not inside another id, not across the separator', () => {
    const expected = [...lines, ''];
    const linesOf = (id: string): number[] =>
      expected.flatMap((text, line) => {
        const parsed = parseLine(text, FIELDS);
        return parsed.kind === 'sample' && parsed.sample.id === id ? [line] : [];
      });
    for (const count of [1, 3]) {
      const dataset = count === 1 ? DiskDataset.indexSync(file, FIELDS) : inParts(file, count);
      for (const id of ['a', 'b', 'ab', 'a\u0000b', 'b\u0000', '\u0000a', '7', '70', 'zé', ID_SEPARATOR, '', 'missing', '0']) {
        const want = linesOf(id);
        assert.deepEqual(dataset.linesOf(id), want, `${count} ranges: lines of ${JSON.stringify(id)}`);
        assert.equal(dataset.firstLineOf(id), want[0], `${count} ranges: first line of ${JSON.stringify(id)}`);
      }
    }
  });

  it('keeps the ids in one string per range, not one string per sample', () => {
    const points = splitPoints(file, 2);
    const part = runToEnd(indexRangeSteps(file, FIELDS, points[0]!, points[1]!));
    assert.equal(typeof part.text, 'string');
    assert.ok(part.ends instanceof Int32Array && part.ends.length === part.kinds.length);
    assert.ok(part.text.startsWith(ID_SEPARATOR) && part.text.endsWith(ID_SEPARATOR));
  });
});
