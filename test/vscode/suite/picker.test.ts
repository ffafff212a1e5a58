// The label pickers inside a real VS Code, driven as a user drives them: "Label Sample at Cursor…"
// (or the "Choose a label…" quick fix of a task with more than 12 labels) opens VS Code's quick pick;
// the workbench's own quick input commands (what Down, Space, Enter and Escape run) move the focus,
// tick labels and accept; the label file on disk and the diagnostics show the decision.
//
// The API gives no handle on a quick pick opened by showQuickPick, so the test wraps
// vscode.window.showQuickPick (the extension host hands the test and the extension it is part of the
// same API object): the wrapper records the items and options exactly as the picker got them, and
// listens to onDidSelectItem, which VS Code calls whenever the focused item changes — the proof that
// the picker is on screen and that the focus is where the test thinks it is.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { folder, loopmarkDiagnostics, readText, until } from '../helpers';

interface SampleData {
  sampleId: string;
  predictedLabel?: string;
  predictedLabels?: string[];
  score?: number;
}

interface LabelRecord {
  id: string;
  label?: string;
  labels?: string[];
  answer: string;
  source: string;
  score?: number;
  annotator: string;
}

/** One showQuickPick call as VS Code received it, and the items that had the focus since. */
interface PickCall {
  items: readonly vscode.QuickPickItem[] | undefined;
  options: vscode.QuickPickOptions | undefined;
  focused: vscode.QuickPickItem[];
}

type ShowQuickPick = (items: unknown, options?: vscode.QuickPickOptions, token?: vscode.CancellationToken) => Thenable<unknown>;

function spyOnQuickPick(): { calls: PickCall[]; restore: () => void } {
  const window = vscode.window as unknown as { showQuickPick: ShowQuickPick };
  const original = window.showQuickPick;
  const calls: PickCall[] = [];
  window.showQuickPick = (items, options, token) => {
    const call: PickCall = { items: undefined, options, focused: [] };
    calls.push(call);
    void Promise.resolve(items as Thenable<readonly vscode.QuickPickItem[]>).then((resolved) => (call.items = resolved));
    const observed: vscode.QuickPickOptions = {
      ...options,
      onDidSelectItem: (item) => {
        call.focused.push(item as vscode.QuickPickItem);
        return options?.onDidSelectItem?.(item);
      },
    };
    return original.call(vscode.window, items, observed, token);
  };
  return { calls, restore: () => (window.showQuickPick = original) };
}

const dataOf = (d: vscode.Diagnostic): SampleData | undefined => (d as vscode.Diagnostic & { data?: SampleData }).data;

function lineOf(document: vscode.TextDocument, id: string): number {
  for (let line = 0; line < document.lineCount; line++) if (document.lineAt(line).text.includes(`"id": "${id}"`)) return line;
  throw new Error(`no sample ${id} in ${document.uri.toString()}`);
}

async function records(uri: vscode.Uri): Promise<LabelRecord[]> {
  const text = (await readText(uri)) ?? '';
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LabelRecord);
}

/** Every text of the picker that VS Code renders with its `$(icon)` syntax. */
function renderedTexts(call: PickCall): string[] {
  return [call.options?.title ?? '', call.options?.placeHolder ?? '', ...call.items!.flatMap((i) => [i.label, i.description ?? '', i.detail ?? ''])];
}

describe('label pickers (real VS Code)', function () {
  this.timeout(120_000);
  let spy: ReturnType<typeof spyOnQuickPick>;

  before(() => {
    spy = spyOnQuickPick();
  });

  afterEach(async () => {
    // A failed test must not leave a picker open over the next suite.
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });

  after(async () => {
    spy.restore();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  /** Runs the command as a keybinding would (not awaited) and waits until its picker shows its items. */
  async function openPicker(command: string, ...args: unknown[]): Promise<{ call: PickCall; done: Thenable<unknown> }> {
    const before = spy.calls.length;
    const done = vscode.commands.executeCommand(command, ...args);
    let failed: unknown;
    done.then(undefined, (e: unknown) => (failed = e));
    const call = await until('the picker to open', () => {
      if (failed) throw failed;
      return spy.calls.length > before && spy.calls[before]!.items ? spy.calls[before] : undefined;
    });
    // A single pick focuses its first item when its list shows; a multiple pick leaves the focus in the
    // filter box until the user moves down. Either way the first item has the focus once the list is there.
    let nudged = 0;
    await until('the picker\'s list on screen (the first item focused)', async () => {
      if (call.focused.length > 0) return true;
      if (Date.now() - nudged > 300) {
        nudged = Date.now();
        await vscode.commands.executeCommand('quickInput.first');
      }
      return undefined;
    });
    assert.equal(call.focused.at(-1), call.items![0], 'the focus starts on the first item');
    return { call, done };
  }

  /** Down (quickInput.next) until the item with this label has the focus, checking each step. */
  async function moveTo(call: PickCall, label: string): Promise<void> {
    const items = call.items!;
    const target = items.findIndex((i) => i.label === label);
    assert.ok(target >= 0, `'${label}' among ${items.map((i) => i.label).join(', ')}`);
    let at = items.indexOf(call.focused.at(-1)!);
    assert.ok(at <= target, `the focus (${at}) is above '${label}' (${target})`);
    while (at < target) {
      const seen = call.focused.length;
      await vscode.commands.executeCommand('quickInput.next');
      const expected = items[at + 1]!;
      await until(`the focus on '${expected.label}'`, () => (call.focused.length > seen && call.focused.at(-1) === expected ? true : undefined), 10_000);
      at++;
    }
  }

  describe('a single-label task (review-sentiment, data/reviews-batch2.jsonl, which no other suite uses)', () => {
    const dataset = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'reviews-batch2.jsonl');
    const labelFile = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'reviews-batch2.labels.jsonl');

    async function cursorOnLine(line: number): Promise<{ document: vscode.TextDocument; diagnostic: vscode.Diagnostic }> {
      const document = await vscode.workspace.openTextDocument(dataset());
      const editor = await vscode.window.showTextDocument(document);
      const diagnostic = await until(`the diagnostic on line ${line + 1}`, () => loopmarkDiagnostics(document.uri).find((d) => d.range.start.line === line));
      editor.selection = new vscode.Selection(line, 10, line, 10);
      return { document, diagnostic };
    }

    it('Escape closes the picker and writes nothing', async () => {
      // Line 3: "Can I buy the charging cable separately?", predicted 'neutral' 0.74 by the sidecar.
      const { document, diagnostic } = await cursorOnLine(2);
      const { call, done } = await openPicker('loopmark.labelSample');
      await moveTo(call, 'negative');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await done; // the command ends once the picker is gone
      assert.equal(await readText(labelFile()), undefined, 'no label file was written');
      assert.ok(loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === 2 && d.message === diagnostic.message), 'the sample still needs review');
    });

    it('Label Sample at Cursor: a label per guideline, then Skip; choosing one writes it and the diagnostic goes', async () => {
      // Line 6: "The display is readable in bright sunlight." — predicted 'positive' 0.53; it is a neutral statement.
      const { document, diagnostic } = await cursorOnLine(5);
      const data = dataOf(diagnostic)!;
      assert.deepEqual([data.predictedLabel, data.score], ['positive', 0.53]);
      const { call, done } = await openPicker('loopmark.labelSample');
      assert.equal(call.options?.title, `Label sample ${data.sampleId}`);
      assert.equal(call.options?.canPickMany, undefined, 'one label');
      assert.deepEqual(call.items!.map((i) => [i.label, i.description]), [
        ['positive', 'predicted 0.53'],
        ['negative', ''],
        ['neutral', ''],
        ['Skip', 'answer: ignore'],
      ]);
      assert.equal(call.items![2]!.detail, 'No clear sentiment: a question, a factual statement, or praise and complaint in balance.', 'the guideline under the label');
      await moveTo(call, 'neutral');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await done; // the decision is acknowledged (on disk) when the command returns
      const written = (await records(labelFile())).filter((r) => r.id === data.sampleId);
      assert.equal(written.length, 1, JSON.stringify(written));
      assert.deepEqual({ ...written[0], annotator: undefined, time: undefined }, {
        id: data.sampleId, label: 'neutral', answer: 'accept', source: 'correction', score: 0.53, annotator: undefined, time: undefined,
      });
      await until('the diagnostic to go', () => (loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === 5) ? undefined : true), 10_000);
      assert.ok(loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === 2), 'the sample left with Escape still needs review');
    });
  });

  describe('a task with 14 labels (banking-intents, data/intents.jsonl)', () => {
    const dataset = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'intents.jsonl');
    const labelFile = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'intents.labels.jsonl');

    it('the quick fixes offer "Choose a label… (14 labels)" instead of 14 actions; it opens the picker and the choice is written', async () => {
      const document = await vscode.workspace.openTextDocument(dataset());
      await vscode.window.showTextDocument(document);
      await until('a diagnostic on every intent', () => (loopmarkDiagnostics(document.uri).length === 8 ? true : undefined));
      // i06: "Why was I charged 5 pounds for taking cash out in Spain?" — predicted 'exchange_rate' 0.52; it is about a fee.
      const line = lineOf(document, 'i06');
      const diagnostic = loopmarkDiagnostics(document.uri).find((d) => d.range.start.line === line)!;
      assert.equal(diagnostic.message, "Review: predicted 'exchange_rate' (0.52)");
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
      const loopmarkActions = actions.filter((a) => a.command?.command.startsWith('loopmark.'));
      assert.deepEqual(loopmarkActions.map((a) => a.title), ["Accept 'exchange_rate'", 'Choose a label… (14 labels)', 'Skip']);
      const choose = loopmarkActions[1]!;
      assert.equal(choose.command!.command, 'loopmark.labelSample');

      const { call, done } = await openPicker(choose.command!.command, ...(choose.command!.arguments ?? []));
      assert.equal(call.options?.title, 'Label sample i06');
      assert.equal(call.options?.matchOnDetail, true, 'the guidelines are searched too');
      assert.equal(call.items!.length, 15, '14 labels and Skip');
      assert.deepEqual(call.items!.slice(10, 13).map((i) => [i.label, i.description]), [['loan_inquiry', ''], ['exchange_rate', 'predicted 0.52'], ['fees', '']]);
      // A guideline with `$(alert)` in it: shown as the text it is, never as an icon.
      const declined = call.items!.find((i) => i.label === 'card_declined')!;
      assert.equal(declined.detail, 'A card payment or withdrawal was refused (the app shows $\u200b(alert) Declined).');
      for (const text of renderedTexts(call)) assert.doesNotMatch(text, /\$\(/, `no icon syntax reaches the picker: ${text}`);

      await moveTo(call, 'fees');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await done;
      const written = (await records(labelFile())).filter((r) => r.id === 'i06');
      assert.deepEqual(written.map((r) => [r.label, r.answer, r.source, r.score]), [['fees', 'accept', 'correction', 0.52]]);
      await until('the diagnostic to go', () => (loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === line) ? undefined : true), 10_000);
      assert.equal(loopmarkDiagnostics(document.uri).length, 7);
    });
  });

  describe('a multi-label task (ticket-topics, data/topics.jsonl)', () => {
    const dataset = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'topics.jsonl');
    const labelFile = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'topics.labels.jsonl');

    async function cursorOn(id: string): Promise<{ document: vscode.TextDocument; line: number; data: SampleData }> {
      const document = await vscode.workspace.openTextDocument(dataset());
      const editor = await vscode.window.showTextDocument(document);
      const line = lineOf(document, id);
      const diagnostic = await until(`the diagnostic on ${id}`, () => loopmarkDiagnostics(document.uri).find((d) => d.range.start.line === line));
      editor.selection = new vscode.Selection(line, 10, line, 10);
      return { document, line, data: dataOf(diagnostic)! };
    }

    const ticked = (call: PickCall): string[] => call.items!.filter((i) => i.picked).map((i) => i.label);

    it('the predicted set is ticked; unticking one label writes the new set as a correction', async () => {
      // k04: "Could you let me export my invoices as CSV?" — predicted {billing, bug, feature}; nothing is broken.
      const { document, line, data } = await cursorOn('k04');
      assert.deepEqual(data.predictedLabels, ['billing', 'bug', 'feature']);
      assert.equal(data.score, 0.55, 'a set is as sure as its least sure label (bug 0.55)');
      const { call, done } = await openPicker('loopmark.labelSample');
      assert.equal(call.options?.canPickMany, true);
      assert.equal(call.options?.title, 'Labels of sample k04');
      assert.deepEqual(call.items!.map((i) => [i.label, i.description]), [
        ['account', '0.06'],
        ['billing', 'predicted 0.77'],
        ['bug', 'predicted 0.55'],
        ['feature', 'predicted 0.72'],
      ]);
      assert.deepEqual(ticked(call), ['billing', 'bug', 'feature'], 'the predicted set is pre-selected');
      const bug = call.items!.find((i) => i.label === 'bug')!;
      assert.equal(bug.detail, 'Something is broken: a crash, a page that freezes, an error banner ($\u200b(alert) in the app).');
      for (const text of renderedTexts(call)) assert.doesNotMatch(text, /\$\(/, `no icon syntax reaches the picker: ${text}`);

      await moveTo(call, 'bug');
      await vscode.commands.executeCommand('workbench.action.quickPickManyToggle'); // Space
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'); // Enter
      await done;
      const written = (await records(labelFile())).filter((r) => r.id === 'k04');
      assert.equal(written.length, 1, JSON.stringify(written));
      assert.deepEqual([written[0]!.labels, written[0]!.label, written[0]!.answer, written[0]!.source, written[0]!.score], [['billing', 'feature'], undefined, 'accept', 'correction', 0.55]);
      await until('the diagnostic to go', () => (loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === line) ? undefined : true), 10_000);
    });

    it('accepting the pre-selected set unchanged writes the prediction', async () => {
      // k02: "Please add a dark mode to the mobile app." — predicted {feature}.
      const { document, line, data } = await cursorOn('k02');
      const { call, done } = await openPicker('loopmark.labelSample');
      assert.deepEqual(ticked(call), ['feature']);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await done;
      const written = (await records(labelFile())).filter((r) => r.id === 'k02');
      assert.deepEqual(written.map((r) => [r.labels, r.answer, r.source, r.score]), [[['feature'], 'accept', 'prediction', data.score]]);
      await until('the diagnostic to go', () => (loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === line) ? undefined : true), 10_000);
    });

    it('a labeled sample opens with its labeled set ticked', async () => {
      // k04 was labeled {billing, feature} above; its prediction still says {billing, bug, feature}.
      const document = await vscode.workspace.openTextDocument(dataset());
      const { call, done } = await openPicker('loopmark.labelSample', document.uri.toString(), lineOf(document, 'k04'));
      assert.deepEqual(ticked(call), ['billing', 'feature']);
      assert.deepEqual(call.items!.map((i) => i.description), ['0.06', 'predicted 0.77 · current', 'predicted 0.55', 'predicted 0.72 · current']);
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await done;
      assert.equal((await records(labelFile())).filter((r) => r.id === 'k04').length, 1, 'Escape wrote nothing');
    });

    it('a label of the current set that loopmark.json no longer declares is shown ticked, and kept when accepted', async () => {
      // A colleague labeled k05 with 'legacy', a label since removed from the task.
      const colleague = { id: 'k05', labels: ['billing', 'legacy'], answer: 'accept', source: 'manual', annotator: 'bo@example.com', time: '2026-11-01T10:00:00.000Z' };
      const before = (await readText(labelFile())) ?? '';
      await vscode.workspace.fs.writeFile(labelFile(), Buffer.from(`${before}${JSON.stringify(colleague)}\n`));
      const document = await vscode.workspace.openTextDocument(dataset());
      const line = lineOf(document, 'k05');
      const { call, done } = await until('the picker with the colleague\'s set', async () => {
        const opened = await openPicker('loopmark.labelSample', document.uri.toString(), line);
        if (opened.call.items!.some((i) => i.label === 'legacy')) return opened;
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        await opened.done;
        return undefined;
      });
      const legacy = call.items!.find((i) => i.label === 'legacy')!;
      assert.equal(legacy.picked, true);
      assert.equal(legacy.description, 'current · not in the label set of loopmark.json');
      assert.deepEqual(ticked(call), ['billing', 'legacy']);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await done;
      const mine = (await records(labelFile())).filter((r) => r.id === 'k05' && r.annotator !== 'bo@example.com');
      assert.deepEqual(mine.map((r) => r.labels), [['billing', 'legacy']], 'accepting as shown keeps the label: nothing dropped unseen');
    });
  });
});
