// The project's reaction to a loopmark.json change: datasets no editor holds are read again with the
// new fields; an editor's text is kept.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LARGE_FILE_BYTES, Project } from '../../server/src/core/workspace/project';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

const config = (textField: string): string => JSON.stringify({ tasks: [{ name: 't', files: ['*.jsonl'], labels: ['a'], textField }] });

describe('core/project: a changed loopmark.json', () => {
  let root: string;
  beforeEach(() => (root = tempWorkspace()));
  afterEach(() => removeWorkspace(root));

  it('reads unopened datasets again with the new text field, a small one and one indexed from disk', () => {
    const record = (i: number): string => JSON.stringify({ id: `s${i}`, text: `text ${i}`, body: i % 2 ? `body ${i}` : 7, pad: 'x'.repeat(440) });
    writeFiles(root, { 'loopmark.json': config('text'), 'small.jsonl': `${record(1)}\n${record(2)}\n` });
    const big = path.join(root, 'big.jsonl');
    const lines = 2 * Math.ceil(LARGE_FILE_BYTES / 960) + 100;
    fs.writeFileSync(big, Array.from({ length: lines }, (_, i) => record(i)).join('\n') + '\n');
    assert.ok(fs.statSync(big).size >= LARGE_FILE_BYTES, 'indexed from disk');
    const project = new Project({ root, annotator: 'a' });
    assert.equal(project.status(big)!.total, lines);
    assert.equal(project.status(path.join(root, 'small.jsonl'))!.total, 2);
    // "body" is a string on odd lines only: half the samples are left.
    project.reloadConfig(config('body'));
    assert.equal(project.status(big)!.total, lines / 2);
    assert.equal(project.status(big)!.errors, lines / 2);
    assert.equal(project.status(path.join(root, 'small.jsonl'))!.total, 1);
    assert.equal(project.entry(path.join(root, 'small.jsonl'))!.dataset.sampleAt(0)!.text, 'body 1');
  });

  it('keeps an open document, unsaved text and all, through a config broken for a moment', () => {
    writeFiles(root, { 'loopmark.json': config('text'), 'd.jsonl': '{"id": "a", "text": "on disk"}\n' });
    const project = new Project({ root, annotator: 'a' });
    const file = path.join(root, 'd.jsonl');
    project.open(file, '{"id": "a", "text": "in the editor"}\n');
    project.reloadConfig('{');
    assert.equal(project.entry(file), undefined, 'no task while the config is broken');
    project.reloadConfig(config('text'));
    assert.equal(project.entry(file)!.dataset.sampleAt(0)!.text, 'in the editor');
    assert.equal(project.entry(file)!.open, true);
  });
});
