// A small LSP client over the server's real stdio pipes, for timing. Unlike test/lsp/client.ts it
// can send a pre-serialised message (so the client's own JSON.stringify of a 48 MB didOpen is not
// timed), timestamps each response as soon as its bytes are parsed, passes node flags to the server
// (--cpu-prof), reads the server's RSS, and cancels requests by id.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export function uriOf(file: string): string {
  return pathToFileURL(file).toString();
}

export interface Reply<T = unknown> {
  id: number;
  result?: T;
  error?: { code: number; message: string };
  /** performance.now() when the request was written. */
  sentAt: number;
  /** performance.now() when the response was parsed. */
  receivedAt: number;
  ms: number;
}

interface Pending {
  sentAt: number;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface StartOptions {
  annotator?: string;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class BenchServer {
  refreshes = 0;
  log: string[] = [];
  stderr = '';
  exited = false;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = 0;
  private versions = new Map<string, number>();

  private constructor(readonly child: ChildProcess, readonly root: string) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(cli: string, root: string, options: StartOptions = {}): Promise<BenchServer> {
    const args = [...(options.nodeArgs ?? []), cli, 'lsp', '--stdio', ...(options.annotator ? ['--annotator', options.annotator] : [])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const server = new BenchServer(child, root);
    child.stdout!.on('data', (chunk: Buffer) => server.onData(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      if (server.stderr.length < 100_000) server.stderr += chunk.toString();
    });
    child.stdin!.on('error', () => undefined); // EPIPE when the server died: reported through pending requests
    child.on('exit', (code, signal) => {
      server.exited = true;
      for (const [id, p] of server.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`server exited (${signal ?? `code ${code}`}) before answering request ${id}${server.stderr ? `: ${server.stderr.slice(-2000)}` : ''}`));
      }
      server.pending.clear();
    });
    const init = await server.request('initialize', {
      processId: process.pid,
      rootUri: uriOf(root),
      workspaceFolders: [{ uri: uriOf(root), name: path.basename(root) }],
      capabilities: {
        textDocument: {
          synchronization: { dynamicRegistration: false },
          diagnostic: { dynamicRegistration: false },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
        },
        workspace: { diagnostics: { refreshSupport: true }, workspaceFolders: true },
      },
    }, 60_000);
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    server.notify('initialized', {});
    return server;
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return; // the message being received is not complete yet
    for (;;) {
      const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      this.chunks = [buf];
      const headerEnd = buf.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const header = buf.subarray(0, headerEnd).toString('ascii');
      const match = /Content-Length: *(\d+)/i.exec(header);
      if (!match) throw new Error(`bad LSP header: ${header}`);
      const length = Number(match[1]);
      const start = headerEnd + HEADER_END.length;
      if (buf.length < start + length) {
        this.need = start + length;
        return;
      }
      this.need = 0;
      const receivedAt = performance.now();
      const body = buf.subarray(start, start + length).toString('utf8');
      const rest = buf.subarray(start + length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.dispatch(JSON.parse(body), receivedAt);
      if (rest.length === 0) return;
    }
  }

  private dispatch(message: { id?: number | string; method?: string; params?: any; result?: unknown; error?: any }, receivedAt: number): void {
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server: answer like an editor would, without re-pulling anything.
      let result: unknown = null;
      if (message.method === 'workspace/diagnostic/refresh') this.refreshes++;
      if (message.method === 'workspace/configuration') result = (message.params?.items ?? []).map(() => null);
      this.write({ jsonrpc: '2.0', id: message.id, result });
      return;
    }
    if (message.method !== undefined) {
      if (message.method === 'window/logMessage' && this.log.length < 2000) this.log.push(String(message.params?.message ?? ''));
      return;
    }
    const id = Number(message.id);
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve({
      id,
      ...(message.error ? { error: message.error } : { result: message.result }),
      sentAt: pending.sentAt,
      receivedAt,
      ms: receivedAt - pending.sentAt,
    });
  }

  /** Writes one message; returns when it is handed to the pipe. */
  write(message: object): void {
    this.writeRaw(Buffer.from(JSON.stringify(message), 'utf8'));
  }

  /** Writes a message whose JSON body is already serialised. */
  writeRaw(body: Buffer): void {
    if (this.exited) return;
    this.child.stdin!.write(`Content-Length: ${body.length}\r\n\r\n`, 'ascii');
    this.child.stdin!.write(body);
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** Sends a request; `id` is available synchronously through `lastId`. */
  request<T = unknown>(method: string, params: unknown, timeoutMs = 120_000): Promise<Reply<T>> {
    const id = this.nextId++;
    this.lastId = id;
    return new Promise<Reply<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} (request ${id}) timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const sentAt = performance.now();
      this.pending.set(id, { sentAt, resolve: resolve as (r: Reply) => void, reject, timer });
      if (this.exited) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`server has exited; cannot send ${method}`));
        return;
      }
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  lastId = 0;

  cancel(id: number): void {
    this.notify('$/cancelRequest', { id });
  }

  // ---- documents ----

  /** The didOpen body, serialised (timed separately by the caller). */
  static didOpenBody(uri: string, text: string, languageId = 'jsonl'): Buffer {
    return Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId, version: 1, text } } }), 'utf8');
  }

  markOpened(uri: string): void {
    this.versions.set(uri, 1);
  }

  open(uri: string, text: string, languageId = 'jsonl'): void {
    this.versions.set(uri, 1);
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  close(uri: string): void {
    this.versions.delete(uri);
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  change(uri: string, changes: unknown[]): void {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
  }

  visibleRanges(uri: string, ranges: Array<[number, number]>): void {
    this.notify('loopmark/visibleRanges', { uri, ranges });
  }

  diagnostics(uri: string, timeoutMs?: number): Promise<Reply<{ kind: string; items: any[] }>> {
    return this.request('textDocument/diagnostic', { textDocument: { uri } }, timeoutMs);
  }

  // ---- process ----

  /** CPU time (user + system) the server process has used so far, in ms (10 ms resolution). */
  cpuMs(): number {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks (100 Hz)
    } catch {
      return NaN;
    }
  }

  /** The .cpuprofile this server writes when it exits (started with --cpu-prof), if any. */
  profileFile: string | undefined;
  /** [start, end] µs on the profile clock of requests that waited long (see bench/profile.ts). */
  slowWindows: Array<[number, number]> = [];

  /** VmRSS and VmHWM of the server process, in bytes. */
  memory(): { rss: number; hwm: number } {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await this.request('shutdown', null, timeoutMs);
      this.notify('exit', null);
    } catch {
      // gone or hung: killed below
    }
    const timer = setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
