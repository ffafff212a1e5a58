// The spans kind over a real workspace: findings land on the exact characters of the JSONL line
// (emoji and escapes before the span), a reject hides its suggestion, overlap is refused.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project } from '../../server/src/core/workspace/project';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

describe('spans kind: JSONL records', () => {
  let root: string;
  let file: string;
  let line: string;
  const text = '😀 café\n"Acme" 北京 Bob';
  const open = (): Project => new Project({ root, annotator: 'ann@example.com' });

  before(() => {
    root = tempWorkspace();
    line = JSON.stringify({ id: 'r1', text, spans: [{ start: 17, end: 20, label: 'PER', score: 0.62 }] });
    writeFiles(root, {
      'loopmark.json': JSON.stringify({ tasks: [{ name: 'ner', kind: 'spans', files: ['data/*.jsonl'], labels: ['ORG', 'PER', 'LOC'], patterns: [{ label: 'ORG', terms: ['Acme'] }, { label: 'LOC', regex: '北京' }] }] }),
      'data/set.jsonl': line + '\n',
    });
    file = path.join(root, 'data', 'set.jsonl');
  });
  after(() => removeWorkspace(root));

  it('puts record and pattern suggestions on their exact characters of the line', () => {
    const own = open().findings(file).findings.filter((f) => f.code === 'span-suggestion');
    const shown = own.map((f) => [line.slice(f.start, f.end), f.message]).sort();
    assert.deepEqual(shown, [['Acme', 'Suggested ORG (1.00)'], ['Bob', 'Suggested PER (0.62)'], ['北京', 'Suggested LOC (1.00)']]);
    // Code points of the text: 😀 is one, so Acme starts at 8 (after "😀 café\n\"").
    assert.deepEqual(own.find((f) => f.message.startsWith('Suggested ORG'))!.data, { sampleId: 'r1', start: 8, end: 12, label: 'ORG', score: 1 });
  });

  it('writes an accepted span, hides a rejected suggestion, and refuses an overlapping span', () => {
    const project = open();
    project.applyLabels(file, [{ sampleId: 'r1', label: 'ORG', answer: 'accept', target: { kind: 'span', start: 8, end: 12 } }]);
    project.applyLabels(file, [{ sampleId: 'r1', label: 'PER', answer: 'reject', target: { kind: 'span', start: 17, end: 20 } }]);
    const stored = fs.readFileSync(path.join(root, 'data', 'set.labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(stored.map((r) => [r['label'], r['answer'], r['target']]), [['ORG', 'accept', { kind: 'span', start: 8, end: 12 }], ['PER', 'reject', { kind: 'span', start: 17, end: 20 }]]);
    const fresh = open();
    const findings = fresh.findings(file).findings.filter((f) => f.data);
    assert.deepEqual(findings.map((f) => [f.code, line.slice(f.start, f.end)]).sort(), [['span', 'Acme'], ['span-suggestion', '北京']]);
    assert.throws(() => fresh.applyLabels(file, [{ sampleId: 'r1', label: 'PER', answer: 'accept', target: { kind: 'span', start: 10, end: 15 } }]), /overlaps the ORG span 8-12/);
    assert.throws(() => fresh.applyLabels(file, [{ sampleId: 'r1', label: 'GPE', answer: 'accept', target: { kind: 'span', start: 14, end: 16 } }]), /not a label/);
  });
});
