// The task kinds Loopmark knows, by the `kind` a task names in loopmark.json. A new kind is a folder
// under kinds/ and one line below; nothing else in the workspace, the server or the CLI changes.
import { classify } from './classify';
import type { TaskKind } from './kind';
import { llm } from './llm';
import { spans } from './spans';

const kinds = new Map<string, TaskKind>();

/** Adds a kind (the built-in ones below; a test or an embedding program may add its own). */
export function registerKind(kind: TaskKind): void {
  kinds.set(kind.name, kind);
}

registerKind(classify);
registerKind(spans);
registerKind(llm);

/** The kind of a task; undefined for a name no kind has (the config reports it). */
export function kindNamed(name: string): TaskKind | undefined {
  return kinds.get(name);
}

/** The kind of a task, which config validation has checked exists. */
export function kindOf(task: { kind: string; name: string }): TaskKind {
  const kind = kinds.get(task.kind);
  if (!kind) throw new Error(`task '${task.name}' has kind '${task.kind}', which no plug-in provides (known: ${kindNames().join(', ')})`);
  return kind;
}

export function kindNames(): string[] {
  return [...kinds.keys()];
}
