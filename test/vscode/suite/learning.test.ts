// The learning loop inside a real VS Code, on support tickets with no file predictions: a colleague
// labeled two tickets of each label, so the embedded model predicts every other ticket. Correcting
// and accepting a few tickets through quick fixes and Ctrl+Alt+Enter moves the predictions of
// similar unlabeled tickets within a second of the label being acknowledged; every decision is on
// disk; "Next Sample to Review" goes to the least confident prediction; where a file prediction and
// the model disagree, the hover shows both.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, folder, loopmarkDiagnostics, readText, until } from '../helpers';

interface SampleData {
  sampleId: string;
  predictedLabel?: string;
  score?: number;
  origin?: 'file' | 'model';
}

interface Seen {
  line: number;
  label: string;
  score: number;
  origin: string;
  message: string;
}

const LABELS = ['billing', 'shipping', 'account'];
/** The tickets a colleague labeled before (lines 0-5 of the fixture, two per label). */
const SEEDED = ['t01', 't02', 't03', 't04', 't05', 't06'];
const TOTAL = 30;
/** The learning must show within this long after the server acknowledged the label. */
const LATENCY_LIMIT_MS = 1000;

const dataOf = (d: vscode.Diagnostic): SampleData | undefined => (d as vscode.Diagnostic & { data?: SampleData }).data;

/** The prediction diagnostics of a dataset, by sample id. */
function predictions(uri: vscode.Uri): Map<string, Seen> {
  const out = new Map<string, Seen>();
  for (const d of loopmarkDiagnostics(uri)) {
    const data = dataOf(d);
    if ((d.code !== 'review' && d.code !== 'suggestion') || !data?.predictedLabel || data.score === undefined) continue;
    out.set(data.sampleId, { line: d.range.start.line, label: data.predictedLabel, score: data.score, origin: data.origin ?? '?', message: d.message });
  }
  return out;
}

function hoverText(hovers: vscode.Hover[]): { text: string; markdown: vscode.MarkdownString[] } {
  const markdown = hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => typeof c !== 'string' && 'value' in c);
  return { text: markdown.map((m) => m.value).join('\n'), markdown };
}

/**
 * Runs `act` (a label decision) and waits until `moved` holds on the dataset's diagnostics, noting when
 * the server acknowledged the label (the command returned: the decision is durable) and when VS Code
 * had the changed diagnostics (the first onDidChangeDiagnostics after which `moved` holds).
 */
async function decideAndWatch<T>(uri: vscode.Uri, act: () => Thenable<unknown>, moved: (now: Map<string, Seen>) => T | undefined): Promise<{ value: T; ackMs: number; afterAckMs: number }> {
  const started = performance.now();
  let resolveChange!: (v: { value: T; at: number }) => void;
  const changed = new Promise<{ value: T; at: number }>((resolve) => (resolveChange = resolve));
  const listener = vscode.languages.onDidChangeDiagnostics((e) => {
    if (!e.uris.some((u) => u.toString() === uri.toString())) return;
    const value = moved(predictions(uri));
    if (value !== undefined) resolveChange({ value, at: performance.now() });
  });
  try {
    await act();
    const acknowledged = performance.now();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(
      `the predictions did not move within 10 s of the label; now: ${JSON.stringify([...predictions(uri)])}`)), 10_000));
    const { value, at } = await Promise.race([changed, timeout]);
    // The server asks VS Code to pull diagnostics before it answers the command, so they can arrive first.
    return { value, ackMs: acknowledged - started, afterAckMs: Math.max(0, at - acknowledged) };
  } finally {
    listener.dispose();
  }
}

/** Did `after` move towards `label` from `before`: now predicted, or its score for the same other label fell. */
function movedTowards(label: string, before: Seen, after: Seen | undefined): boolean {
  if (!after) return false;
  if (after.label === label) return before.label !== label || after.score > before.score;
  return after.label === before.label && after.score < before.score;
}

function table(ids: readonly string[], before: Map<string, Seen>, after: Map<string, Seen>): string {
  return ids.map((id) => `${id}: ${before.get(id)?.label} ${before.get(id)?.score.toFixed(3)} -> ${after.get(id)?.label} ${after.get(id)?.score.toFixed(3)}`).join(', ');
}

describe('learning loop (real VS Code)', function () {
  this.timeout(120_000);
  const dataset = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'tickets.jsonl');
  const labelFile = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'tickets.labels.jsonl');
  const predictionFile = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'tickets.predictions.jsonl');
  /** What this suite decided, for the check of the label file: id -> label, source, score. */
  const decided = new Map<string, { label: string; source: string; score: number; how: string }>();
  const latencies: string[] = [];
  let seededText = '';

  const lineOf = (document: vscode.TextDocument, id: string): number => {
    for (let line = 0; line < document.lineCount; line++) if (document.lineAt(line).text.includes(`"id": "${id}"`)) return line;
    throw new Error(`no ticket ${id} in ${document.uri.toString()}`);
  };

  /** The quick fix a user picks to give `id` the label `label`: "Accept" when predicted, else "Label as". */
  async function labelWithQuickFix(uri: vscode.Uri, id: string, label: string): Promise<{ label: string; source: string; score: number; how: string }> {
    const diagnostic = loopmarkDiagnostics(uri).find((d) => dataOf(d)?.sampleId === id);
    assert.ok(diagnostic, `a diagnostic on ${id}`);
    const data = dataOf(diagnostic)!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const title = data.predictedLabel === label ? `Accept '${label}'` : `Label as '${label}'`;
    const action = actions.find((a) => a.title === title);
    assert.ok(action?.command, `quick fix '${title}' among ${actions.map((a) => a.title).join(', ')}`);
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    return { label, source: data.predictedLabel === label ? 'prediction' : 'correction', score: data.score!, how: `quick fix ${title}` };
  }

  before(async () => {
    seededText = (await readText(labelFile())) ?? '';
  });

  after(async () => {
    if (latencies.length) console.log(`learning latency (label acknowledged -> VS Code has the moved predictions): ${latencies.join('; ')}`);
    await vscode.workspace.fs.delete(predictionFile()).then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('two labels per label from a colleague are enough: every unlabeled ticket gets the model\'s prediction', async () => {
    assert.equal(seededText.trim().split('\n').length, SEEDED.length, 'the fixture label file has the colleague\'s six labels');
    const document = await vscode.workspace.openTextDocument(dataset());
    await vscode.window.showTextDocument(document);
    const shown = await until('the model\'s predictions on the unlabeled tickets', () => {
      const p = predictions(document.uri);
      return p.size === TOTAL - SEEDED.length ? p : undefined;
    }, 30_000);
    for (const [id, p] of shown) {
      assert.equal(p.origin, 'model', `${id} is predicted by the embedded model (there are no file predictions)`);
      assert.match(p.message, /^(Review|Suggestion): model predicted '(billing|shipping|account)' \(\d\.\d\d\)$/);
      assert.ok(!SEEDED.includes(id), `${id} is labeled and agrees: no diagnostic`);
    }
    const loopmark = await api();
    await until('the status bar of the tickets', () => (loopmark.status().text.includes(`${SEEDED.length}/${TOTAL} labeled`) ? true : undefined));
    assert.equal(loopmark.status().text, `$(tag) ${SEEDED.length}/${TOTAL} labeled · $(beaker) model`, 'the model is out of cold start');
  });

  it('correcting one ticket moves the predictions of similar unlabeled tickets within a second', async () => {
    const uri = dataset();
    const before = predictions(uri);
    // t20-t23: a two-factor code that "has not arrived" — an account problem that reads like a parcel one.
    const similar = ['t21', 't22', 't23'];
    const { value: after, ackMs, afterAckMs } = await decideAndWatch(
      uri,
      async () => decided.set('t20', await labelWithQuickFix(uri, 't20', 'account')),
      (now) => (!now.has('t20') && similar.every((id) => movedTowards('account', before.get(id)!, now.get(id))) ? now : undefined),
    );
    const how = decided.get('t20')!;
    console.log(`  t20 ${how.how} (was ${before.get('t20')!.label} ${before.get('t20')!.score.toFixed(3)}): ${table(similar, before, after)}`);
    latencies.push(`t20 ${how.source}: acknowledged ${ackMs.toFixed(0)} ms after the action started, predictions moved ${afterAckMs.toFixed(0)} ms later`);
    assert.ok(afterAckMs < LATENCY_LIMIT_MS, `similar tickets changed ${afterAckMs.toFixed(0)} ms after the label was acknowledged`);
    for (const id of similar) {
      const [b, a] = [before.get(id)!, after.get(id)!];
      assert.notDeepEqual([a.label, a.score], [b.label, b.score], `${id}'s diagnostic changed`);
      assert.ok(a.message.includes(`'${a.label}' (${a.score.toFixed(2)})`), `${id}'s message shows the new prediction: ${a.message}`);
    }
    // Unrelated tickets are not dragged along to 'account'.
    for (const id of ['t10', 't15']) assert.equal(after.get(id)!.label, before.get(id)!.label, `${id} keeps its prediction`);
  });

  it('accepting predictions, by quick fix and by Ctrl+Alt+Enter, moves similar tickets again', async () => {
    const uri = dataset();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    let before = predictions(uri);
    const similar = ['t22', 't23'];
    const first = await decideAndWatch(
      uri,
      async () => decided.set('t21', await labelWithQuickFix(uri, 't21', 'account')),
      (now) => (!now.has('t21') && similar.every((id) => movedTowards('account', before.get(id)!, now.get(id))) ? now : undefined),
    );
    console.log(`  t21 ${decided.get('t21')!.how}: ${table(similar, before, first.value)}`);
    latencies.push(`t21 ${decided.get('t21')!.source}: acknowledged ${first.ackMs.toFixed(0)} ms after the action started, predictions moved ${first.afterAckMs.toFixed(0)} ms later`);
    assert.ok(first.afterAckMs < LATENCY_LIMIT_MS, `${first.afterAckMs.toFixed(0)} ms after the acknowledgment`);

    // The keyboard path: the cursor on t13 ("delivered but no parcel"), Loopmark: Accept Prediction at Cursor.
    before = first.value;
    const t13 = before.get('t13')!;
    editor.selection = new vscode.Selection(lineOf(editor.document, 't13'), 30, lineOf(editor.document, 't13'), 30);
    const parcels = ['t17', 't29'];
    const second = await decideAndWatch(
      uri,
      () => vscode.commands.executeCommand('loopmark.acceptPrediction'),
      (now) => (!now.has('t13') && parcels.every((id) => movedTowards(t13.label, before.get(id)!, now.get(id))) ? now : undefined),
    );
    decided.set('t13', { label: t13.label, source: 'prediction', score: t13.score, how: 'Accept Prediction at Cursor' });
    console.log(`  t13 Accept Prediction at Cursor ('${t13.label}'): ${table(parcels, before, second.value)}`);
    latencies.push(`t13 accept at cursor: acknowledged ${second.ackMs.toFixed(0)} ms after the action started, predictions moved ${second.afterAckMs.toFixed(0)} ms later`);
    assert.ok(second.afterAckMs < LATENCY_LIMIT_MS, `${second.afterAckMs.toFixed(0)} ms after the acknowledgment`);
    assert.equal(t13.label, 'shipping', 'the model had learned that a missing parcel is a shipping ticket');
  });

  it('every decision is in the label file, in canonical order, beside the colleague\'s labels', async () => {
    // Appended at once; rewritten sorted about a second after the last write.
    const ids = [...SEEDED, ...decided.keys()].sort();
    const text = await until('the canonical label file', async () => {
      const t = await readText(labelFile());
      const lines = t?.trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
      return t && JSON.stringify(lines) === JSON.stringify(ids) ? t : undefined;
    }, 10_000);
    assert.ok(text.endsWith('\n') && !text.includes('\r'), 'LF and a final newline');
    const lines = text.trimEnd().split('\n');
    const seeded = seededText.trimEnd().split('\n');
    assert.deepEqual(lines.filter((l) => SEEDED.some((id) => l.startsWith(`{"id":"${id}"`))), seeded, 'the colleague\'s labels are kept byte for byte');
    const annotators = new Set<string>();
    for (const [id, expected] of decided) {
      const line = lines.find((l) => l.startsWith(`{"id":"${id}"`))!;
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(record), ['id', 'label', 'answer', 'source', 'score', 'annotator', 'time'], `fixed key order: ${line}`);
      assert.equal(record['label'], expected.label, line);
      assert.equal(record['answer'], 'accept', line);
      assert.equal(record['source'], expected.source, line);
      assert.equal(record['score'], expected.score, `the score of the prediction the decision was taken on: ${line}`);
      assert.ok(!Number.isNaN(Date.parse(String(record['time']))), line);
      annotators.add(String(record['annotator']));
    }
    assert.equal(annotators.size, 1, 'one annotator for this window');
    assert.ok(!annotators.has('ana@example.com'), 'the decisions are this annotator\'s, not the colleague\'s');
    assert.equal(decided.get('t20')!.label, 'account');
    assert.equal(decided.get('t21')!.label, 'account');
  });

  it('"Next Sample to Review" goes to the least confident prediction, as the review queue says', async () => {
    const uri = dataset();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const unlabeled = TOTAL - SEEDED.length - decided.size;
    const shown = await until('the predictions after the decisions', () => {
      const p = predictions(uri);
      return p.size === unlabeled ? p : undefined;
    });
    // Independently of the queue: the 'uncertainty' strategy ranks by least confidence, so the lowest
    // score among the unlabeled tickets' diagnostics comes first.
    const ranked = [...shown].sort((a, b) => a[1].score - b[1].score);
    const [expectedId, expected] = ranked[0]!;
    assert.ok(ranked[1]![1].score > expected.score, 'a single least confident ticket');
    const loopmark = await api();
    const queue = await loopmark.client()!.sendRequest<{ strategy: string; items: Array<{ uri: string; line: number; sampleId: string; score?: number }> }>('loopmark/queue', { uri: uri.toString(), n: 100 });
    assert.equal(queue.strategy, 'uncertainty');
    assert.deepEqual(queue.items.map((i) => i.sampleId), ranked.map(([id]) => id), 'the queue is the unlabeled tickets, least confident first');
    assert.equal(queue.items[0]!.line, expected.line);
    const view = await loopmark.queue().getChildren();
    assert.equal(view[0]?.sampleId, expectedId, 'the Review Queue view starts there too');

    editor.selection = new vscode.Selection(0, 0, 0, 0); // on t01, labeled by the colleague
    await vscode.commands.executeCommand('loopmark.nextSample');
    const diagnostic = loopmarkDiagnostics(uri).find((d) => dataOf(d)?.sampleId === expectedId)!;
    await until(`the cursor on ${expectedId} (line ${expected.line + 1})`, () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.toString() === uri.toString() && active.selection.active.isEqual(diagnostic.range.start) ? true : undefined;
    }, 5000);
    console.log(`  next to review: ${expectedId} (line ${expected.line + 1}), ${expected.label} ${expected.score.toFixed(3)}; then ${ranked.slice(1, 3).map(([id, p]) => `${id} ${p.score.toFixed(3)}`).join(', ')}`);
  });

  it('where a file prediction and the model disagree, the hover shows both and the diagnostic the file\'s (prefer: file)', async () => {
    const uri = dataset();
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const model = predictions(uri).get('t22')!;
    const other = LABELS.find((l) => l !== model.label)!;
    // A routing model's sidecar that disagrees with the embedded model on t22.
    await vscode.workspace.fs.writeFile(predictionFile(), new TextEncoder().encode(`${JSON.stringify({ id: 't22', label: other, score: 0.91, model_version: 'router-v1' })}\n`));
    const fromFile = await until('t22 to show the file prediction', () => {
      const p = predictions(uri).get('t22');
      return p?.origin === 'file' ? p : undefined;
    }, 10_000);
    assert.equal(fromFile.message, `Suggestion: predicted '${other}' (0.91)`);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(model.line, 30));
    const { text, markdown } = hoverText(hovers);
    assert.ok(markdown.length > 0 && markdown.every((m) => !m.isTrusted && !m.supportHtml), 'untrusted Markdown, no HTML');
    const modelInHover = new RegExp(`^- \\*\\*${model.label}\\*\\* (\\d\\.\\d\\d) — embedded model$`, 'm').exec(text);
    assert.match(text, /^Predictions disagree:$/m, text);
    assert.ok(text.includes(`- **${other}** 0.91 — file (router\\-v1) ← shown as the diagnostic`), text);
    assert.ok(modelInHover, text);
    assert.equal(modelInHover[1], model.score.toFixed(2), 'the model\'s score as its own diagnostic showed it');
    await vscode.workspace.fs.delete(predictionFile());
    await until('t22 back to the model\'s prediction', () => (predictions(uri).get('t22')?.origin === 'model' ? true : undefined), 10_000);
  });
});
