import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('Restricted Mode (real VS Code)', () => {
  it('opens the fixture workspace untrusted', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1);
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(folders[0].uri, 'loopmark.json'));
  });
});
