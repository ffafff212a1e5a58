// "Next Sample to Review": the server picks it (the task's queue strategy); the client shows it.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { NextSampleRequest } from '../../../server/src/protocol';
import { revealSample } from '../views/reviewQueue';

export function registerNextSample(context: vscode.ExtensionContext, client: LanguageClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('loopmark.nextSample', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const next = await client.sendRequest(NextSampleRequest.type, { uri: editor.document.uri.toString(), line: editor.selection.active.line });
      if (!next) {
        void vscode.window.showInformationMessage('Loopmark: no sample left to review here.');
        return;
      }
      await revealSample(next);
    }),
  );
}
