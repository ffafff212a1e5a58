// The lines each editor shows of a dataset, sent to the server (loopmark/visibleRanges): diagnostics
// of a large dataset focus there. Only for datasets (the server's answer): each notification makes
// the server refresh diagnostics, which scrolling any other file must not cause.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { VisibleRangesNotification } from '../../server/src/protocol';
import type { Datasets } from './datasets';

/** Scrolling sends the ranges once it pauses this long. */
const SCROLL_DELAY_MS = 100;

export class VisibleRanges implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: LanguageClient, private readonly datasets: Datasets) {}

  async send(editor: vscode.TextEditor): Promise<void> {
    if (this.client.state !== State.Running) return;
    const uri = editor.document.uri.toString();
    if (!(await this.datasets.isDataset(uri))) return;
    const ranges = editor.visibleRanges.map((r): [number, number] => [r.start.line, r.end.line]);
    void this.client.sendNotification(VisibleRangesNotification.type, { uri, ranges });
  }

  sendSoon(editor: vscode.TextEditor): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.send(editor), SCROLL_DELAY_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
