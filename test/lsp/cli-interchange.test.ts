// `loopmark import` and `loopmark export` through the package bin, on temporary copies of the real
// peer files: what is imported lands as a dataset and a label file, exporting it gives the peer's
// file back, bad records are named by line, nothing is written outside the workspace or over a
// decision already in the label file.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, LspClient } from './client';
import { FIXTURES, removeWorkspace, tempWorkspace } from '../helpers/workspace';
import { parseLabels } from '../../server/src/core/labels';

function loopmark(root: string, ...args: string[]) {
  const out = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOOPMARK_ANNOTATOR: 'ci@example.com' } });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

const jsonl = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
const labelsOf = (file: string) => {
  const parsed = parseLabels(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(parsed.problems, []);
  assert.ok(parsed.canonical, 'the label file is in canonical order');
  return [...parsed.records.values()];
};

describe('loopmark import / export (peer formats), through the bin', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = tempWorkspace();
    fs.cpSync(path.join(FIXTURES, 'peers'), path.join(root, 'peers'), { recursive: true });
    fs.cpSync(path.join(FIXTURES, 'ner'), path.join(root, 'ner'), { recursive: true });
  });
  afterEach(() => removeWorkspace(root));

  it('Prodigy NER: auto-detected; accepted spans become span labels; export gives the file back', () => {
    const source = 'peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl';
    const imported = loopmark(root, 'import', source, '--out', 'data/news.jsonl', '--json');
    assert.equal(imported.status, 0, imported.stderr);
    const summary = JSON.parse(imported.stdout) as { format: string; samples: number; labelFile: string };
    assert.equal(summary.format, 'prodigy');
    assert.equal(summary.samples, 373);
    assert.equal(summary.labelFile, 'data/news.labels.jsonl');
    const records = jsonl(fs.readFileSync(path.join(root, 'data/news.jsonl'), 'utf8'));
    assert.equal(records.length, 373);
    assert.ok(records.every((r) => typeof r['id'] === 'string' && typeof r['text'] === 'string'));
    const uber = labelsOf(path.join(root, 'data/news.labels.jsonl')).filter((r) => r.id === '1886699658');
    assert.deepEqual(uber.map((r) => [r.target, r.label, r.answer]), [
      [{ kind: 'span', start: 0, end: 4 }, 'ORG', 'accept'],
      [{ kind: 'span', start: 15, end: 29 }, 'LOCATION', 'accept'],
    ]);
    const exported = loopmark(root, 'export', '--format', 'prodigy', 'data/news.jsonl');
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(jsonl(exported.stdout), jsonl(fs.readFileSync(path.join(root, source), 'utf8')));
  });

  it('doccano: the record without "text" is named with its line, the rest imports', () => {
    const out = loopmark(root, 'import', '--from', 'doccano', 'peers/doccano/import-sequence_labeling-example.jsonl', '--out', 'seq.jsonl');
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stderr, /import-sequence_labeling-example\.jsonl:3: the record has no "text"/);
    assert.equal(jsonl(fs.readFileSync(path.join(root, 'seq.jsonl'), 'utf8')).length, 2);
  });

  it('CoNLL: WNUT 2015 imports as spans and exports identical in tokens and tags (--out)', () => {
    const source = 'ner/wnut2015/wnut_2015_test.conll';
    assert.equal(loopmark(root, 'import', source, '--from', 'conll', '--out', 'data/wnut.jsonl').status, 0);
    const spans = labelsOf(path.join(root, 'data/wnut.labels.jsonl')).filter((r) => r.target?.kind === 'span');
    assert.equal(spans.length, 661);
    const exported = loopmark(root, 'export', '--format', 'conll', 'data/wnut.jsonl', '--out', 'data/wnut.conll');
    assert.equal(exported.status, 0, exported.stderr);
    const rows = (t: string) => t.split(/\r?\n/).map((l) => l.split('\t'));
    assert.deepEqual(rows(fs.readFileSync(path.join(root, 'data/wnut.conll'), 'utf8')), rows(fs.readFileSync(path.join(root, source), 'utf8')));
    assert.notEqual(loopmark(root, 'export', '--format', 'conll', 'data/wnut.jsonl', '--out', 'data/wnut.conll').status, 0, 'an existing --out is not replaced without --force');
  });

  it('Label Studio: predictions land in the record as the server reads them; export has Label Studio\'s shape back', () => {
    const source = 'peers/label-studio/text_with_2_predictions.json';
    assert.equal(loopmark(root, 'import', source, '--out', 'ls.jsonl').status, 0);
    const [record] = jsonl(fs.readFileSync(path.join(root, 'ls.jsonl'), 'utf8'));
    assert.deepEqual(record!['prediction'], { label: 'class_A', model_version: 'model_version_A' });
    const exported = loopmark(root, 'export', '--format', 'label-studio', 'ls.jsonl');
    assert.deepEqual(JSON.parse(exported.stdout), JSON.parse(fs.readFileSync(path.join(root, source), 'utf8')));
  });

  it('Label Studio: the imported export opens in the language server with its predictions as diagnostics', async () => {
    const source = 'peers/label-studio/text_with_2_predictions.json';
    assert.equal(loopmark(root, 'import', source, '--out', 'data/ls.jsonl').status, 0);
    fs.writeFileSync(path.join(root, 'loopmark.json'), JSON.stringify({ tasks: [{ name: 'text_class', files: ['data/*.jsonl'], labels: ['class_A', 'class_B'], threshold: 0.8 }] }));
    const client = await LspClient.start(root);
    try {
      const file = path.join(root, 'data', 'ls.jsonl');
      const uri = await client.open(file, fs.readFileSync(file, 'utf8'));
      const diagnostics = await client.diagnostics(uri);
      assert.equal(diagnostics.length, 1);
      const d = diagnostics[0]!;
      // Unscored in Label Studio: the prediction is taken as sure, so it is a suggestion to accept.
      assert.equal(d.code, 'suggestion');
      assert.match(d.message, /'class_A' \(1\.00\)/);
      const [accept] = await client.codeActions(uri, d);
      assert.equal(accept!.title, "Accept 'class_A'");
    } finally {
      await client.stop();
    }
  });

  it('brat: a folder imports (label set from annotation.conf) and exports to a folder, every file identical', () => {
    const imported = loopmark(root, 'import', 'peers/brat', '--out', 'data/epi.jsonl', '--json');
    assert.equal(imported.status, 0, imported.stderr);
    const summary = JSON.parse(imported.stdout) as { format: string; labelSet: string[]; unsupported: { what: string; count: number }[] };
    assert.equal(summary.format, 'brat');
    assert.ok(summary.labelSet.includes('Protein'));
    assert.ok(summary.unsupported.some((u) => /E lines/.test(u.what) && u.count === 20), 'E lines are reported');
    assert.notEqual(loopmark(root, 'export', '--format', 'brat', 'data/epi.jsonl').status, 0, 'a folder format needs --out');
    const exported = loopmark(root, 'export', '--format', 'brat', 'data/epi.jsonl', '--out', 'brat-out');
    assert.equal(exported.status, 0, exported.stderr);
    for (const name of fs.readdirSync(path.join(root, 'peers/brat')).filter((f) => f !== 'LICENSE')) {
      assert.equal(fs.readFileSync(path.join(root, 'brat-out', name), 'utf8'), fs.readFileSync(path.join(root, 'peers/brat', name), 'utf8'), name);
    }
  });

  it('--as predictions: spans go into the records, no label file', () => {
    const out = loopmark(root, 'import', 'peers/doccano/export-sequence_labeling-example.jsonl', '--as', 'predictions', '--out', 'pred.jsonl');
    assert.equal(out.status, 0, out.stderr);
    const [first] = jsonl(fs.readFileSync(path.join(root, 'pred.jsonl'), 'utf8'));
    assert.deepEqual(first!['spans'], [{ start: 0, end: 2, label: 'ORG' }, { start: 11, end: 17, label: 'MISC' }]);
    assert.equal(fs.existsSync(path.join(root, 'pred.labels.jsonl')), false);
  });

  it('refuses to write outside the workspace', () => {
    const out = loopmark(root, 'import', 'peers/doccano/export-text_classification-example.jsonl', '--out', '../escape.jsonl');
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /leaves the workspace/);
    assert.equal(fs.existsSync(path.join(root, '..', 'escape.jsonl')), false);
    assert.equal(loopmark(root, 'import', 'peers/doccano/export-text_classification-example.jsonl', '--out', 'in.jsonl').status, 0);
    const outside = path.join(path.dirname(root), `${path.basename(root)}-escape.jsonl`);
    const abs = loopmark(root, 'export', '--format', 'doccano', 'in.jsonl', '--out', outside);
    assert.notEqual(abs.status, 0);
    assert.match(abs.stderr, /leaves the workspace/);
    assert.equal(fs.existsSync(outside), false);
  });

  it('never overwrites a decision silently: a differing one is a reported conflict, other annotators are kept beside', () => {
    const source = 'peers/doccano/export-text_classification-example.jsonl';
    assert.equal(loopmark(root, 'import', source, '--annotator', 'alice', '--out', 'cls.jsonl').status, 0);
    const labelFile = path.join(root, 'cls.labels.jsonl');
    const before = fs.readFileSync(labelFile, 'utf8');
    const again = loopmark(root, 'import', source, '--annotator', 'alice', '--out', 'cls.jsonl', '--json');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual([JSON.parse(again.stdout).added, JSON.parse(again.stdout).labels, JSON.parse(again.stdout).conflicts], [0, 0, 0]);
    const changed = fs.readFileSync(path.join(root, source), 'utf8').replace('["negative"]', '["positive"]');
    fs.writeFileSync(path.join(root, 'changed.jsonl'), changed);
    const conflict = loopmark(root, 'import', 'changed.jsonl', '--from', 'doccano', '--annotator', 'alice', '--out', 'cls.jsonl');
    assert.equal(conflict.status, 0, conflict.stderr);
    assert.match(conflict.stderr, /conflict: .* by alice: the label file has \["negative"\] \(accept\), the import \["positive"\]/);
    assert.equal(fs.readFileSync(labelFile, 'utf8'), before, 'the label file is unchanged');
    assert.equal(loopmark(root, 'import', 'changed.jsonl', '--from', 'doccano', '--annotator', 'bob', '--out', 'cls.jsonl').status, 0);
    const byAnnotator = labelsOf(labelFile).map((r) => `${r.annotator}:${r.labels?.join('+')}`).sort();
    assert.deepEqual(byAnnotator, ['alice:negative', 'alice:positive', 'alice:positive', 'bob:positive', 'bob:positive', 'bob:positive']);
  });

  it('a sample id that names another text in the dataset refuses the import and writes nothing', () => {
    assert.equal(loopmark(root, 'import', 'ner/wnut2015/wnut_2015_test.conll', '--out', 'ner.jsonl').status, 0);
    const dataset = fs.readFileSync(path.join(root, 'ner.jsonl'), 'utf8');
    const labels = fs.readFileSync(path.join(root, 'ner.labels.jsonl'), 'utf8');
    const out = loopmark(root, 'import', 'peers/doccano/import-sequence_labeling-example.conll', '--from', 'conll', '--out', 'ner.jsonl');
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /already has sample\(s\) 1, 2 with another text: nothing was written/);
    assert.equal(fs.readFileSync(path.join(root, 'ner.jsonl'), 'utf8'), dataset);
    assert.equal(fs.readFileSync(path.join(root, 'ner.labels.jsonl'), 'utf8'), labels);
  });
});
