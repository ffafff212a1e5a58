// VS Code does not give extensions the text of files over 50 MB: for such a dataset, say so once per
// file, and point to what still works on it (read from disk by the server).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Datasets } from '../datasets';

/** VS Code's limit on the files it gives to extensions. */
const EXTENSION_FILE_LIMIT_BYTES = 50 * 1024 * 1024;

export class TooLargeNotice {
  private readonly warned = new Set<string>();

  constructor(private readonly datasets: Datasets) {}

  /** The files the user was told about (for the integration tests). */
  files(): string[] {
    return [...this.warned];
  }

  async check(): Promise<void> {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (!(input instanceof vscode.TabInputText) || input.uri.scheme !== 'file') return;
    const key = input.uri.toString();
    if (this.warned.has(key) || vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) return;
    const stat = await vscode.workspace.fs.stat(input.uri).then((s) => s, () => undefined);
    // The size first (a stat), then the server: only a dataset is worth a message.
    if (!stat || stat.size < EXTENSION_FILE_LIMIT_BYTES || !(await this.datasets.isDataset(key))) return;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    const name = path.basename(input.uri.path);
    const size = Math.round(stat.size / (1024 * 1024));
    const choice = await vscode.window.showInformationMessage(
      `Loopmark: ${name} is ${size} MB. VS Code does not give extensions files over 50 MB, so Loopmark cannot show diagnostics or quick fixes in this editor. The Review Queue, "Next Sample to Review", the status bar and the loopmark CLI still work on it (read from disk).`,
      'Open Review Queue',
    );
    if (choice) await vscode.commands.executeCommand('loopmark.reviewQueue.focus');
  }
}
