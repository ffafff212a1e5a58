// Shared by the suites that run inside the real VS Code.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as vscode from 'vscode';
import type { LoopmarkApi } from '../../client/src/extension';

export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function folder(): vscode.Uri {
  return vscode.workspace.workspaceFolders![0]!.uri;
}

export function loopmarkDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'loopmark');
}

export async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

export async function api(): Promise<LoopmarkApi> {
  const extension = vscode.extensions.getExtension<LoopmarkApi>('loopmark.loopmark');
  assert.ok(extension, 'the Loopmark extension is loaded');
  return extension.activate();
}

/** A real HTTP predictor on 127.0.0.1 that answers 'negative' 0.97 for every sample and counts requests. */
export async function startPredictor(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests++;
      const { samples } = JSON.parse(body) as { samples: Array<{ id: string }> };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ predictions: samples.map((s) => ({ id: s.id, label: 'negative', score: 0.97 })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/predict`, requests: () => requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** Applies the quick fix with this title on a diagnostic. */
export async function applyQuickFix(uri: vscode.Uri, diagnostic: vscode.Diagnostic, title: string): Promise<void> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
  const action = actions.find((a) => a.title === title);
  assert.ok(action, `quick fix '${title}' among ${actions.map((a) => a.title).join(', ')}`);
  await vscode.commands.executeCommand(action.command!.command, ...(action.command!.arguments ?? []));
}
