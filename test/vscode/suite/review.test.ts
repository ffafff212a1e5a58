// The review loop inside a real VS Code: diagnostics on open, a quick fix writes the label file,
// the diagnostic goes, hover and status bar show the new state; the keyboard commands work.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, folder, loopmarkDiagnostics, readText, until } from '../helpers';


describe('review loop (real VS Code)', () => {
  const dataset = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'reviews.jsonl');
  const labels = (): vscode.Uri => vscode.Uri.joinPath(folder(), 'data', 'reviews.labels.jsonl');

  it('shows review diagnostics when a dataset opens', async () => {
    const document = await vscode.workspace.openTextDocument(dataset());
    await vscode.window.showTextDocument(document);
    const diagnostics = await until('loopmark diagnostics', () => {
      const d = loopmarkDiagnostics(document.uri);
      return d.length === 30 ? d : undefined;
    });
    const r003 = diagnostics.find((d) => d.range.start.line === 2)!;
    assert.equal(r003.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(r003.message, "Review: predicted 'neutral' (0.62)");
    assert.equal(r003.code, 'review');
    assert.equal(document.getText(r003.range), JSON.stringify('Does this model work with the older charging dock?'));
    const r001 = diagnostics.find((d) => d.range.start.line === 0)!;
    assert.equal(r001.severity, vscode.DiagnosticSeverity.Information);
  });

  it('a quick fix writes the label file, the diagnostic goes, hover and status bar show the new state', async () => {
    const document = await vscode.workspace.openTextDocument(dataset());
    await vscode.window.showTextDocument(document);
    const loopmark = await api();
    await until('status bar', () => (loopmark.status().text.includes('/30 labeled') ? true : undefined));
    const before = Number(/(\d+)\/30/.exec(loopmark.status().text)![1]);
    const r003 = await until('r003 diagnostic', () => loopmarkDiagnostics(document.uri).find((d) => d.range.start.line === 2));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, r003.range, vscode.CodeActionKind.QuickFix.value);
    const titles = actions.filter((a) => a.command?.command === 'loopmark.server.applyLabel').map((a) => a.title);
    assert.deepEqual(titles, ["Accept 'neutral'", "Label as 'positive'", "Label as 'negative'", 'Skip']);
    const accept = actions.find((a) => a.title === "Accept 'neutral'")!;
    assert.equal(accept.isPreferred, true);
    await vscode.commands.executeCommand(accept.command!.command, ...(accept.command!.arguments ?? []));
    const written = await until('label on disk', async () => {
      const text = await readText(labels());
      return text?.includes('"id":"r003"') ? text : undefined;
    }, 1000);
    assert.match(written, /"label":"neutral","answer":"accept","source":"prediction"/);
    assert.equal(document.isDirty, false, 'nothing to save');
    await until('the diagnostic to go', () => (loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === 2) ? undefined : true));
    await until('status bar update', () => (loopmark.status().text.startsWith(`$(tag) ${before + 1}/30 labeled`) ? true : undefined));
    assert.match(loopmark.status().text, /model: cold start/, 'the status bar says the model is still learning');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(2, 20));
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(hoverText, /Label: \*\*neutral\*\* \(prediction\)/);
    assert.match(hoverText, /Guideline for neutral/);
  });

  it('accept-at-cursor and next-sample commands work from the keyboard path', async () => {
    const document = await vscode.workspace.openTextDocument(dataset());
    const editor = await vscode.window.showTextDocument(document);
    await until('diagnostics', () => (loopmarkDiagnostics(document.uri).length > 0 ? true : undefined));
    editor.selection = new vscode.Selection(4, 5, 4, 5); // r005, predicted negative 0.91
    await vscode.commands.executeCommand('loopmark.acceptPrediction');
    await until('r005 on disk', async () => ((await readText(labels()))?.includes('"id":"r005"') ? true : undefined), 2000);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    // Next to review is the head of the queue: the most uncertain prediction (lowest score here).
    const queue = await (await api()).client()!.sendRequest<{ items: Array<{ uri: string; line: number; score?: number }> }>('loopmark/queue', { uri: document.uri.toString(), n: 100 });
    const head = queue.items[0]!;
    const scored = queue.items.filter((i) => i.score !== undefined);
    assert.ok(scored.every((i) => i.score! >= head.score!), `the queue starts with the least confident prediction: ${JSON.stringify(queue.items.slice(0, 4))}`);
    assert.ok(queue.items.slice(scored.length).every((i) => i.score === undefined), 'samples without a prediction come last');
    await vscode.commands.executeCommand('loopmark.nextSample');
    await until('the editor to move', () => (vscode.window.activeTextEditor?.selection.active.line === head.line ? true : undefined), 5000);
    assert.equal(vscode.window.activeTextEditor!.document.uri.toString(), head.uri);
  });
});
