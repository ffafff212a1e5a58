// Code actions: the quick fixes of a finding, built by its task's kind from the diagnostic's data
// (never from the message), and the source action that accepts every prediction above a score.
import { CodeActionKind, type CodeAction } from 'vscode-languageserver/node';
import type { FindingData } from '../../core/kinds/kind';
import { kindOf } from '../../core/kinds/registry';
import { ACCEPT_ABOVE_COMMAND, ACCEPT_ABOVE_KIND, APPLY_LABEL_COMMAND, LABEL_PICKER_COMMAND, type ApplyLabelArgs } from '../../protocol';
import { onDocument, type ServerContext } from '../context';

function isFindingData(value: unknown): value is FindingData {
  return value !== null && typeof value === 'object' && typeof (value as FindingData).sampleId === 'string' && (value as FindingData).sampleId !== '';
}

export function listenCodeActions(context: ServerContext): void {
  context.connection.onCodeAction((params) =>
    onDocument(context, params.textDocument.uri, 'listing code actions', [] as CodeAction[], (at) => {
      const entry = at.project.entry(at.file);
      if (!entry) return [];
      const task = at.project.effectiveTask(entry);
      const uri = params.textDocument.uri;
      // Source actions only when asked for (the Source Action menu), never in the quick fix list.
      if (params.context.only?.some((kind) => ACCEPT_ABOVE_KIND.startsWith(kind))) {
        return [{
          title: 'Accept all predictions above a score in this file…',
          kind: ACCEPT_ABOVE_KIND,
          command: { title: 'Accept all predictions above a score', command: ACCEPT_ABOVE_COMMAND, arguments: [uri, task.threshold] },
        }];
      }
      const kind = kindOf(task);
      const actions: CodeAction[] = [];
      for (const diagnostic of params.context.diagnostics) {
        if (diagnostic.source !== 'loopmark' || typeof diagnostic.code !== 'string' || !isFindingData(diagnostic.data)) continue;
        for (const action of kind.actions(task, { code: diagnostic.code, data: diagnostic.data })) {
          if (action.edit) {
            // A fix of the dataset itself: a versioned edit, so a client refuses it once the document has changed.
            const version = context.documents.version(uri) ?? null;
            const edits = action.edit.map((e) => ({ range: { start: { line: e.line, character: e.start }, end: { line: e.line, character: e.end } }, newText: e.newText }));
            actions.push({
              title: action.title,
              kind: CodeActionKind.QuickFix,
              diagnostics: [diagnostic],
              isPreferred: action.isPreferred,
              edit: { documentChanges: [{ textDocument: { uri, version }, edits }] },
            });
            continue;
          }
          if (!action.decision) {
            // The label picker, for the sample on the diagnostic's line.
            actions.push({
              title: action.title,
              kind: CodeActionKind.QuickFix,
              diagnostics: [diagnostic],
              command: { title: action.title, command: LABEL_PICKER_COMMAND, arguments: [uri, diagnostic.range.start.line] },
            });
            continue;
          }
          const args: ApplyLabelArgs = { uri, decision: action.decision };
          actions.push({
            title: action.title,
            kind: CodeActionKind.QuickFix,
            diagnostics: [diagnostic],
            isPreferred: action.isPreferred,
            command: { title: action.title, command: APPLY_LABEL_COMMAND, arguments: [args] },
          });
        }
      }
      return actions;
    }),
  );
}
