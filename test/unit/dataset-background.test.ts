// server/src/core/dataset.ts: the background pass over an open document keeps each sample's id, not
// its parse, and knows without a scan whether every line is known.
import * as assert from 'node:assert/strict';
import { Dataset, parseLine } from '../../server/src/core/dataset';
import { runToEnd } from '../../server/src/core/slicer';

const FIELDS = { textField: 'text', idField: 'id' };

describe('core/dataset: the background pass', () => {
  const texts = [
    '{"id": "a", "text": "one"}',
    '',
    '{"id": "b", "text": "two", "prediction": {"label": 5}}',
    '{"id": "a", "text": "again"}',
    '{"text": "no id"}',
    '{"id": "c", "text": ',
    '[1, 2]',
    '{"id": 9, "text": "number id"}',
  ];

  it('answers ids, kinds and duplicates as a full parse does, and parses a sample when it is asked for', () => {
    const dataset = new Dataset(texts.join('\n'), FIELDS);
    assert.equal(dataset.isParsed(), false);
    runToEnd(dataset.parseSteps(2));
    assert.equal(dataset.isParsed(), true);
    assert.equal(dataset.idsReady(), true);
    texts.forEach((text, line) => {
      const parsed = parseLine(text, FIELDS);
      assert.equal(dataset.lineKind(line), parsed.kind, `line ${line}: kind`);
      assert.equal(dataset.idAt(line), parsed.kind === 'sample' ? parsed.sample.id : undefined, `line ${line}: id`);
    });
    assert.deepEqual(dataset.duplicatesOf('a'), [0, 3]);
    assert.equal(dataset.firstLineOf('9'), 7);
    assert.deepEqual(dataset.linesOf('b'), [2]);
    // The sample (with its warning) comes from a full parse, on demand.
    assert.deepEqual(dataset.parsedLine(2), parseLine(texts[2]!, FIELDS));
    assert.equal(dataset.sampleAt(4)!.text, 'no id');
    assert.deepEqual(dataset.parsedLine(5), parseLine(texts[5]!, FIELDS), 'an error keeps its message');
    assert.equal(dataset.isParsed(), true);
  });

  it('counts what edits leave unknown: only the lines they touched', () => {
    const dataset = new Dataset(texts.join('\n'), FIELDS);
    runToEnd(dataset.parseSteps());
    dataset.applyEdit({ startLine: 3, startCharacter: 0, endLine: 4, endCharacter: 0, text: '{"id": "d", "text": "new"}\n{"id": "e", "text": "newer"}\n' });
    assert.equal(dataset.isParsed(), false, 'the inserted lines are not known yet');
    assert.equal(dataset.idAt(3), 'd');
    assert.equal(dataset.idAt(4), 'e');
    assert.equal(dataset.isParsed(), false, 'the rest of the edited line 4 is a new line 5');
    assert.equal(dataset.lineKind(5), 'sample');
    assert.equal(dataset.isParsed(), true, 'asking for them made them known');
    runToEnd(dataset.parseSteps());
    assert.equal(dataset.lineCount, texts.length + 1);
    assert.equal(dataset.duplicatesOf('a'), undefined, 'the second "a" was replaced');
    assert.equal(dataset.firstLineOf('e'), 4);
    dataset.replaceAll('{"id": "z", "text": "only"}');
    assert.equal(dataset.isParsed(), false);
    runToEnd(dataset.parseSteps());
    assert.equal(dataset.isParsed(), true);
    assert.equal(dataset.firstLineOf('z'), 0);
  });

  it('finds every id of a large document after the pass (an index in many small maps)', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: i % 5000 === 0 ? 'dup' : `s${i}`, text: `t${i}` }));
    const dataset = new Dataset(lines.join('\n'), FIELDS);
    runToEnd(dataset.parseSteps());
    for (let i = 1; i < 20_000; i += 997) if (i % 5000 !== 0) assert.equal(dataset.firstLineOf(`s${i}`), i);
    assert.deepEqual(dataset.duplicatesOf('dup'), [0, 5000, 10_000, 15_000]);
    assert.equal(dataset.firstLineOf('s0'), undefined);
  });
});
