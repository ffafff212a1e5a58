// A label file that does not parse (hand-edited garbage, merge markers left by git, a truncated last line,
// bytes that are not UTF-8) is never rewritten or dropped: after server writes, the CLI's write, the idle
// compaction and the shutdown compaction, its original bytes are still its first bytes, and the records
// that do parse count (the samples show as labeled).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-protocol';
import { parseLabels } from '../../server/src/core/labels';
import { removeWorkspace, tempWorkspace } from '../helpers/workspace';
import { applyLabel, LspClient, runCli, sleep } from './harness';

const ANNOTATOR = 'broken@example.com';
const rec = (id: string, label: string, extra = ''): string =>
  `{"id":"${id}","label":"${label}","answer":"accept","source":"manual","annotator":"someone@example.com","time":"2026-01-01T00:00:00.000Z"${extra}}`;

/** Each case: the original label file bytes, and the samples its valid records label. */
const CASES: Record<string, { bytes: Buffer; labeled: string[] }> = {
  garbage: {
    bytes: Buffer.from(`${rec('x01', 'positive')}\n{"id": "x02", label: positive, answer: accept}\nTODO fix this file\n${rec('x03', 'negative')}\n{"id":"x04","label":"neutral","answer":"maybe","annotator":"a","time":"t"}\n`),
    labeled: ['x01', 'x03'],
  },
  'merge-markers': {
    bytes: Buffer.from(`${rec('x01', 'positive')}\n<<<<<<< HEAD\n${rec('x02', 'negative')}\n||||||| base\n${rec('x02', 'neutral')}\n=======\n${rec('x02', 'positive')}\n>>>>>>> feature/relabel\n${rec('x05', 'neutral')}\n`),
    labeled: ['x01', 'x02', 'x05'],
  },
  'truncated-last-line': {
    bytes: Buffer.from(`${rec('x01', 'positive')}\n${rec('x06', 'negative')}\n{"id":"x07","label":"neg`),
    labeled: ['x01', 'x06'],
  },
  'not-utf8': {
    bytes: Buffer.concat([
      Buffer.from(`${rec('x08', 'neutral')}\n`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x00, 0xe2, 0x82, 0x0a]), // invalid UTF-8 and NULs, then a newline
      Buffer.from(`${rec('x09', 'positive', ',"note":"caf\u00e9 \ud83d\ude00"')}\n`),
      Buffer.alloc(64, 0), // a NUL-filled tail, as a crash can leave on some file systems
    ]),
    labeled: ['x08', 'x09'],
  },
};

/** Every case's dataset: 12 samples, all with a low-confidence prediction, so an unlabeled one is a warning. */
function dataset(): string {
  return Array.from({ length: 12 }, (_, i) => {
    const id = `x${String(i + 1).padStart(2, '0')}`;
    return JSON.stringify({ id, text: `sample ${id} about the battery`, prediction: { label: 'positive', score: 0.5 } });
  }).join('\n') + '\n';
}

function reviewed(diagnostics: Diagnostic[]): string[] {
  return diagnostics
    .filter((d) => d.code === 'review' && d.severity === DiagnosticSeverity.Warning)
    .map((d) => (d.data as { sampleId: string }).sampleId)
    .sort();
}

describe('reliability: an unparseable label file is never overwritten or dropped', function () {
  this.timeout(30_000);
  let root: string;
  const written: Record<string, string[]> = {};
  const afterBytes: Record<string, Buffer> = {};
  const diagnosticsOf: Record<string, Diagnostic[]> = {};
  const labelDiagnosticsOf: Record<string, Diagnostic[]> = {};
  const cliStderr: Record<string, string> = {};

  before(async () => {
    root = tempWorkspace();
    fs.mkdirSync(path.join(root, 'data'));
    fs.writeFileSync(
      path.join(root, 'loopmark.json'),
      JSON.stringify({ tasks: [{ name: 'sentiment', files: ['data/*.jsonl'], labels: ['positive', 'negative', 'neutral'], threshold: 0.8, model: { enabled: false } }] }),
    );
    const text = dataset();
    for (const [name, { bytes }] of Object.entries(CASES)) {
      fs.writeFileSync(path.join(root, 'data', `${name}.jsonl`), text);
      fs.writeFileSync(path.join(root, 'data', `${name}.labels.jsonl`), bytes);
    }
    let client = await LspClient.start(root, { annotator: ANNOTATOR });
    for (const name of Object.keys(CASES)) {
      const uri = await client.open(path.join(root, 'data', `${name}.jsonl`), text);
      for (const sampleId of ['x10', 'x11']) await applyLabel(client, uri, { sampleId, label: 'negative', answer: 'accept', source: 'correction', score: 0.5 });
      const cli = await runCli(['label', path.join(root, 'data', `${name}.jsonl`), 'x12', 'neutral', '--annotator', 'cli@example.com', '--root', root]);
      assert.equal(cli.code, 0, cli.stderr);
      cliStderr[name] = cli.stderr;
      written[name] = ['x10', 'x11', 'x12'];
    }
    await sleep(1300); // past the server's idle compaction
    await client.stop(); // and its shutdown compaction
    client = await LspClient.start(root, { annotator: ANNOTATOR });
    for (const name of Object.keys(CASES)) {
      const labelFile = path.join(root, 'data', `${name}.labels.jsonl`);
      afterBytes[name] = fs.readFileSync(labelFile);
      diagnosticsOf[name] = await client.diagnostics(await client.open(path.join(root, 'data', `${name}.jsonl`), text));
      labelDiagnosticsOf[name] = await client.diagnostics(await client.open(labelFile, afterBytes[name].toString('utf8')));
    }
    await client.stop();
  });

  after(() => removeWorkspace(root));

  for (const [name, { bytes, labeled }] of Object.entries(CASES)) {
    it(`${name}: the original bytes stay, new decisions are appended as whole lines, valid records count`, () => {
      const after = afterBytes[name]!;
      assert.ok(after.subarray(0, bytes.length).equals(bytes), `the file still starts with its original ${bytes.length} bytes`);
      const appended = after.subarray(bytes.length).toString('utf8');
      const appendedRecords = parseLabels(appended.replace(/^\n/, ''));
      assert.equal(appendedRecords.problems.length, 0, `what was appended parses on its own lines:\n${appended}`);
      assert.deepEqual([...appendedRecords.records.values()].map((r) => r.id).sort(), written[name], 'exactly the three new decisions were appended');
      assert.match(cliStderr[name]!, /unparseable line\(s\).*the label was appended, the file is left as it is/, 'the CLI says why it did not compact');
      const stillUnlabeled = Array.from({ length: 12 }, (_, i) => `x${String(i + 1).padStart(2, '0')}`).filter((id) => !labeled.includes(id) && !written[name]!.includes(id));
      assert.deepEqual(reviewed(diagnosticsOf[name]!), stillUnlabeled, 'the samples of the valid records and of the new decisions show as labeled');
      assert.ok(labelDiagnosticsOf[name]!.length > 0 && labelDiagnosticsOf[name]!.every((d) => d.severity === DiagnosticSeverity.Error), 'the label file shows its broken lines');
    });
  }
});
