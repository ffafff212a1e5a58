// The Loopmark that runs here is the one `code-server --install-extension loopmark-0.1.0.vsix`
// put into the extensions dir (LOOPMARK_PACKAGE_EXTENSIONS_DIR, set by test/package/run.js and
// inherited by the extension host), not the repository: the review loop must work from there.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, folder, loopmarkDiagnostics, readText, until } from '../../vscode/helpers';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

describe('installed .vsix (real VS Code)', () => {
  it('the loaded Loopmark is the installed copy in the extensions dir, not the repository', () => {
    const extensionsDir = process.env.LOOPMARK_PACKAGE_EXTENSIONS_DIR;
    assert.ok(extensionsDir, 'LOOPMARK_PACKAGE_EXTENSIONS_DIR reaches the extension host');
    const extension = vscode.extensions.getExtension('loopmark.loopmark');
    assert.ok(extension, 'loopmark.loopmark is loaded');
    const real = fs.realpathSync(extension.extensionPath);
    assert.equal(path.dirname(real), fs.realpathSync(extensionsDir), `extensionPath ${real}`);
    assert.ok(!real.startsWith(REPO + path.sep), `extensionPath ${real} is inside the repository ${REPO}`);
    assert.equal(extension.packageJSON.version, '0.1.0');
    // What is not packaged is not there: the tests and the sources stay in the repository.
    assert.equal(fs.existsSync(path.join(real, 'dist', 'server.js')), true);
    assert.equal(fs.existsSync(path.join(real, 'client')), false);
    assert.equal(fs.existsSync(path.join(real, 'out')), false);
  });

  it('opens a dataset, shows its diagnostics, and a quick fix writes the label file', async () => {
    const dataset = vscode.Uri.joinPath(folder(), 'data', 'reviews.jsonl');
    const labels = vscode.Uri.joinPath(folder(), 'data', 'reviews.labels.jsonl');
    const document = await vscode.workspace.openTextDocument(dataset);
    await vscode.window.showTextDocument(document);
    const diagnostics = await until('loopmark diagnostics', () => {
      const d = loopmarkDiagnostics(document.uri);
      return d.length === 30 ? d : undefined;
    }, 45_000);
    const r003 = diagnostics.find((d) => d.range.start.line === 2)!;
    assert.equal(r003.message, "Review: predicted 'neutral' (0.62)");
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, r003.range, vscode.CodeActionKind.QuickFix.value);
    const accept = actions.find((a) => a.title === "Accept 'neutral'");
    assert.ok(accept?.command, `quick fixes: ${actions.map((a) => a.title).join(', ')}`);
    await vscode.commands.executeCommand(accept.command.command, ...(accept.command.arguments ?? []));
    const written = await until('label on disk', async () => {
      const text = await readText(labels);
      return text?.includes('"id":"r003"') ? text : undefined;
    }, 5000);
    assert.match(written, /"label":"neutral","answer":"accept","source":"prediction"/);
    await until('the diagnostic to go', () => (loopmarkDiagnostics(document.uri).some((d) => d.range.start.line === 2) ? undefined : true));
    const loopmark = await api();
    await until('status bar', () => (/\d+\/30 labeled/.test(loopmark.status().text) ? true : undefined));
  });
});
