// loopmark.json: parsed with positions (so errors point at the right line), validated against the
// same JSON schema the extension contributes to VS Code, and resolved into tasks with defaults.
import Ajv from 'ajv';
import * as jsonc from 'jsonc-parser';
import { posix } from 'node:path';
import picomatch from 'picomatch';
import schema from '../../../schemas/loopmark.schema.json';
import { kindNamed, kindNames } from './kinds/registry';
import type { LabelDef, LineProblem, QueueStrategy, Task } from './types';

export const CONFIG_FILE = 'loopmark.json';
export const DEFAULT_LABEL_FILE = '${dir}/${name}.labels.jsonl';
export const DEFAULT_PREDICTIONS_FILE = '${dir}/${name}.predictions.jsonl';

export interface Config {
  tasks: Task[];
  annotator?: string;
  problems: LineProblem[];
  /** False when there was no loopmark.json and the task was inferred. */
  declared: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

function offsetToProblem(text: string, offset: number, length: number, message: string): LineProblem {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Lines end as the editor counts them: \n, \r\n, or a lone \r.
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, start: offset - lineStart, end: offset - lineStart + Math.max(1, length), message };
}

/** True when the kind of a raw task declares `field` among its own settings. */
function kindDeclares(rawTask: unknown, field: string): boolean {
  const kind = rawTask !== null && typeof rawTask === 'object' ? (rawTask as Record<string, unknown>)['kind'] : undefined;
  return typeof kind === 'string' && kindNamed(kind)?.settings?.properties[field] !== undefined;
}

const kindValidators = new Map<string, ReturnType<Ajv['compile']>>();

/** Checks a task's fields of its kind against the kind's section of the schema, with positions. */
function validateKindSettings(text: string, tree: jsonc.Node | undefined, index: number, raw: Record<string, unknown>, kind: string, properties: Record<string, object>): LineProblem[] {
  let check = kindValidators.get(kind);
  if (!check) {
    check = ajv.compile({ type: 'object', properties });
    kindValidators.set(kind, check);
  }
  const own = Object.fromEntries(Object.keys(properties).filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]]));
  if (check(own)) return [];
  return (check.errors ?? []).map((error) => {
    const path = ['tasks', index, ...pointerToPath(error.instancePath)];
    const node = tree ? jsonc.findNodeAtLocation(tree, path) : undefined;
    return offsetToProblem(text, node?.offset ?? 0, node?.length ?? 1, `loopmark.json: /tasks/${index}${error.instancePath} ${error.message ?? 'is invalid'} (a setting of kind '${kind}')`);
  });
}

function getPathValue(value: unknown, path: readonly (string | number)[]): unknown {
  let v: any = value;
  for (const key of path) v = v === null || typeof v !== 'object' ? undefined : v[key];
  return v;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** The task every bare `*.jsonl` with a `text` field gets when there is no loopmark.json. */
export function inferredTask(labels: LabelDef[] = []): Task {
  return resolveTask({ name: 'default', files: ['**/*.jsonl'], labels }, true);
}

function resolveTask(raw: Record<string, any>, inferred: boolean): Task {
  const labels: LabelDef[] = (raw['labels'] ?? []).map((l: string | LabelDef) =>
    typeof l === 'string'
      ? { name: l }
      : { name: l.name, ...(l.description ? { description: l.description } : {}), ...(typeof l.threshold === 'number' ? { threshold: l.threshold } : {}) },
  );
  return {
    name: raw['name'],
    kind: raw['kind'] ?? 'classify',
    files: raw['files'],
    labels,
    // A kind that reads whole records (llm) has its own default; '.' is the whole record.
    textField: raw['textField'] ?? kindNamed(raw['kind'] ?? 'classify')?.textField ?? 'text',
    idField: raw['idField'] ?? 'id',
    threshold: raw['threshold'] ?? 0.8,
    multiLabel: raw['multiLabel'] ?? false,
    labelFile: raw['labelFile'] ?? DEFAULT_LABEL_FILE,
    predictionsFile: raw['predictionsFile'] ?? DEFAULT_PREDICTIONS_FILE,
    prefer: raw['prefer'] ?? 'file',
    model: { enabled: raw['model']?.['enabled'] ?? true, minExamplesPerLabel: raw['model']?.['minExamplesPerLabel'] ?? 3 },
    queue: { strategy: (raw['queue']?.['strategy'] ?? 'uncertainty') as QueueStrategy, ...(typeof raw['queue']?.['randomDraws'] === 'number' ? { randomDraws: raw['queue']['randomDraws'] } : {}) },
    inferred,
  };
}

/**
 * The value of a parse tree. Unlike `jsonc.parse`, which assigns properties, a key named `__proto__`
 * becomes an own property (as with JSON.parse): it cannot change an object's prototype, so nothing is
 * inherited from it, and the schema reports it as an unknown field.
 */
function valueOf(node: jsonc.Node | undefined): any {
  if (!node) return undefined;
  if (node.type === 'array') return (node.children ?? []).map(valueOf);
  if (node.type !== 'object') return node.value;
  const object: Record<string, unknown> = {};
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key && value) Object.defineProperty(object, String(key.value), { value: valueOf(value), enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/**
 * Parses loopmark.json text. Syntax and schema errors become problems with line and column;
 * a config with errors still yields the tasks that are valid, so one typo does not stop labeling.
 */
export function parseConfig(text: string): Config {
  const problems: LineProblem[] = [];
  const syntaxErrors: jsonc.ParseError[] = [];
  // A BOM (as some Windows editors write) is not a syntax error; a space keeps every offset.
  if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`;
  const tree = jsonc.parseTree(text, syntaxErrors, { allowTrailingComma: false, disallowComments: false });
  const value = valueOf(tree);
  for (const e of syntaxErrors) {
    problems.push(offsetToProblem(text, e.offset, e.length, `loopmark.json: ${jsonc.printParseErrorCode(e.error)}`));
  }
  if (syntaxErrors.length > 0 && (value === undefined || typeof value !== 'object')) {
    return { tasks: [], problems, declared: true };
  }
  const badTasks = new Set<number>();
  if (!validate(value)) {
    for (const error of validate.errors ?? []) {
      const path = pointerToPath(error.instancePath);
      // The schema lists the built-in kinds for the editor's completion; the registry decides (a plug-in may add one).
      if (path.length === 3 && path[0] === 'tasks' && path[2] === 'kind' && kindNamed(String(getPathValue(value, path))) !== undefined) continue;
      const unknownField = error.keyword === 'additionalProperties';
      // A field the task's kind declares (its section of the schema) is no unknown field.
      if (unknownField && path.length === 2 && path[0] === 'tasks' && kindDeclares(getPathValue(value, path), (error.params as { additionalProperty: string }).additionalProperty)) continue;
      // A bad value drops its task; an unknown field (a typo of an optional one) is only reported: it is ignored anyway.
      if (path[0] === 'tasks' && typeof path[1] === 'number' && !(unknownField && path.length === 2)) badTasks.add(path[1]);
      let node = tree ? jsonc.findNodeAtLocation(tree, path) : undefined;
      let message = `loopmark.json: ${error.instancePath || '/'} ${error.message ?? 'is invalid'}`;
      if (error.keyword === 'additionalProperty' || error.keyword === 'additionalProperties') {
        const extra = (error.params as { additionalProperty: string }).additionalProperty;
        message = `loopmark.json: unknown field "${extra}" in ${error.instancePath || 'the top level'}`;
        const propNode = tree ? jsonc.findNodeAtLocation(tree, [...path, extra]) : undefined;
        node = propNode?.parent?.children?.[0] ?? node;
      }
      if (error.keyword === 'oneOf' || error.keyword === 'if') continue;
      if (error.keyword === 'enum' && path[2] === 'kind') message = `loopmark.json: no task kind is named ${JSON.stringify(getPathValue(value, path))} (known: ${kindNames().join(', ')})`;
      const offset = node?.offset ?? 0;
      problems.push(offsetToProblem(text, offset, node?.length ?? 1, message));
    }
  }
  const rawTasks: unknown[] = Array.isArray(value?.tasks) ? value.tasks : [];
  // A label or predictions file outside the workspace is refused here, where it can be shown on its line,
  // rather than when a dataset is opened (symbolic links are still checked then, by resolveInside).
  rawTasks.forEach((raw, index) => {
    if (badTasks.has(index) || raw === null || typeof raw !== 'object') return;
    for (const key of ['labelFile', 'predictionsFile']) {
      const template = (raw as Record<string, unknown>)[key];
      if (typeof template !== 'string' || !templateLeavesWorkspace(template)) continue;
      badTasks.add(index);
      const node = tree ? jsonc.findNodeAtLocation(tree, ['tasks', index, key]) : undefined;
      const message = `loopmark.json: "${key}" must be a path inside the workspace folder, relative to it; "${template}" is not`;
      problems.push(offsetToProblem(text, node?.offset ?? 0, node?.length ?? 1, message));
    }
  });
  const tasks: Task[] = [];
  rawTasks.forEach((raw, index) => {
    if (badTasks.has(index) || raw === null || typeof raw !== 'object') return;
    const kind = (raw as Record<string, unknown>)['kind'] ?? 'classify';
    if (typeof kind === 'string' && !kindNamed(kind)) {
      // A kind the schema names but no plug-in provides yet (or a plug-in that is not loaded).
      const node = tree ? jsonc.findNodeAtLocation(tree, ['tasks', index, 'kind']) : undefined;
      problems.push(offsetToProblem(text, node?.offset ?? 0, node?.length ?? 1, `loopmark.json: no task kind is named "${kind}" in this version of Loopmark (known: ${kindNames().join(', ')})`));
      return;
    }
    const task = resolveTask(raw as Record<string, unknown>, false);
    const settings = kindNamed(task.kind)?.settings;
    if (settings) {
      const kindProblems = validateKindSettings(text, tree, index, raw as Record<string, unknown>, task.kind, settings.properties);
      problems.push(...kindProblems);
      if (kindProblems.length > 0) return;
      task.settings = settings.parse(raw as Record<string, unknown>);
    }
    tasks.push(task);
  });
  const config: Config = { tasks, problems, declared: true };
  if (typeof value?.annotator === 'string') config.annotator = value.annotator;
  return config;
}

/** A label or predictions file template that is absolute or climbs out of the workspace with `..`. */
function templateLeavesWorkspace(template: string): boolean {
  const sample = template.replace(/\$\{dir\}/g, 'dir').replace(/\$\{name\}/g, 'name').replace(/\\/g, '/');
  if (sample.startsWith('/') || /^[a-zA-Z]:/.test(sample)) return true;
  const normalized = posix.normalize(sample);
  return normalized === '..' || normalized.startsWith('../');
}

/** Files that hold labels or predictions are never datasets themselves. */
export function isSidecar(relativePath: string): boolean {
  return /\.(labels|predictions)\.jsonl$/.test(relativePath);
}

const matchers = new WeakMap<Task, (path: string) => boolean>();

/** The task a dataset belongs to (first match), given its path relative to the workspace root. */
export function taskFor(tasks: readonly Task[], relativePath: string): Task | undefined {
  if (isSidecar(relativePath)) return undefined;
  const normalized = relativePath.replace(/\\/g, '/');
  return tasks.find((task) => {
    let match = matchers.get(task);
    if (!match) {
      match = picomatch(task.files, { dot: false });
      matchers.set(task, match);
    }
    return match(normalized);
  });
}

/** Expands `${dir}` and `${name}` in a label or predictions file template for a dataset path. */
export function expandTemplate(template: string, datasetRelativePath: string): string {
  const normalized = datasetRelativePath.replace(/\\/g, '/');
  const slash = normalized.lastIndexOf('/');
  const dir = slash < 0 ? '.' : normalized.slice(0, slash);
  const file = normalized.slice(slash + 1);
  const name = file.replace(/\.jsonl$/i, '');
  // Replacer functions: a `$&` or `$'` in a folder or file name is text, not a replacement pattern.
  const expanded = template.replace(/\$\{dir\}/g, () => dir).replace(/\$\{name\}/g, () => name);
  return expanded.replace(/^\.\//, '');
}

/** The text of a loopmark.json for the given tasks, for the "write inferred config" command. */
export function configText(tasks: readonly Task[]): string {
  const out = {
    tasks: tasks.map((t) => ({
      name: t.name,
      kind: t.kind,
      files: t.files,
      labels: t.labels.map((l) => (l.description ? { name: l.name, description: l.description } : { name: l.name, description: '' })),
      textField: t.textField,
      idField: t.idField,
      threshold: t.threshold,
      labelFile: t.labelFile,
    })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
