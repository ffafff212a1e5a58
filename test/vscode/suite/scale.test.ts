// Large datasets in the real VS Code: a 100,000-sample file opens with diagnostics where the editor
// looks, scrolling brings new ones, a quick fix works far down; a 60 MB file, which VS Code does not
// give to extensions, gets a clear message and the queue still works on it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, applyQuickFix, folder, loopmarkDiagnostics, readText, until } from '../helpers';

const WORDS = 'battery strap screen support refund charger great terrible okay arrived broke love fast slow price value sound display band sync update'.split(' ');

function writeDataset(file: string, samples: number, padTo: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  for (let start = 0; start < samples; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(samples, start + 10_000); i++) {
      let text = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} sample ${i}`;
      while (text.length < padTo) text += ` ${WORDS[(text.length + i) % WORDS.length]}`;
      lines.push(JSON.stringify({ id: `b${i}`, text, prediction: { label: ['positive', 'negative', 'neutral'][i % 3], score: (i % 97) / 100 } }));
    }
    fs.writeSync(fd, `${lines.join('\n')}\n`);
  }
  fs.closeSync(fd);
}

describe('large datasets (real VS Code)', function () {
  this.timeout(180_000);

  before(async () => {
    // The web workbench asks before opening large files in an editor; these tests open them on purpose.
    await vscode.workspace.getConfiguration('workbench').update('editorLargeFileConfirmation', 1024, vscode.ConfigurationTarget.Global);
  });

  it('a 100,000-sample file: diagnostics in view, new ones on scrolling, a quick fix far down', async () => {
    const file = path.join(folder().fsPath, 'data', 'reviews-100k.jsonl');
    writeDataset(file, 100_000, 150);
    const uri = vscode.Uri.file(file);
    const opening = Date.now();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const opened = Date.now();
    assert.equal(editor.document.lineCount, 100_001);
    const first = await until('diagnostics in view', () => {
      const d = loopmarkDiagnostics(uri).filter((x) => x.code !== 'more-to-review');
      return d.length > 0 ? d : undefined;
    }, 60_000);
    console.log(`      the editor took ${opened - opening} ms to open the 100k-sample file (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MB); first diagnostics ${Date.now() - opened} ms later`);
    assert.ok((await api()).openedByReference().includes(uri.toString()), 'the saved 20 MB document was opened by reference: the server read it from disk');
    assert.ok(first.every((d) => d.range.start.line < 400), 'only around what the editor shows');
    // An edit in the editor reaches the server as usual: line 3 gets a confident prediction.
    const line3 = editor.document.lineAt(3).text;
    const edited = line3.replace(/"score":[0-9.]+/, '"score":0.99');
    assert.ok(await editor.edit((e) => e.replace(editor.document.lineAt(3).range, edited)));
    await until('the edited sample re-diagnosed', () => loopmarkDiagnostics(uri).find((d) => d.range.start.line === 3 && /\(0\.99\)/.test(d.message)), 10_000);
    // Put line 3 back and save, so that closing the editor later asks nothing.
    assert.ok(await editor.edit((e) => e.replace(editor.document.lineAt(3).range, line3)));
    assert.ok(await editor.document.save());
    await until('the summary of the rest', () => loopmarkDiagnostics(uri).find((d) => d.code === 'more-to-review' && /more unlabeled samples outside the visible lines/.test(d.message)), 60_000);
    // Scroll to the middle of the file.
    editor.revealRange(new vscode.Range(50_000, 0, 50_000, 0), vscode.TextEditorRevealType.AtTop);
    editor.selection = new vscode.Selection(50_010, 0, 50_010, 0);
    const far = await until('diagnostics around line 50,000', () => loopmarkDiagnostics(uri).find((d) => d.range.start.line === 50_010), 30_000);
    // b50010 is predicted 'positive' (50010 % 3 === 0): correct it.
    await applyQuickFix(uri, far, "Label as 'negative'");
    const labels = vscode.Uri.file(path.join(folder().fsPath, 'data', 'reviews-100k.labels.jsonl'));
    await until('the label on disk', async () => ((await readText(labels))?.includes('"id":"b50010"') ? true : undefined), 5_000);
    await until('the diagnostic to go', () => (loopmarkDiagnostics(uri).some((d) => d.range.start.line === 50_010) ? undefined : true), 10_000);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(file);
    fs.rmSync(labels.fsPath, { force: true });
  });

  it('a 60 MB file: a clear message that the editor cannot show diagnostics; status and the queue work on it', async () => {
    const file = path.join(folder().fsPath, 'data', 'reviews-60mb.jsonl');
    writeDataset(file, 130_000, 440);
    assert.ok(fs.statSync(file).size > 60 * 1024 * 1024, `${fs.statSync(file).size} bytes`);
    const uri = vscode.Uri.file(file);
    const loopmark = await api();
    await vscode.commands.executeCommand('vscode.open', uri);
    await until('the message about files over 50 MB', () => (loopmark.tooLarge().includes(uri.toString()) ? true : undefined), 30_000);
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()), 'VS Code did not give the document to extensions');
    const client = loopmark.client()!;
    const status = await client.sendRequest<{ total: number }>('loopmark/status', { uri: uri.toString() });
    assert.equal(status.total, 130_000);
    // The queue spans the task's files; most of its candidates are in the big file.
    const queue = await client.sendRequest<{ items: Array<{ uri: string; sampleId: string }> }>('loopmark/queue', { uri: uri.toString(), n: 100 });
    assert.equal(queue.items.length, 100);
    assert.ok(queue.items.some((i) => i.uri === uri.toString()), 'the queue includes samples of the 60 MB file');
    const tab = (): string => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return `${input?.constructor.name} ${(input as { uri?: vscode.Uri } | undefined)?.uri?.toString()} editor=${vscode.window.activeTextEditor?.document.uri.toString()}`;
    };
    await until(`the status bar for the big file (status: ${JSON.stringify(loopmark.status())}, tab: ${tab()})`, () => (loopmark.status().text.includes('/130000 labeled') ? true : undefined), 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; now status ${JSON.stringify(loopmark.status())}, tab ${tab()}`);
    });
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(file);
  });
});
