// Hovers over stdio when a sample has a file prediction and the embedded model predicts another
// label: the hover shows both with their scores, the diagnostic shows the one `prefer` picks, and
// untrusted text in the hover (sample ids, model versions) stays escaped Markdown.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient } from './client';
import { removeWorkspace, REPO, tempWorkspace, until, writeFiles } from '../helpers/workspace';
import { escapeMarkdown } from '../../server/src/core/markdown';
import type { QueueEntry } from '../../server/src/protocol';

const FIXTURE = path.join(REPO, 'test', 'vscode', 'fixtures', 'workspace', 'data');
const LABELS = [
  { name: 'billing', description: 'Charges, invoices, refunds, payment methods and subscriptions.' },
  { name: 'shipping', description: 'Where a parcel is, delivery dates and addresses, couriers, damaged or lost packages.' },
  { name: 'account', description: 'Signing in, passwords, two-factor codes, profile and email changes, deleting an account.' },
];

const HOSTILE_ID = '<img src=x onerror=alert(1)>[pwn](command:workbench.action.terminal.new)';
const HOSTILE_VERSION = '<b>v2</b>](command:workbench.action.terminal.new) *x*';

/**
 * The support tickets of the real-VS-Code suite (a colleague's 2 labels per label in the label file),
 * plus tickets with a file prediction: f1 where a routing model is wrong ('billing' for a two-factor
 * code), f2 where it agrees with what the embedded model learns, and h1 with hostile id and version.
 */
const EXTRA = [
  { id: 'f1', text: 'The two-factor verification code has not arrived by SMS again.', prediction: { label: 'billing', score: 0.88, model_version: 'router-v1' } },
  { id: 'f2', text: 'Still no two-factor verification code on my phone, I cannot sign in.', prediction: { label: 'account', score: 0.75, model_version: 'router-v1' } },
  { id: HOSTILE_ID, text: "<script>alert('pwned')</script> [click me](command:workbench.action.terminal.new) I was **charged twice** on my `invoice`", prediction: { label: 'shipping', score: 0.7, model_version: HOSTILE_VERSION } },
];
const F1 = 30;
const F2 = 31;
const H1 = 32;

interface Data {
  sampleId: string;
  predictedLabel?: string;
  score?: number;
  origin?: string;
}
const dataOf = (d: Diagnostic): Data => d.data as Data;

describe('language server over stdio: hovers when the file and the model disagree', function () {
  this.timeout(30_000);
  let root: string;
  let client: LspClient;
  let uri: string;

  async function start(task: { prefer: 'file' | 'model'; minExamplesPerLabel: number }): Promise<void> {
    root = tempWorkspace();
    const tickets = fs.readFileSync(path.join(FIXTURE, 'tickets.jsonl'), 'utf8');
    writeFiles(root, {
      'loopmark.json': JSON.stringify({
        tasks: [{ name: 'support-tickets', files: ['data/*.jsonl'], labels: LABELS, threshold: 0.8, prefer: task.prefer, model: { minExamplesPerLabel: task.minExamplesPerLabel } }],
      }),
      'data/tickets.jsonl': tickets + EXTRA.map((r) => JSON.stringify(r)).join('\n') + '\n',
      'data/tickets.labels.jsonl': fs.readFileSync(path.join(FIXTURE, 'tickets.labels.jsonl'), 'utf8'),
    });
    client = await LspClient.start(root, { annotator: 'tester@example.com' });
    const file = path.join(root, 'data', 'tickets.jsonl');
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
    // The model trains from the label file after start.
    await until('the trained model', async () => ((await client.request<{ model?: { examples: number } }>('loopmark/status', { uri })).model?.examples === 6 ? true : undefined));
  }

  /** Two more two-factor tickets labeled 'account', so the model is sure what a two-factor code is. */
  async function teachTwoFactor(): Promise<void> {
    for (const id of ['t20', 't21']) {
      await client.request('workspace/executeCommand', {
        command: 'loopmark.server.applyLabel',
        arguments: [{ uri, decision: { sampleId: id, label: 'account', answer: 'accept', source: 'manual' } }],
      });
    }
  }

  async function hover(line: number): Promise<string> {
    const h = await client.hover(uri, line, 20);
    assert.ok(h, `a hover on line ${line}`);
    return (h.contents as { kind: string; value: string }).value;
  }

  async function diagnosticOn(line: number): Promise<Diagnostic> {
    const d = (await client.diagnostics(uri)).find((x) => x.range.start.line === line);
    assert.ok(d, `a diagnostic on line ${line}`);
    return d;
  }

  /** The hover's two prediction lines when they disagree: [file line, model line]. */
  function disagreement(text: string): { file: string; model: string; modelLabel: string; modelScore: string } {
    const lines = text.split('\n');
    const at = lines.indexOf('Predictions disagree:');
    assert.ok(at > 0, `"Predictions disagree:" in\n${text}`);
    const [file, model] = [lines[at + 1]!, lines[at + 2]!];
    const m = /^- \*\*(\w+)\*\* (\d\.\d\d) — embedded model( \(cold start: too few labels yet\))?( ← shown as the diagnostic)?$/.exec(model);
    assert.ok(m, `the model's line: ${model}`);
    return { file, model, modelLabel: m[1]!, modelScore: m[2]! };
  }

  afterEach(async () => {
    await client?.stop();
    if (root) removeWorkspace(root);
  });

  it("prefer: 'file' — the diagnostic shows the file's prediction, the hover both with their scores", async () => {
    await start({ prefer: 'file', minExamplesPerLabel: 2 });
    await teachTwoFactor();
    const f1 = await diagnosticOn(F1);
    assert.deepEqual(dataOf(f1), { sampleId: 'f1', predictedLabel: 'billing', score: 0.88, origin: 'file' });
    assert.equal(f1.message, "Suggestion: predicted 'billing' (0.88)");
    const text = await hover(F1);
    const both = disagreement(text);
    assert.equal(both.file, '- **billing** 0.88 — file (router\\-v1) ← shown as the diagnostic');
    assert.doesNotMatch(both.model, /shown as the diagnostic/);
    assert.equal(both.modelLabel, 'account', 'the model learned that a two-factor code is an account ticket');
    assert.match(text, /^Label: none yet$/m);
    assert.match(text, /^Guideline for billing: /m, 'the guideline of the prediction the diagnostic shows');
    // The review queue says so too.
    const queue = await client.request<{ items: QueueEntry[] }>('loopmark/queue', { uri, n: 100 });
    assert.equal(queue.items.find((i) => i.sampleId === 'f1')?.disagreement, "model 'account', file 'billing'");

    // Where they agree, one prediction: the file's (preferred).
    const f2 = await hover(F2);
    assert.doesNotMatch(f2, /disagree/);
    assert.match(f2, /^Prediction: \*\*account\*\* 0\.75 — file \(router\\-v1\)$/m);
    assert.equal(dataOf(await diagnosticOn(F2)).origin, 'file');
  });

  it("prefer: 'model' — the diagnostic shows the model's prediction, the hover both with their scores", async () => {
    await start({ prefer: 'model', minExamplesPerLabel: 2 });
    await teachTwoFactor();
    const f1 = await diagnosticOn(F1);
    const data = dataOf(f1);
    assert.equal(data.origin, 'model');
    assert.equal(data.predictedLabel, 'account');
    assert.match(f1.message, /^(Review|Suggestion): model predicted 'account' \(\d\.\d\d\)$/);
    const text = await hover(F1);
    const both = disagreement(text);
    assert.equal(both.file, '- **billing** 0.88 — file (router\\-v1)');
    assert.match(both.model, / ← shown as the diagnostic$/);
    assert.equal(both.modelLabel, 'account');
    assert.equal(both.modelScore, data.score!.toFixed(2), 'the hover and the diagnostic show the same model score');
    assert.match(text, /^Guideline for account: /m);
    // The quick fix accepts what the diagnostic shows: the model's label.
    const actions = await client.codeActions(uri, f1);
    assert.equal(actions.find((a) => a.isPreferred)?.title, "Accept 'account'");
  });

  it("prefer: 'model' with the model in cold start — the file's prediction is shown, the hover marks the model's", async () => {
    await start({ prefer: 'model', minExamplesPerLabel: 5 });
    const status = await client.request<{ model?: { state: string } }>('loopmark/status', { uri });
    assert.equal(status.model?.state, 'cold');
    assert.deepEqual(dataOf(await diagnosticOn(F1)), { sampleId: 'f1', predictedLabel: 'billing', score: 0.88, origin: 'file' });
    const text = await hover(F1);
    if (text.includes('Predictions disagree:')) {
      assert.match(disagreement(text).model, /\(cold start: too few labels yet\)$/, 'a cold model is never the one shown');
      assert.match(disagreement(text).file, / ← shown as the diagnostic$/);
    } else {
      // The cold model happens to agree with the file.
      assert.match(text, /^Prediction: \*\*billing\*\* 0\.88 — file \(router\\-v1\)$/m);
    }
    assert.equal((await client.diagnostics(uri)).filter((d) => dataOf(d).origin === 'model').length, 0, 'a cold model makes no diagnostics');
  });

  it('keeps hostile sample ids and model versions escaped in a hover that shows both predictions', async () => {
    await start({ prefer: 'file', minExamplesPerLabel: 2 });
    const diagnostic = await diagnosticOn(H1);
    assert.equal(dataOf(diagnostic).sampleId, HOSTILE_ID);
    const text = await hover(H1);
    const both = disagreement(text);
    assert.notEqual(both.modelLabel, 'shipping');
    assert.equal(both.file, `- **shipping** 0.70 — file (${escapeMarkdown(HOSTILE_VERSION)}) ← shown as the diagnostic`);
    assert.ok(text.includes(`sample ${escapeMarkdown(HOSTILE_ID)}`), text);
    // No raw HTML, no link or image, no command: URI, no unescaped brackets anywhere in the hover.
    assert.doesNotMatch(text, /<(img|script|b)\b/i);
    assert.doesNotMatch(text, /\]\(/);
    assert.doesNotMatch(text, /command:/);
    assert.doesNotMatch(text, /(^|[^\\])[[\]]/m);
  });
});
