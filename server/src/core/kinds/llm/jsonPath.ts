// Where a value of a record sits in the file text: a JSON path (`messages[2].content`) to the
// node's offsets (jsonc-parser gives them), and a range inside a decoded string back to the raw,
// escaped text of the file (`\n` is 2 characters in the file and 1 in the string, `\u00e9` 6 and 1).

import * as jsonc from 'jsonc-parser';

export type JsonPath = ReadonlyArray<string | number>;

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `['messages', 2, 'content']` → `messages[2].content`; odd keys are quoted: `a["b c"]`. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The inverse of formatPath. Throws on a malformed path (it comes from code or config, not data). */
export function parsePath(text: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || (m[0].startsWith('.') && out.length === 0)) throw new Error(`not a JSON path: ${text}`);
    out.push(m[1] !== undefined ? m[1] : m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string));
    i = re.lastIndex;
  }
  return out;
}

export interface Located {
  /** Offsets of the value in the record text, [start, end); a string's include its quotes. */
  start: number;
  end: number;
  type: jsonc.NodeType;
}

const trees = new WeakMap<object, jsonc.Node | undefined>();

/** The jsonc-parser tree of a record text, built once per record object it is asked for. */
function treeOf(record: { text: string }): jsonc.Node | undefined {
  if (!trees.has(record)) trees.set(record, jsonc.parseTree(record.text, [], { disallowComments: true }));
  return trees.get(record);
}

/** Offsets in the record text of the value at `path`, or undefined when the record has no such value. */
export function locatePath(record: { text: string }, path: JsonPath): Located | undefined {
  const tree = treeOf(record);
  const node = tree && (path.length === 0 ? tree : jsonc.findNodeAtLocation(tree, path as Array<string | number>));
  return node ? { start: node.offset, end: node.offset + node.length, type: node.type } : undefined;
}

/** Offsets in the record text of the key of the property at `path` (for an unknown key), or undefined. */
export function locateKey(record: { text: string }, path: JsonPath): Located | undefined {
  const tree = treeOf(record);
  const node = tree && jsonc.findNodeAtLocation(tree, path as Array<string | number>);
  const key = node?.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
  return key ? { start: key.offset, end: key.offset + key.length, type: key.type } : undefined;
}

/**
 * Maps [from, to) in the decoded value of the JSON string literal at raw[open] (the opening quote)
 * to offsets in raw. Each escape (`\n`, `\"`, `\/`, `\uXXXX`) is one UTF-16 unit of the decoded
 * string; an emoji is two units in both (raw or as a `\uD83D\uDE00` pair), so LSP columns agree.
 */
export function rawRange(raw: string, open: number, from: number, to: number): { start: number; end: number } {
  let i = open + 1;
  let decoded = 0;
  let start = -1;
  while (i < raw.length) {
    if (decoded === from && start < 0) start = i;
    if (decoded === to) return { start, end: i };
    const c = raw.charCodeAt(i);
    if (c === 34) break;
    i += c === 92 ? (raw.charCodeAt(i + 1) === 117 /* u */ ? 6 : 2) : 1;
    decoded++;
  }
  if (start < 0) start = i;
  return { start, end: i };
}

/** The inverse of rawRange: the decoded offset of raw offset `at` inside the string literal at raw[open]. */
export function decodedOffset(raw: string, open: number, at: number): number {
  let i = open + 1;
  let decoded = 0;
  while (i < at && i < raw.length) {
    const c = raw.charCodeAt(i);
    if (c === 34) break;
    i += c === 92 ? (raw.charCodeAt(i + 1) === 117 ? 6 : 2) : 1;
    decoded++;
  }
  return decoded;
}

/**
 * Offsets in the record text of a place in a record: the whole value at `path`, or, when `range` is
 * given and the value is a string, the characters [range.start, range.end) of its decoded text.
 */
export function locate(record: { text: string }, path: JsonPath, range?: { start: number; end: number }): { start: number; end: number } | undefined {
  const node = locatePath(record, path);
  if (!node) return undefined;
  if (!range || node.type !== 'string') return { start: node.start, end: node.end };
  return rawRange(record.text, node.start, range.start, range.end);
}

/** A string as it is written inside a JSON string literal (without the quotes). */
export function escapeJsonString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
