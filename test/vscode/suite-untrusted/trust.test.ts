// Restricted Mode in the real VS Code: labeling works; nothing goes to an external model.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, applyQuickFix, folder, loopmarkDiagnostics, readText, startPredictor, until } from '../helpers';

describe('Restricted Mode (real VS Code)', () => {
  it('opens the fixture workspace untrusted', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder(), 'loopmark.json'));
  });

  it('labeling still works: diagnostics, a quick fix, the label on disk', async () => {
    const uri = vscode.Uri.joinPath(folder(), 'data', 'reviews.jsonl');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const r003 = await until('diagnostics', () => loopmarkDiagnostics(uri).find((d) => d.range.start.line === 2));
    await applyQuickFix(uri, r003, "Accept 'neutral'");
    await until('the label on disk', async () => ((await readText(vscode.Uri.joinPath(folder(), 'data', 'reviews.labels.jsonl')))?.includes('"id":"r003"') ? true : undefined), 2000);
  });

  it('sends nothing to an external model even when one is configured', async () => {
    const predictor = await startPredictor();
    try {
      const loopmark = await api();
      const restartedBefore = loopmark.client()!.initializeResult;
      // A user-level setting (a workspace-level one is ignored by VS Code itself in Restricted Mode).
      await vscode.workspace.getConfiguration('loopmark.externalModel').update('url', predictor.url, vscode.ConfigurationTarget.Global);
      await until('the server restarted with the setting', () => (loopmark.client()!.initializeResult !== restartedBefore && loopmark.client()!.isRunning() ? true : undefined));
      const uri = vscode.Uri.joinPath(folder(), 'data', 'reviews-unscored.jsonl');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      // Pull diagnostics and the queue several times: each would ask the external model if it were on.
      for (let i = 0; i < 5; i++) {
        await loopmark.client()!.sendRequest('loopmark/queue', { uri: uri.toString(), n: 10 });
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.equal(predictor.requests(), 0, 'no request in Restricted Mode');
      assert.equal(loopmarkDiagnostics(uri).length, 0, 'no prediction for samples without one');
    } finally {
      await vscode.workspace.getConfiguration('loopmark.externalModel').update('url', undefined, vscode.ConfigurationTarget.Global);
      await predictor.close();
    }
  });
});
