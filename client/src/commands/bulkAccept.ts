// "Accept All Predictions Above a Score": asks for the score, shows the server's count by label,
// confirms, and lets the server accept them in one durable write.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ACCEPT_ABOVE_COMMAND, BulkAcceptRequest, BulkPreviewRequest } from '../../../server/src/protocol';
import { plain } from '../plain';

export function registerBulkAccept(context: vscode.ExtensionContext, client: LanguageClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(ACCEPT_ABOVE_COMMAND, async (uriText?: string, threshold?: number) => {
      const uri = uriText ?? vscode.window.activeTextEditor?.document.uri.toString();
      if (!uri) return;
      const answer = await vscode.window.showInputBox({
        title: 'Accept all predictions above a score',
        prompt: 'Minimum score (0 to 1) of the predictions to accept in this file',
        value: String(threshold ?? 0.9),
        validateInput: (v) => (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1 ? undefined : 'A number between 0 and 1'),
      });
      if (answer === undefined) return;
      const minScore = Number(answer);
      const preview = await client.sendRequest(BulkPreviewRequest.type, { uri, minScore });
      if (preview.count === 0) {
        void vscode.window.showInformationMessage(`Loopmark: no unlabeled sample has a prediction scoring ${minScore} or more.`);
        return;
      }
      const split = Object.entries(preview.byLabel).map(([label, n]) => `${n} ${plain(label)}`).join(', ');
      const choice = await vscode.window.showWarningMessage(
        `Accept ${preview.count} predictions with a score of ${minScore} or more (${split})?`,
        { modal: true, detail: 'Each becomes a label written to the label file, as if accepted one by one.' },
        'Accept',
      );
      if (choice !== 'Accept') return;
      const { written } = await client.sendRequest(BulkAcceptRequest.type, { uri, minScore });
      void vscode.window.showInformationMessage(`Loopmark: accepted ${written} predictions.`);
    }),
  );
}
