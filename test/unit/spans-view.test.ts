// Spans in the visible range (server/src/core/kinds/spans/view.ts), with nested and overlapping spans.

import * as assert from 'node:assert/strict';
import { LineIndex } from '../../server/src/core/kinds/spans/offsets';
import { SpanView } from '../../server/src/core/kinds/spans/view';
import { mulberry32 } from '../../server/src/core/model/prng';

describe('spans: the spans in view', () => {
  it('finds the same spans as a full scan, for random nested and overlapping spans', () => {
    const rand = mulberry32(3);
    const spans = Array.from({ length: 2000 }, (_, id) => {
      const start = Math.floor(rand() * 10_000);
      const len = rand() < 0.05 ? Math.floor(rand() * 5000) : Math.floor(rand() * 20);
      return { id, start, end: start + len };
    });
    const view = new SpanView(spans);
    for (let q = 0; q < 200; q++) {
      const from = Math.floor(rand() * 10_000);
      const to = from + Math.floor(rand() * 500);
      const expected = spans.filter((s) => s.end > from && s.start < to || (s.start === s.end && s.start >= from && s.start < to)).map((s) => s.id).sort((a, b) => a - b);
      assert.deepEqual(view.inRange(from, to).map((s) => s.id).sort((a, b) => a - b), expected, `[${from}, ${to})`);
    }
  });

  it('does not miss a long span that starts before the view and covers it', () => {
    const view = new SpanView([{ start: 0, end: 1000 }, { start: 10, end: 12 }, { start: 600, end: 601 }]);
    assert.deepEqual(view.inRange(500, 700), [{ start: 0, end: 1000 }, { start: 600, end: 601 }]);
  });

  it('gives (line, character) ranges for the lines in view, CRLF counted', () => {
    const doc = 'a = 1\r\nkey = "AKIA"\r\nb = 2\r\n';
    const start = doc.indexOf('AKIA');
    const view = new SpanView([{ start, end: start + 4 }, { start: 0, end: 1 }]);
    const got = view.inLines(new LineIndex(doc), 1, 1);
    assert.deepEqual(got.map((h) => [h.start, h.end]), [[{ line: 1, character: 7 }, { line: 1, character: 11 }]]);
  });
});
