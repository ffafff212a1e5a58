// Labeling the sample at the cursor: accept its prediction, or choose with the label picker (one
// label, or a set for a multi-label task). The client sends what the user chose; the server checks it
// and decides the rest (who, when, the source).
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import { APPLY_LABEL_COMMAND, LABEL_PICKER_COMMAND, SampleAtRequest, type ApplyLabelArgs, type Decision, type SampleChoice } from '../../../server/src/protocol';
import { plain } from '../plain';

async function applyDecision(client: LanguageClient, uri: vscode.Uri, decision: Decision): Promise<void> {
  const args: ApplyLabelArgs = { uri: uri.toString(), decision };
  await client.sendRequest(ExecuteCommandRequest.type, { command: APPLY_LABEL_COMMAND, arguments: [args] });
}

/** The sample at (uri, line), or at the cursor; tells the user when there is none. */
async function sampleAt(client: LanguageClient, at?: { uri: string; line: number }): Promise<{ uri: vscode.Uri; sample: SampleChoice } | undefined> {
  const editor = vscode.window.activeTextEditor;
  const uri = at ? vscode.Uri.parse(at.uri) : editor?.document.uri;
  const line = at ? at.line : editor?.selection.active.line;
  if (!uri || line === undefined) return undefined;
  const sample = await client.sendRequest(SampleAtRequest.type, { uri: uri.toString(), line });
  if (!sample) {
    void vscode.window.showInformationMessage('Loopmark: the cursor is not on a sample of a dataset.');
    return undefined;
  }
  return { uri, sample };
}

/** The label picker of a single-label task: a label of the set, or Skip. */
async function pickLabel(client: LanguageClient, uri: vscode.Uri, sample: SampleChoice): Promise<void> {
  type Item = vscode.QuickPickItem & { decision: Decision };
  const withScore = sample.score === undefined ? {} : { score: sample.score };
  const items: Item[] = sample.labels.map((label) => {
    const predicted = label.name === sample.predictedLabel;
    return {
      label: plain(label.name),
      description: [predicted ? `predicted ${sample.score?.toFixed(2)}` : '', label.name === sample.currentLabel ? 'current' : ''].filter(Boolean).join(' · '),
      detail: label.description ? plain(label.description) : undefined,
      decision: {
        sampleId: sample.sampleId,
        label: label.name,
        answer: 'accept',
        ...withScore,
      },
    };
  });
  items.push({
    label: 'Skip',
    description: 'answer: ignore',
    decision: { sampleId: sample.sampleId, label: sample.predictedLabel ?? '', answer: 'ignore', ...withScore },
  });
  const picked = await vscode.window.showQuickPick(items, { title: `Label sample ${plain(sample.sampleId)}`, placeHolder: 'Choose a label', matchOnDetail: true });
  if (picked) await applyDecision(client, uri, picked.decision);
}

/**
 * The label picker of a multi-label task: several labels can be chosen, the current set (labeled, else
 * predicted) is pre-selected, and what is chosen when accepting is the complete set (none: the empty
 * set). Label names and descriptions only, as plain text. Skipping is the quick fix's.
 */
async function pickLabelSet(client: LanguageClient, uri: vscode.Uri, sample: SampleChoice): Promise<void> {
  type Item = vscode.QuickPickItem & { name: string };
  const predicted = sample.predictedLabels;
  const current = new Set(sample.currentLabels ?? predicted ?? []);
  const items: Item[] = sample.labels.map((label) => {
    const p = sample.scores?.[label.name];
    const notes = [
      predicted?.includes(label.name) ? `predicted${p === undefined ? '' : ` ${p.toFixed(2)}`}` : p === undefined ? '' : p.toFixed(2),
      sample.currentLabels?.includes(label.name) ? 'current' : '',
    ];
    return {
      label: plain(label.name),
      description: notes.filter(Boolean).join(' · '),
      detail: label.description ? plain(label.description) : undefined,
      picked: current.has(label.name),
      name: label.name,
    };
  });
  // Labels of the current set that loopmark.json no longer declares stay visible (ticked), so that
  // accepting never drops them unseen: the annotator keeps or unticks them.
  const declared = new Set(sample.labels.map((l) => l.name));
  for (const name of sample.currentLabels ?? []) {
    if (!declared.has(name)) items.push({ label: plain(name), description: 'current · not in the label set of loopmark.json', picked: true, name });
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `Labels of sample ${plain(sample.sampleId)}`,
    placeHolder: 'Choose every label that applies (none: the sample has none of them)',
    canPickMany: true,
    matchOnDetail: true,
  });
  if (!picked) return;
  const labels = picked.map((item) => item.name).sort();
  await applyDecision(client, uri, {
    sampleId: sample.sampleId,
    labels,
    answer: 'accept',
    ...(sample.score === undefined ? {} : { score: sample.score }),
  });
}

export function registerLabelCommands(context: vscode.ExtensionContext, client: LanguageClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('loopmark.acceptPrediction', async () => {
      const at = await sampleAt(client);
      if (!at) return;
      if (at.sample.predictedLabel === undefined) {
        void vscode.window.showInformationMessage('Loopmark: this sample has no prediction to accept; use "Label Sample" instead.');
        return;
      }
      await applyDecision(client, at.uri, {
        sampleId: at.sample.sampleId,
        // A multi-label task accepts the whole predicted set.
        ...(at.sample.multiLabel ? { labels: at.sample.predictedLabels ?? [] } : { label: at.sample.predictedLabel }),
        answer: 'accept',
        ...(at.sample.score === undefined ? {} : { score: at.sample.score }),
      });
    }),
    vscode.commands.registerCommand(LABEL_PICKER_COMMAND, async (uriText?: string, line?: number) => {
      const at = await sampleAt(client, typeof uriText === 'string' && typeof line === 'number' ? { uri: uriText, line } : undefined);
      if (!at) return;
      if (at.sample.multiLabel) await pickLabelSet(client, at.uri, at.sample);
      else await pickLabel(client, at.uri, at.sample);
    }),
  );
}
