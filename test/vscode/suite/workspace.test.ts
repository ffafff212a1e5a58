import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('workspace (real VS Code)', () => {
  it('opens exactly one folder, the fixture workspace with loopmark.json', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, `workspace folders: ${folders.map((f) => f.uri.toString()).join(', ')}`);
    const config = vscode.Uri.joinPath(folders[0].uri, 'loopmark.json');
    const stat = await vscode.workspace.fs.stat(config);
    assert.equal(stat.type & vscode.FileType.File, vscode.FileType.File, `${config.toString()} is not a file`);
  });

  it('runs in a trusted workspace', () => {
    assert.equal(vscode.workspace.isTrusted, true);
  });
});
