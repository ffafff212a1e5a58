// The server's connection over stdio, telling the scheduler of long work about every incoming
// message (so that a burst of messages is handled before its next slice), and writing each outgoing
// message at once.
//
// Why its own reader and writer: vscode-jsonrpc's stream reader and writer each pass every message
// through a setImmediate (a semaphore that keeps them in order), so a request that arrived in one
// turn of the event loop was handled in the next, and its answer written in the one after: each time
// after that turn's slice of long work and a 256 KB slice of a document being read (a 5-line status
// waited 15-35 ms for them). Here a message is parsed when its last byte arrives (handled in the same
// turn) and an answer written when it is sent.
import { format } from 'node:util';
import { AbstractMessageReader, AbstractMessageWriter, Disposable, type DataCallback, createConnection, ProposedFeatures, type Connection, type Message, type MessageReader, type MessageWriter } from 'vscode-languageserver/node';
import { noteMessage } from '../core/slicer';

/** Writes each message to the stream in the call that sends it, header and body in one write. */
export class ImmediateMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {
    super();
    stream.on('error', (error: Error) => this.fireError(error));
    stream.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    try {
      const body = Buffer.from(JSON.stringify(message), 'utf8');
      const header = Buffer.from(`Content-Length: ${body.byteLength}\r\n\r\n`, 'ascii');
      this.stream.write(Buffer.concat([header, body]), (error?: Error | null) => {
        if (error) this.fireError(error, message, ++this.errorCount);
      });
      return Promise.resolve();
    } catch (error) {
      this.fireError(error as Error, message, ++this.errorCount);
      return Promise.reject(error);
    }
  }

  end(): void {
    this.stream.end();
  }
}

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');

/** The Content-Length of a message header, read as vscode-jsonrpc does; or what is wrong with the header. */
function contentLength(header: string): number | string {
  let value: string | undefined;
  for (const line of header.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) return `Message header must separate key and value using ':'\n${line}`;
    if (line.slice(0, colon).toLowerCase() === 'content-length') value = line.slice(colon + 1).trim();
  }
  if (!value) return `Header must provide a Content-Length property: ${JSON.stringify(header)}`;
  const length = parseInt(value, 10);
  return Number.isNaN(length) || length < 0 ? `Content-Length value must be a number. Got ${value}` : length;
}

/** Reads Content-Length framed JSON messages and hands each over as soon as its last byte arrives. */
export class ImmediateMessageReader extends AbstractMessageReader implements MessageReader {
  /** Bytes received and not yet read, in the chunks they came in (a 48 MB message comes in hundreds). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the body being received, once its header was read. */
  private bodyLength = -1;

  constructor(private readonly stream: NodeJS.ReadableStream) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer): void => this.onData(chunk, callback);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.stream.on('data', onData);
    this.stream.on('error', onError);
    this.stream.on('close', onClose);
    return Disposable.create(() => {
      this.stream.off('data', onData);
      this.stream.off('error', onError);
      this.stream.off('close', onClose);
    });
  }

  private onData(chunk: Buffer, callback: DataCallback): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        const pending = this.joined();
        const end = pending.indexOf(HEADER_END);
        if (end < 0) return;
        const header = pending.toString('ascii', 0, end);
        this.keep(pending.subarray(end + HEADER_END.length));
        // A bad header is reported and its message skipped; the next one is read as usual.
        const length = contentLength(header);
        if (typeof length === 'string') {
          this.fireError(new Error(length));
          continue;
        }
        this.bodyLength = length;
      }
      // Joined only once the whole body is there.
      if (this.buffered < this.bodyLength) return;
      const pending = this.joined();
      const body = pending.toString('utf8', 0, this.bodyLength);
      this.keep(pending.subarray(this.bodyLength));
      this.bodyLength = -1;
      // A message that does not parse, or that the connection refuses (a request with id null), is
      // reported as vscode-jsonrpc's reader does; the next one is read as usual.
      try {
        callback(JSON.parse(body) as Message);
      } catch (error) {
        this.fireError(error);
      }
    }
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered = rest.length;
  }
}

export function createServerConnection(): Connection {
  let shutdown = false;
  const connection = createConnection(ProposedFeatures.all, new ImmediateMessageReader(process.stdin), new ImmediateMessageWriter(process.stdout), {
    messageStrategy: {
      handleMessage(message, next) {
        noteMessage();
        if ((message as { method?: unknown } | null)?.method === 'shutdown') shutdown = true;
        next(message);
      },
    },
  });
  // As vscode-languageserver does for `--stdio`: the client is gone, so is the server.
  const exit = (): never => process.exit(shutdown ? 0 : 1);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  // stdout carries the protocol: what a dependency prints goes to the client's log instead (as
  // vscode-languageserver does for `--stdio`).
  console.log = console.info = console.debug = (...args: unknown[]) => connection.console.log(format(...args));
  console.warn = (...args: unknown[]) => connection.console.warn(format(...args));
  console.error = (...args: unknown[]) => connection.console.error(format(...args));
  return connection;
}
