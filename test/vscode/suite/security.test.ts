// Trusted workspace in the real VS Code: the external model is used; hostile dataset text stays inert;
// a crashed server comes back.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { api, folder, loopmarkDiagnostics, startPredictor, until } from '../helpers';

describe('trust, untrusted data and crashes (real VS Code)', () => {
  it('asks the configured external model and shows its predictions', async () => {
    const predictor = await startPredictor();
    try {
      const loopmark = await api();
      const before = loopmark.client()!.initializeResult;
      await vscode.workspace.getConfiguration('loopmark.externalModel').update('url', predictor.url, vscode.ConfigurationTarget.Global);
      await until('the server restarted with the setting', () => (loopmark.client()!.initializeResult !== before && loopmark.client()!.isRunning() ? true : undefined));
      const uri = vscode.Uri.joinPath(folder(), 'data', 'reviews-unscored.jsonl');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      const diagnostics = await until('external predictions', () => {
        const d = loopmarkDiagnostics(uri);
        return d.length === 4 ? d : undefined;
      });
      assert.ok(predictor.requests() >= 1);
      assert.ok(diagnostics.every((d) => d.message === "Suggestion: model predicted 'negative' (0.97)"), diagnostics.map((d) => d.message).join('; '));
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(0, 20));
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.ok(text.includes('external model (http\\:127\\.0\\.0\\.1'), text); // Markdown-escaped
    } finally {
      await vscode.workspace.getConfiguration('loopmark.externalModel').update('url', undefined, vscode.ConfigurationTarget.Global);
      await predictor.close();
    }
  });

  it('escapes hostile dataset text in hovers: no HTML, no links, no command: URIs, untrusted Markdown', async () => {
    const uri = vscode.Uri.joinPath(folder(), 'data', 'reviews-payloads.jsonl');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    await until('diagnostics', () => (loopmarkDiagnostics(uri).length === 5 ? true : undefined));
    for (let line = 0; line < 5; line++) {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 20));
      const contents = hovers.flatMap((h) => h.contents).filter((c): c is vscode.MarkdownString => typeof c !== 'string' && 'isTrusted' in c);
      assert.ok(contents.length > 0, `a hover on line ${line}`);
      for (const markdown of contents) {
        assert.ok(!markdown.isTrusted, 'hover Markdown is not trusted');
        assert.ok(!markdown.supportHtml, 'hover Markdown renders no HTML');
        assert.doesNotMatch(markdown.value, /<(img|script)/i, 'no raw HTML');
        assert.doesNotMatch(markdown.value, /\]\(/, 'no Markdown link can form');
      }
    }
  });

  it('shows hostile dataset text in the Review Queue as plain text only', async () => {
    const loopmark = await api();
    const uri = vscode.Uri.joinPath(folder(), 'data', 'reviews-payloads.jsonl');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const provider = loopmark.queue();
    const entries = await until('queue entries from the payloads file', async () => {
      const all = await provider.getChildren();
      const mine = all.filter((e) => e.uri === uri.toString());
      return mine.length === 5 ? mine : undefined;
    });
    for (const entry of entries) {
      const item = provider.getTreeItem(entry);
      assert.equal(typeof item.label, 'string', 'a tree label is never Markdown');
      assert.equal(typeof item.tooltip, 'string', 'the tooltip is a plain string, not a MarkdownString');
      assert.doesNotMatch(String(item.label), /\$\(/, 'no codicon syntax from data');
    }
    assert.ok(entries.some((e) => provider.getTreeItem(e).label === '<script>alert(\'pwned\')</script>'), 'the text is shown as it is, not interpreted');
  });

  it('restarts a killed server, says so, and comes back with the labels from disk', async () => {
    const loopmark = await api();
    const uri = vscode.Uri.joinPath(folder(), 'data', 'reviews.jsonl');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await until('diagnostics', () => (loopmarkDiagnostics(uri).length > 0 ? true : undefined));
    const children = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'dist/server.js'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    assert.equal(children.length, 1, 'one language server process');
    const restarts = loopmark.restarts();
    process.kill(Number(children[0]), 'SIGKILL');
    await until('the restart', () => (loopmark.restarts() === restarts + 1 && loopmark.client()!.isRunning() ? true : undefined));
    const status = await until('the status after the restart', async () => {
      const s = await loopmark.client()!.sendRequest<{ labeled: number } | null>('loopmark/status', { uri: uri.toString() }).catch(() => null);
      return s ?? undefined;
    });
    assert.ok(status.labeled >= 1, 'labels written before the crash are back');
  });
});
