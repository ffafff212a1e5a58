// The Review Queue view: the next samples to review, in the task's queue order. Dataset text is
// untrusted, so it only ever appears as plain tree item labels and plain-string tooltips.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { QueueRequest, type QueueEntry } from '../../../server/src/protocol';
import { plain } from '../plain';

const QUEUE_LENGTH = 50;

export class ReviewQueueProvider implements vscode.TreeDataProvider<QueueEntry> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private items: QueueEntry[] = [];

  /** `describe` shows which task and strategy the queue follows (the view's description). */
  constructor(
    private readonly client: LanguageClient,
    private readonly describe: (text: string) => void,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(entry: QueueEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(plain(entry.excerpt), vscode.TreeItemCollapsibleState.None);
    const prediction = entry.label === undefined ? 'no prediction' : `${entry.label} ${entry.score?.toFixed(2)}${entry.origin === 'model' ? ' (model)' : ''}`;
    item.description = entry.disagreement ? `${prediction} · disagree` : prediction;
    item.tooltip = `${entry.sampleId} · line ${entry.line + 1}\n${prediction}${entry.disagreement ? `\nDisagreement: ${entry.disagreement}` : ''}\n\n${entry.excerpt}`;
    item.iconPath = new vscode.ThemeIcon(entry.disagreement ? 'git-compare' : entry.label === undefined ? 'circle-outline' : 'question');
    item.command = { title: 'Go to Sample', command: 'loopmark.revealSample', arguments: [entry] };
    item.id = `${entry.uri}#${entry.sampleId}`;
    return item;
  }

  async getChildren(element?: QueueEntry): Promise<QueueEntry[]> {
    if (element) return [];
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const result = await this.client.sendRequest(QueueRequest.type, { ...(uri ? { uri } : {}), n: QUEUE_LENGTH }).catch(() => null);
    this.items = result?.items ?? [];
    this.describe(result ? `${result.task} · ${result.strategy}` : '');
    return this.items;
  }

  /** The entries last shown, for tests. */
  shown(): readonly QueueEntry[] {
    return this.items;
  }
}

/**
 * Shows a sample. `vscode.open` also works for files over 50 MB, which VS Code shows but never gives
 * to extensions as documents.
 */
export async function revealSample(entry: { uri: string; line: number; character?: number; endCharacter?: number }): Promise<void> {
  const start = new vscode.Position(entry.line, entry.character ?? 0);
  const selection = new vscode.Range(start, start);
  await vscode.commands.executeCommand('vscode.open', vscode.Uri.parse(entry.uri), { selection, preview: false });
}

/** Waits this long after a change before asking again: a burst of labels refreshes the view once. */
const REFRESH_DELAY_MS = 150;

/** The Review Queue view and its commands (refresh, go to a sample). */
export function createReviewQueue(context: vscode.ExtensionContext, client: LanguageClient): { provider: ReviewQueueProvider; refreshSoon(): void } {
  let view: vscode.TreeView<QueueEntry> | undefined;
  const provider = new ReviewQueueProvider(client, (text) => {
    if (view) view.description = text;
  });
  view = vscode.window.createTreeView('loopmark.reviewQueue', { treeDataProvider: provider, showCollapseAll: false });
  let timer: NodeJS.Timeout | undefined;
  context.subscriptions.push(
    view,
    { dispose: () => clearTimeout(timer) },
    vscode.commands.registerCommand('loopmark.revealSample', (entry: { uri: string; line: number }) => revealSample(entry)),
    vscode.commands.registerCommand('loopmark.refreshQueue', () => provider.refresh()),
  );
  return {
    provider,
    refreshSoon: () => {
      clearTimeout(timer);
      timer = setTimeout(() => provider.refresh(), REFRESH_DELAY_MS);
    },
  };
}
