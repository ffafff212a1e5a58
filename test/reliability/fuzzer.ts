// The fuzzer of the language server: a raw stdio driver (it writes bytes, not objects, so it can send
// what no well-behaved client would) and generators of random and mutated JSON-RPC messages and
// dataset lines. Used by fuzz.test.ts (CI size) and scripts/fuzz-long.js (long runs).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, REPO } from '../helpers/workspace';
import { CLI, Rng } from './harness';

// ---------------------------------------------------------------------------------------------
// Raw driver

export interface JsonRpcMessage {
  jsonrpc?: string;
  id?: unknown;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export function frame(body: Buffer | string, extraHeaders = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n${extraHeaders}\r\n`, 'ascii'), bytes]);
}

/** The built server on real pipes. Answers the server's own requests (diagnostic refresh) with null. */
export class RawServer {
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  received = 0;
  receivedBytes = 0;
  errorLogs = 0;
  lastErrorLogs: string[] = [];
  private leftover = Buffer.alloc(0);
  private waiters = new Map<string, (message: JsonRpcMessage) => void>();
  private nextId = 0;
  private exitWaiters: Array<() => void> = [];
  private draining: Promise<void> | undefined;

  /** Resolves when the server's stdout is closed: everything it wrote has been read. */
  readonly closed: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => child.stdout!.once('close', () => resolve()));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      if (this.stderr.length > 200_000) this.stderr = this.stderr.slice(-100_000);
    });
    child.stdin!.on('error', () => undefined); // EPIPE when it died: reported through `exit`
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  static async start(root: string, annotator: string): Promise<RawServer> {
    const child = spawn(process.execPath, [process.env['FUZZ_SERVER_CLI'] || CLI, 'lsp', '--stdio', '--annotator', annotator], { stdio: ['pipe', 'pipe', 'pipe'] });
    const server = new RawServer(child);
    const rootUri = pathToFileURL(root).toString();
    await server.request('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: path.basename(root) }],
      capabilities: { workspace: { diagnostics: { refreshSupport: true } } },
    });
    await server.notify('initialized', {});
    return server;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  whenExited(): Promise<void> {
    return this.exit ? Promise.resolve() : new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private onData(chunk: Buffer): void {
    this.receivedBytes += chunk.length;
    let buffer = this.leftover.length ? Buffer.concat([this.leftover, chunk]) : chunk;
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) break;
      const match = /Content-Length:\s*(\d+)/i.exec(buffer.subarray(0, headerEnd).toString('ascii'));
      if (!match) throw new Error(`server wrote a frame without Content-Length: ${buffer.subarray(0, headerEnd).toString()}`);
      const start = headerEnd + 4;
      const end = start + Number(match[1]);
      if (buffer.length < end) break;
      const message = JSON.parse(buffer.subarray(start, end).toString('utf8')) as JsonRpcMessage;
      buffer = buffer.subarray(end);
      this.received++;
      this.onMessage(message);
    }
    this.leftover = Buffer.from(buffer);
  }

  private onMessage(message: JsonRpcMessage): void {
    if (typeof message.method === 'string') {
      if (message.id !== undefined) void this.send(frame(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: null })));
      else if (message.method === 'window/logMessage' && (message.params as { type: number }).type === 1) {
        this.errorLogs++;
        this.lastErrorLogs.push((message.params as { message: string }).message.slice(0, 2000));
        if (this.lastErrorLogs.length > 20) this.lastErrorLogs.shift();
      }
      return;
    }
    if (typeof message.id === 'string') {
      const waiter = this.waiters.get(message.id);
      if (waiter) {
        this.waiters.delete(message.id);
        waiter(message);
      }
    }
  }

  /** Writes at once (in order); resolves when the pipe can take more (or the server is gone). */
  send(bytes: Buffer): Promise<void> {
    const stdin = this.child.stdin!;
    if (!this.alive || stdin.destroyed) return Promise.resolve();
    if (stdin.write(bytes) && !this.draining) return Promise.resolve();
    this.draining ??= new Promise<void>((resolve) => {
      const done = (): void => {
        stdin.off('drain', done);
        this.child.off('exit', done);
        this.draining = undefined;
        resolve();
      };
      stdin.on('drain', done);
      this.child.on('exit', done);
    });
    return this.draining;
  }

  /** A request with an id of ours (`ok-N`: no fuzzed message uses that shape), and its response. */
  prepare(method: string, params: unknown): { id: string; bytes: Buffer; response: Promise<JsonRpcMessage> } {
    const id = `ok-${this.nextId++}`;
    const response = new Promise<JsonRpcMessage>((resolve) => this.waiters.set(id, resolve));
    return { id, bytes: frame(JSON.stringify({ jsonrpc: '2.0', id, method, params })), response };
  }

  async request(method: string, params: unknown, timeoutMs = 15_000): Promise<JsonRpcMessage> {
    const { bytes, response } = this.prepare(method, params);
    await this.send(bytes);
    return this.await(`${method}`, response, timeoutMs);
  }

  async await(what: string, response: Promise<JsonRpcMessage>, timeoutMs: number): Promise<JsonRpcMessage> {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      response,
      this.whenExited().then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'exited') throw new ServerDied(`the server exited (${JSON.stringify(this.exit)}) while ${what} was pending`);
    if (outcome === 'timeout') throw new ServerHung(`no answer to ${what} within ${timeoutMs} ms`);
    return outcome;
  }

  /** After the server died and its output was read: answers every request still waiting with LOST. */
  abandonPending(): void {
    for (const [id, waiter] of this.waiters) waiter({ jsonrpc: '2.0', id, error: { code: LOST, message: 'the server died before answering' } });
    this.waiters.clear();
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.send(frame(JSON.stringify({ jsonrpc: '2.0', method, params })));
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) {
      try {
        await this.request('shutdown', null, 5000);
        await this.notify('exit', null);
      } catch {
        // reported by the caller through `exit`
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.whenExited();
      clearTimeout(timer);
    }
    return this.exit!;
  }
}

/** The error code `abandonPending` answers with. */
export const LOST = -32099;

export class ServerDied extends Error {}
export class ServerHung extends Error {}

// ---------------------------------------------------------------------------------------------
// Seeds: real records

export function seedLines(): string[] {
  const lines: string[] = [];
  const doccano = path.join(FIXTURES, 'peers', 'doccano');
  if (fs.existsSync(doccano)) {
    for (const name of fs.readdirSync(doccano).filter((n) => n.endsWith('.jsonl')).sort()) {
      lines.push(...fs.readFileSync(path.join(doccano, name), 'utf8').split('\n').filter((l) => l.trim()));
    }
  }
  for (const name of ['reviews.jsonl', 'reviews-batch2.jsonl']) {
    lines.push(...fs.readFileSync(path.join(REPO, 'demo', 'data', name), 'utf8').split('\n').filter((l) => l.trim()));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Generators

const UNICODE = ['\u0000', '\u2028', '\u2029', '\ud800', '\udfff', '\ud83d\ude00', '\u202e', '\ufeff', '\u00e9', 'e\u0301', '\r', '\n', '\r\n', '\t', '\\', '"', '\u0085', '\uffff', '\ud83d', '日本語', '\u200b'];
const ESCAPES = ['\\u0000', '\\ud800', '\\udfff', '\\ud83d\\ude00', '\\"', '\\\\', '\\n', '\\r', '\\u2028', '\\uFEFF', '\\x41', '\\u12', '\\'];
const NUMBERS = ['1e999999', '-1e309', '123456789012345678901234567890', `0.${'0'.repeat(400)}1`, '-0', '1E-400', '9007199254740993', '0x10', 'NaN', 'Infinity', '-', '1.', '.5', '01', '1e', '2.5e+308'];
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', 'text', 'id', 'label', 'prediction', 'predictions', 'score', 'meta', 'data', '\u0000', 'a.b', '__defineGetter__'];

function randomString(rng: Rng, max = 12): string {
  const n = rng.int(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    if (r < 6) s += String.fromCharCode(32 + rng.int(95));
    else if (r < 8) s += rng.pick(UNICODE);
    else s += String.fromCharCode(rng.int(0x10000));
  }
  return s;
}

function randomNumber(rng: Rng): number {
  return rng.pick([0, -0, 1, -1, 0.5, 1.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53 + 1, -(2 ** 53), 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, rng.int(100), rng.next()]);
}

function randomKey(rng: Rng): string {
  return rng.chance(0.5) ? rng.pick(KEYS) : randomString(rng, 6);
}

/** A random JSON-able value; `depth` bounds nesting. */
export function randomValue(rng: Rng, depth = 3): unknown {
  const r = rng.int(depth > 0 ? 9 : 6);
  switch (r) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return randomNumber(rng);
    case 3: case 4: return randomString(rng);
    case 5: return rng.pick(['', 'file:///', 'positive', 'accept', 'loopmark.server.applyLabel', 'r001']);
    case 6: case 7: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) Object.defineProperty(o, randomKey(rng), { value: randomValue(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      return o;
    }
    default: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth - 1));
  }
}

/** Nested arrays or objects, `depth` deep, as JSON text. */
export function deepJson(rng: Rng, depth: number): string {
  return rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Replaces one leaf (or the whole) of a parsed value, deletes a key, or changes a type. */
export function mutateValue(rng: Rng, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 6 || rng.chance(0.15)) {
    return rng.chance(0.7) ? randomValue(rng, 2) : Array.isArray(value) ? {} : [value];
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length && rng.chance(0.7)) {
      const i = rng.int(copy.length);
      copy[i] = mutateValue(rng, copy[i], depth + 1);
    } else copy.push(randomValue(rng, 2));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  const keys = Object.keys(copy);
  const r = rng.int(10);
  if (keys.length && r < 6) {
    const k = rng.pick(keys);
    copy[k] = mutateValue(rng, copy[k], depth + 1);
  } else if (keys.length && r < 8) {
    delete copy[rng.pick(keys)];
  } else {
    Object.defineProperty(copy, randomKey(rng), { value: randomValue(rng, 2), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Text-level mutations of a JSON line: the kind of damage real files see, and adversarial shapes. */
export function mutateLine(rng: Rng, line: string, maxDeep: number): string {
  const at = (): number => rng.int(line.length + 1);
  switch (rng.int(14)) {
    case 0: { // byte flips (through UTF-8, so invalid sequences become U+FFFD as a decoder would make them)
      const bytes = Buffer.from(line, 'utf8');
      for (let i = rng.range(1, 3); i > 0 && bytes.length; i--) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
      return bytes.toString('utf8');
    }
    case 1: return line.slice(0, at());
    case 2: { const a = at(); const b = at(); return line.slice(0, Math.max(a, b)) + line.slice(Math.min(a, b)); }
    case 3: { const a = at(); return line.slice(0, a) + rng.pick(UNICODE) + line.slice(a); }
    case 4: { const a = at(); return line.slice(0, a) + rng.pick(ESCAPES) + line.slice(a); }
    case 5: return line.replace(/-?\d+(\.\d+)?([eE][+-]?\d+)?/, rng.pick(NUMBERS));
    case 6: return line.replace(/^\{/, `{${JSON.stringify(rng.pick(['__proto__', 'constructor', 'prototype']))}: ${rng.pick(['{"text": "polluted", "id": "p"}', '{"polluted": true}', 'null', '[]', '{"prototype": {"polluted": 1}}'])}, `);
    case 7: return line.replace(/"text"\s*:/, `"text": ${deepJson(rng, rng.range(1, maxDeep))}, "text0":`);
    case 8: return `{"id": ${deepJson(rng, rng.range(1, maxDeep))}, "text": "deep"}`;
    case 9: return line.replace(/"(text|id|label|prediction|score)"\s*:\s*("[^"]*"|[-\d.eE+]+|\{[^}]*\}|null|true|false)/, (_m, key: string) => `"${key}": ${JSON.stringify(randomValue(rng, 2)) ?? 'null'}`);
    case 10: {
      try {
        return JSON.stringify(mutateValue(rng, JSON.parse(line))) ?? 'null';
      } catch {
        return line; // not JSON, or too deep to stringify again
      }
    }
    case 11: return line + line;
    case 12: return rng.pick(['', ' ', '{}', '[]', 'null', '"text"', '{"text": ""}', '{"text": "\\u0000"}', '{"text": "a", "id": ""}', '{"text": "a", "id": -0}', '{"text": "a", "id": 1e400}', '{"text":"a","prediction":{"label":"positive","score":1e-400}}', '{"text":"a","predictions":[{"result":[{"value":{"choices":[]}}]}]}', '{"text":"a","predictions":{"length":1e9}}', '{"__proto__":{"text":"x"}}']);
    default: return randomString(rng, 40);
  }
}

export interface FuzzTarget {
  root: string;
  /** Open-able dataset documents the fuzzer may do anything with (not the known-good one). */
  docUris: string[];
  /** A label file and other file uris of the workspace, for requests on non-datasets. */
  otherUris: string[];
  seeds: string[];
  ids: string[];
  maxDeep: number;
}

const CLIENT_METHODS = [
  'textDocument/diagnostic', 'textDocument/codeAction', 'textDocument/hover', 'workspace/executeCommand',
  'loopmark/status', 'loopmark/sampleAt', 'loopmark/nextSample', 'loopmark/inferredConfig', 'loopmark/queue',
  'loopmark/bulkPreview', 'loopmark/bulkAccept', 'textDocument/completion', 'textDocument/definition',
  'workspace/diagnostic', 'codeAction/resolve', 'workspace/symbol', 'textDocument/formatting',
];
const NOTIFICATIONS = [
  'textDocument/didOpen', 'textDocument/didChange', 'textDocument/didClose', 'textDocument/didSave',
  'workspace/didChangeWatchedFiles', 'workspace/didChangeConfiguration', 'workspace/didChangeWorkspaceFolders',
  'loopmark/visibleRanges', '$/cancelRequest', '$/setTrace', '$/progress', 'window/workDoneProgress/cancel',
];
/**
 * Depth up to which deeply nested params are sent with an invalid id. Beyond, vscode-jsonrpc's log of
 * the invalid message ("neither a response nor a notification", JSON.stringify(message, null, 4)) takes
 * seconds and tens of MB per message (depth 3000: ~10 s, ~18 MB), which is reported, not fuzzed.
 */
export const QUADRATIC_LOG_DEPTH = Number(process.env['FUZZ_QUADRATIC_LOG_DEPTH'] ?? 200);
/** Never sent: they end the server or re-initialize it by design. */
export const LIFECYCLE = new Set(['exit', 'shutdown', 'initialize']);

function mutateMethod(rng: Rng, method: string): string {
  switch (rng.int(6)) {
    case 0: return method.toUpperCase();
    case 1: return `${method} `;
    case 2: return method.slice(0, rng.int(method.length));
    case 3: return `$/${method}`;
    case 4: return method.replace('/', '//');
    default: return randomString(rng, 20);
  }
}

function safeMethod(method: string): string {
  return LIFECYCLE.has(method) ? 'loopmark/none' : method;
}

function randomId(rng: Rng): unknown {
  // Never "ok-N" (ours) and never a small integer (the server's own requests to us use those).
  return rng.pick<unknown>([1e9 + rng.int(1e6), -1, 1e308, 2 ** 53 + 1, 1.5, `fz-${rng.int(1e6)}`, '', null, {}, [], true, 'x'.repeat(rng.int(3000))]);
}

function position(rng: Rng): unknown {
  return rng.chance(0.7)
    ? { line: rng.int(40), character: rng.int(200) }
    : { line: rng.pick([-1, 2 ** 31, 1e308, 1.5, -0, 0]), character: rng.pick([-1, 2 ** 31, 1e308, 1.5, 0]) };
}

function range(rng: Rng): { start: unknown; end: unknown } {
  return { start: position(rng), end: position(rng) };
}

function decision(rng: Rng, t: FuzzTarget): Record<string, unknown> {
  return {
    sampleId: rng.chance(0.7) ? rng.pick(t.ids) : randomValue(rng, 1),
    label: rng.chance(0.7) ? rng.pick(['positive', 'negative', 'neutral', 'sarcastic']) : randomValue(rng, 1),
    answer: rng.chance(0.8) ? rng.pick(['accept', 'reject', 'ignore']) : randomValue(rng, 1),
    source: rng.chance(0.8) ? rng.pick(['prediction', 'correction', 'manual']) : randomValue(rng, 1),
    ...(rng.chance(0.5) ? { score: rng.chance(0.7) ? rng.next() : randomValue(rng, 1) } : {}),
  };
}

function datasetText(rng: Rng, t: FuzzTarget, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    let line = rng.pick(t.seeds);
    for (let m = rng.chance(0.3) ? 0 : rng.range(1, 3); m > 0; m--) line = mutateLine(rng, line, t.maxDeep);
    out.push(line);
  }
  return out.join(rng.pick(['\n', '\n', '\r\n', '\r']));
}

/** Well-formed params for a method (that the mutators then damage). */
function paramsFor(rng: Rng, method: string, t: FuzzTarget): unknown {
  const uri = rng.chance(0.8) ? rng.pick(t.docUris) : rng.chance(0.5) ? rng.pick(t.otherUris) : randomUri(rng, t);
  switch (method) {
    case 'textDocument/diagnostic': return { textDocument: { uri } };
    case 'textDocument/hover': case 'textDocument/definition': case 'textDocument/completion': return { textDocument: { uri }, position: position(rng) };
    case 'textDocument/codeAction': {
      const data = rng.chance(0.8) ? { sampleId: rng.pick(t.ids), predictedLabel: rng.pick(['positive', 'neutral', 'x']), score: rng.next(), origin: 'file', ...(rng.chance(0.3) ? { label: 'negative' } : {}) } : randomValue(rng, 2);
      return { textDocument: { uri }, range: range(rng), context: { diagnostics: [{ range: range(rng), message: 'm', source: 'loopmark', code: rng.pick(['review', 'suggestion', 'conflict', 'unknown-label', 'more-to-review', 'x']), data }], ...(rng.chance(0.3) ? { only: [rng.pick(['quickfix', 'source', 'source.loopmark.acceptAbove'])] } : {}) } };
    }
    case 'workspace/executeCommand': return { command: rng.chance(0.85) ? 'loopmark.server.applyLabel' : randomString(rng), arguments: rng.chance(0.9) ? [{ uri, decision: decision(rng, t) }] : randomValue(rng, 2) };
    case 'loopmark/status': return { uri };
    case 'loopmark/sampleAt': case 'loopmark/nextSample': return { uri, line: rng.chance(0.8) ? rng.int(40) : randomNumber(rng) };
    case 'loopmark/inferredConfig': return { folderUri: rng.chance(0.5) ? pathToFileURL(t.root).toString() : uri };
    case 'loopmark/queue': return { uri, n: rng.chance(0.7) ? rng.int(50) : randomNumber(rng) };
    case 'loopmark/bulkPreview': case 'loopmark/bulkAccept': return { uri, minScore: rng.chance(0.7) ? rng.next() : randomNumber(rng) };
    case 'textDocument/didOpen': return { textDocument: { uri, languageId: 'jsonl', version: rng.int(100), text: datasetText(rng, t, rng.range(0, 25)) } };
    case 'textDocument/didChange': {
      const changes = Array.from({ length: rng.range(1, 3) }, () =>
        rng.chance(0.25) ? { text: datasetText(rng, t, rng.range(0, 20)) } : { range: range(rng), text: rng.chance(0.5) ? `${datasetText(rng, t, rng.range(1, 3))}\n` : rng.pick(['', '\n', '{', '"', '}', rng.pick(UNICODE)]) },
      );
      return { textDocument: { uri, version: rng.int(1000) }, contentChanges: changes };
    }
    case 'textDocument/didClose': case 'textDocument/didSave': return { textDocument: { uri } };
    case 'workspace/didChangeWatchedFiles': return { changes: [{ uri: rng.chance(0.5) ? uri : rng.pick(t.otherUris), type: rng.range(1, 3) }] };
    case 'loopmark/visibleRanges': return { uri, ranges: rng.chance(0.7) ? [[rng.int(30), rng.int(60)]] : randomValue(rng, 2) };
    case '$/cancelRequest': return { id: randomId(rng) };
    case '$/setTrace': return { value: rng.pick(['off', 'messages', 'verbose', 'bogus', 3]) };
    default: return randomValue(rng, 3);
  }
}

function randomUri(rng: Rng, t: FuzzTarget): unknown {
  const base = rng.pick(t.docUris);
  return rng.pick<unknown>([
    `${base}${randomString(rng, 4)}`, base.toUpperCase(), base.replace('file://', 'file://host'), 'untitled:Untitled-1', 'file:///', 'file://',
    'file:///etc/passwd', `${base}/../../../etc/passwd`, `${base}%00`, `${base.replace('.jsonl', '%2Ejsonl')}`, 'file:///%E0%A4%A', 'vscode-notebook-cell:/x#y',
    `file://${'/a'.repeat(3000)}`, '', 42, null, {}, 'http://example.com/x.jsonl', pathToFileURL(t.root).toString(), `${pathToFileURL(t.root).toString()}/loopmark.json.bak`,
  ]);
}

/**
 * One fuzzed message, framed. Kinds: a valid-shaped message with damaged params; a random envelope
 * (id, jsonrpc, method of the wrong type or value); a response nobody asked for; a JSON-RPC batch;
 * garbage (or invalid UTF-8) with a valid Content-Length; an otherwise valid message with invalid UTF-8
 * inside its strings.
 */
export function fuzzMessage(rng: Rng, t: FuzzTarget): { bytes: Buffer; kind: string } {
  const r = rng.int(100);
  if (r < 45) {
    const notification = rng.chance(0.5);
    const method = notification ? rng.pick(NOTIFICATIONS) : rng.pick(CLIENT_METHODS);
    let params = paramsFor(rng, method, t);
    if (rng.chance(0.35)) params = mutateValue(rng, params);
    const message: Record<string, unknown> = { jsonrpc: '2.0', method: safeMethod(method), params };
    if (!notification) message['id'] = randomId(rng);
    return { bytes: frame(JSON.stringify(message)), kind: notification ? `notification ${method}` : `request ${method}` };
  }
  if (r < 60) {
    const envelope: Record<string, unknown> = {};
    if (rng.chance(0.8)) envelope['jsonrpc'] = rng.chance(0.7) ? '2.0' : randomValue(rng, 1);
    if (rng.chance(0.9)) envelope['method'] = rng.chance(0.6) ? safeMethod(mutateMethod(rng, rng.pick([...CLIENT_METHODS, ...NOTIFICATIONS]))) : randomValue(rng, 1);
    if (rng.chance(0.6)) envelope['id'] = randomId(rng);
    if (rng.chance(0.8)) envelope['params'] = rng.chance(0.5) ? randomValue(rng, 3) : rng.chance(0.5) ? [] : rng.pick([null, 0, 'x', true]);
    if (typeof envelope['method'] === 'string' && LIFECYCLE.has(envelope['method'].trim())) envelope['method'] = 'loopmark/none';
    return { bytes: frame(JSON.stringify(envelope)), kind: 'random envelope' };
  }
  if (r < 66) {
    const response = rng.chance(0.5)
      ? { jsonrpc: '2.0', id: randomId(rng), result: randomValue(rng, 2) }
      : { jsonrpc: '2.0', id: randomId(rng), error: rng.chance(0.7) ? { code: randomNumber(rng), message: randomString(rng) } : randomValue(rng, 2) };
    return { bytes: frame(JSON.stringify(response)), kind: 'unsolicited response' };
  }
  if (r < 70) {
    const batch = Array.from({ length: rng.int(4) }, () => ({ jsonrpc: '2.0', method: rng.pick(NOTIFICATIONS), params: randomValue(rng, 2) }));
    return { bytes: frame(JSON.stringify(batch)), kind: 'batch' };
  }
  if (r < 74) {
    // With an id that is not a string or number, vscode-jsonrpc logs the whole message with
    // JSON.stringify(message, null, 4): output quadratic in the depth (see QUADRATIC_LOG_DEPTH).
    const id = randomId(rng);
    const validId = typeof id === 'string' || typeof id === 'number';
    const depth = rng.range(100, validId ? t.maxDeep : Math.min(t.maxDeep, QUADRATIC_LOG_DEPTH));
    // Spliced in as text: JSON.stringify of a value nested 10,000 deep overflows the stack (here, not in the server).
    return { bytes: frame(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":${JSON.stringify(rng.pick(CLIENT_METHODS))},"params":${deepJson(rng, depth)}}`), kind: 'deep params' };
  }
  if (r < 88) {
    const n = rng.int(300);
    const kind = rng.int(6);
    let body: Buffer;
    if (kind === 0) body = Buffer.from(Array.from({ length: n }, () => rng.int(256)));
    else if (kind === 1) body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: paramsFor(rng, 'textDocument/didOpen', t) })).subarray(0, n);
    else if (kind === 2) body = Buffer.from(rng.pick(['', '{', '}', 'null', '0', '"x"', '[]', '{}', 'true', '\ufeff{"jsonrpc":"2.0","method":"x"}', '{"jsonrpc":"2.0","id":1e999,"method":"loopmark/status","params":{}}']));
    else if (kind === 3) body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'initialized', params: {} }))]);
    else if (kind === 4) body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'x', params: randomString(rng, 50) }).replace(/"/g, rng.chance(0.5) ? "'" : '"'));
    else body = Buffer.alloc(n, rng.pick([0, 0x20, 0x7b, 0xff]));
    return { bytes: frame(body), kind: 'garbage body' };
  }
  if (r < 96) {
    // Invalid UTF-8 inside the strings of an otherwise valid message (a dataset text, a uri, a label).
    const method = rng.pick(['textDocument/didOpen', 'textDocument/didChange', 'workspace/executeCommand', 'textDocument/hover']);
    const text = JSON.stringify({ jsonrpc: '2.0', method, params: paramsFor(rng, method, t), ...(method.startsWith('workspace/') || method === 'textDocument/hover' ? { id: randomId(rng) } : {}) });
    const bytes = Buffer.from(text, 'utf8');
    const quotes: number[] = [];
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x22) quotes.push(i);
    const pieces: Buffer[] = [];
    let last = 0;
    for (let k = rng.range(1, 4); k > 0 && quotes.length; k--) {
      const q = rng.pick(quotes);
      if (q < last) continue;
      pieces.push(bytes.subarray(last, q + 1), Buffer.from(rng.pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xfe, 0xfe]])));
      last = q + 1;
    }
    pieces.push(bytes.subarray(last));
    return { bytes: frame(Buffer.concat(pieces)), kind: `invalid UTF-8 in ${method}` };
  }
  // Header variations that are still valid: other headers, the charset spelled out, the key in another case.
  const body = JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didChange', params: paramsFor(rng, 'textDocument/didChange', t) });
  const bytes = Buffer.from(body, 'utf8');
  const header = rng.pick([
    `Content-Length: ${bytes.length}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n`,
    `content-length: ${bytes.length}\r\n\r\n`,
    `Content-Length:    ${bytes.length}   \r\n\r\n`,
    `X-Fuzz: ${rng.int(1e9)}:x\r\nContent-Length: ${bytes.length}\r\n\r\n`,
    `Content-Type: application/vscode-jsonrpc; charset=utf8\r\nContent-Length: ${bytes.length}\r\n\r\n`,
  ]);
  return { bytes: Buffer.concat([Buffer.from(header, 'ascii'), bytes]), kind: 'header variant' };
}
