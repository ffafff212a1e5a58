// "Write Inferred loopmark.json": the server infers the configuration from the workspace's data; the
// client writes it (after asking, when one exists) and opens it.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { InferredConfigRequest } from '../../../server/src/protocol';

export function registerWriteConfig(context: vscode.ExtensionContext, client: LanguageClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('loopmark.writeConfig', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) return;
      const result = await client.sendRequest(InferredConfigRequest.type, { folderUri: folder.uri.toString() });
      if (!result) return;
      const uri = vscode.Uri.parse(result.uri);
      const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
      if (exists) {
        const choice = await vscode.window.showWarningMessage('loopmark.json already exists. Replace it with the inferred configuration?', { modal: true }, 'Replace');
        if (choice !== 'Replace') return;
      }
      await vscode.workspace.fs.writeFile(uri, Buffer.from(result.text, 'utf8'));
      await vscode.window.showTextDocument(uri);
    }),
  );
}
