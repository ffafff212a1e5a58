// Tool calls: arguments the trainer cannot parse, and calls no tool message answers (the model
// would learn to call and never see a result).

import { finding, type LlmFinding } from '../findings';
import { type Sample, allTurns } from '../sample';

export function toolFindings(sample: Sample): LlmFinding[] {
  const out: LlmFinding[] = [];
  const turns = allTurns(sample);
  const answered = new Set(turns.filter((t) => t.role === 'tool' && t.toolCallId).map((t) => t.toolCallId));
  turns.forEach((t, ti) => {
    for (const call of t.toolCalls ?? []) {
      if (typeof call.arguments === 'string') {
        try {
          const parsed: unknown = JSON.parse(call.arguments);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            out.push(finding('llm/tool-arguments-json', `The arguments of ${call.name || 'this tool call'} are JSON but not an object: a function takes named arguments.`, call.path));
        } catch (error) {
          const at = /position (\d+)/.exec(String((error as Error).message));
          const pos = at ? Math.min(Number(at[1]), call.arguments.length) : 0;
          out.push(finding('llm/tool-arguments-json', `The arguments of ${call.name || 'this tool call'} are not valid JSON (${(error as Error).message}).`, call.path, { range: { start: pos, end: Math.max(pos, call.arguments.length) } }));
        }
      } else if (call.arguments !== undefined && (typeof call.arguments !== 'object' || call.arguments === null || Array.isArray(call.arguments))) {
        out.push(finding('llm/tool-arguments-json', 'Tool-call arguments must be a JSON object written as a string.', call.path));
      }
      // Legacy function_call has no id: answered by a later function/tool message.
      const unanswered = call.id ? !answered.has(call.id) : !turns.slice(ti + 1).some((u) => u.role === 'function' || u.role === 'tool');
      if (unanswered) {
        const callPath = call.path.slice(0, -2);
        out.push(finding('llm/tool-call-unanswered', `No tool message answers the call ${call.id ? `"${call.id}" ` : ''}to ${call.name || 'a tool'}: the model learns to call and never sees a result.`, callPath.length ? callPath : call.path, { data: { callId: call.id ?? null } }));
      }
    }
  });
  return out;
}
