// A dataset is whatever a task's `files` match, not a `.jsonl`: the extension syncs every file and
// asks the server, so a task over NDJSON exports (or, later, spans in source files) works in the editor.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, folder, loopmarkDiagnostics, until } from '../helpers';

describe('datasets of any file name (real VS Code)', () => {
  it('a task over .ndjson files: diagnostics and the status bar; a file no task reads gets no status bar', async () => {
    const loopmark = await api();
    const uri = vscode.Uri.joinPath(folder(), 'exports', 'calls.ndjson');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const diagnostics = await until('diagnostics of the .ndjson dataset', () => {
      const d = loopmarkDiagnostics(uri);
      return d.length === 2 ? d : undefined;
    });
    assert.equal(diagnostics.find((d) => d.range.start.line === 1)?.message, "Review: predicted 'escalated' (0.58)");
    await until(`the status bar of the .ndjson dataset (now ${JSON.stringify(loopmark.status())})`, () => (loopmark.status().visible && loopmark.status().text.includes('0/2 labeled') ? true : undefined));
    const notes = vscode.Uri.joinPath(folder(), 'exports', 'README.txt');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(notes));
    await until('the status bar hidden for a file no task reads', () => (loopmark.status().visible ? undefined : true));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
