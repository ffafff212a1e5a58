// Server-side commands: `loopmark.server.applyLabel` writes a decision through the workspace's one
// decision path (validate, write durably, learn, refresh).
import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { InvalidDecisionError } from '../../core/kinds/kind';
import { parseDecision } from '../../core/workspace/decisions';
import { APPLY_LABEL_COMMAND } from '../../protocol';
import { guarded, located, type ServerContext } from '../context';

const USAGE = 'Loopmark: the label command needs {uri, decision: {sampleId, label (or labels: a list, for a multi-label task), answer, source?, score?}}';

export const SERVER_COMMANDS = [APPLY_LABEL_COMMAND];

export function listenCommands(context: ServerContext): void {
  context.connection.onExecuteCommand(async (params) => {
    const args = params.arguments?.[0] as { uri?: unknown; decision?: unknown } | undefined;
    // A quick fix from the first diagnostics of a document still being read waits for the rest.
    if (typeof args?.uri === 'string') await context.documents.loaded(args.uri);
    return guarded(context, 'writing a label', () => {
      if (params.command !== APPLY_LABEL_COMMAND) return null;
      const at = args && typeof args.uri === 'string' ? located(context, args.uri) : undefined;
      if (!args || !at) throw new ResponseError(ErrorCodes.InvalidParams, USAGE);
      let decision;
      try {
        decision = parseDecision(args.decision);
      } catch (error) {
        if (error instanceof InvalidDecisionError) throw new ResponseError(ErrorCodes.InvalidParams, `${USAGE}: ${error.message}`);
        throw error;
      }
      return context.service.decide(at, [decision])[0] ?? null;
    });
  });
}
