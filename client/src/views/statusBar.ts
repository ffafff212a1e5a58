// The status bar item of the dataset the user looks at (labeled / total, the model's state), and the
// `loopmark.isDataset` context key the keybindings and the palette use: both from the server's answer.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import type { DatasetStatus } from '../../../server/src/protocol';
import type { Datasets } from '../datasets';

/**
 * The document the user looks at: the active text editor's, or a tab VS Code did not give to
 * extensions (over 50 MB), which has a tab but no text editor while the last text editor may still be
 * "active". Whether it is a dataset is the server's to say.
 */
export function activeUri(): vscode.Uri | undefined {
  const editor = vscode.window.activeTextEditor;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText && input.uri.scheme === 'file' && input.uri.toString() !== editor?.document.uri.toString()) return input.uri;
  return editor?.document.uri;
}

function tooltip(result: DatasetStatus): string {
  const model = result.model;
  const modelTip = !model || model.state === 'off'
    ? `The embedded model is off for this task${model?.reason ? `: ${model.reason}` : ''}.`
    : model.state === 'cold'
      ? `The embedded model is in cold start: it needs ${model.minExamplesPerLabel} labels of each label (now: ${Object.entries(model.counts).map(([l, c]) => `${l} ${c}`).join(', ') || 'none'}). Until then its predictions show only in hovers.`
      : `The embedded model has learned from ${model.examples} labels.`;
  return `Loopmark · task ${result.task}: ${result.labeled} of ${result.total} samples labeled, ${result.needsReview} to review${result.errors ? `, ${result.errors} invalid lines` : ''}.\n${modelTip}\nClick for the next sample to review.`;
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('loopmark.status', vscode.StatusBarAlignment.Left, 100);
  private visible = false;

  constructor(private readonly client: LanguageClient, private readonly datasets: Datasets) {
    this.item.name = 'Loopmark';
    this.item.command = 'loopmark.nextSample';
  }

  /** The item's text and whether it is shown (for the integration tests). */
  shown(): { text: string; visible: boolean } {
    return { text: this.item.text, visible: this.visible };
  }

  async update(): Promise<void> {
    const uri = activeUri();
    if (!uri || this.client.state !== State.Running) {
      this.show(false);
      return;
    }
    const result = await this.datasets.status(uri.toString());
    await vscode.commands.executeCommand('setContext', 'loopmark.isDataset', result !== null);
    if (!result) {
      this.show(false);
      return;
    }
    const model = result.model;
    const modelText = !model || model.state === 'off' ? '' : model.state === 'cold' ? ' · $(beaker) model: cold start' : ' · $(beaker) model';
    this.item.text = `$(tag) ${result.labeled}/${result.total} labeled${modelText}`;
    this.item.tooltip = tooltip(result);
    this.show(true);
  }

  private show(visible: boolean): void {
    this.visible = visible;
    if (visible) this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
