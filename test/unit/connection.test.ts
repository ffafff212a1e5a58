// The server's own stdio framing (server/src/connection.ts): Content-Length messages read as soon as
// their last byte arrives, whatever the chunking, and written in one piece each.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Message } from 'vscode-languageserver/node';
import { ImmediateMessageReader, ImmediateMessageWriter } from '../../server/src/lsp/connection';
import { mulberry32 } from '../../server/src/core/model/prng';

function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

function reader(): { stream: PassThrough; messages: Message[]; errors: Error[] } {
  const stream = new PassThrough();
  const messages: Message[] = [];
  const errors: Error[] = [];
  const r = new ImmediateMessageReader(stream);
  r.onError((e) => errors.push(e instanceof Error ? e : e[0]));
  r.listen((m) => messages.push(m));
  return { stream, messages, errors };
}

describe('connection: the stdio message reader and writer', () => {
  const MESSAGES = [
    { jsonrpc: '2.0', id: 1, method: 'loopmark/status', params: { uri: 'file:///a.jsonl' } },
    { jsonrpc: '2.0', method: 'textDocument/didChange', params: { text: 'naïve café — 日本語 ✓ 😀' } },
    { jsonrpc: '2.0', id: 2, result: null },
  ];

  it('reads every message whatever the chunking, multi-byte characters split across chunks included', () => {
    const random = mulberry32(5);
    const bytes = Buffer.concat(MESSAGES.map(frame));
    for (let round = 0; round < 300; round++) {
      const { stream, messages } = reader();
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(random() * 40);
        stream.emit('data', bytes.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(messages, MESSAGES, `round ${round}`);
    }
  });

  it('hands a message over in the data event that completes it (no extra turn)', () => {
    const { stream, messages } = reader();
    const bytes = frame(MESSAGES[0]);
    stream.emit('data', bytes.subarray(0, bytes.length - 1));
    assert.equal(messages.length, 0);
    stream.emit('data', bytes.subarray(bytes.length - 1));
    assert.equal(messages.length, 1, 'synchronously, in the same call');
  });

  it('reports a bad header or a body that is not JSON, and reads the next message as usual', () => {
    const { stream, messages, errors } = reader();
    stream.emit('data', Buffer.from('Content-Typ text\r\n\r\n', 'ascii'));
    stream.emit('data', Buffer.from('Content-Length: 5\r\n\r\n{oops', 'ascii'));
    stream.emit('data', frame(MESSAGES[2]));
    assert.equal(errors.length, 2);
    assert.match(errors[0]!.message, /separate key and value/);
    assert.deepEqual(messages, [MESSAGES[2]]);
  });

  it('writes header and body in one write, with the byte length of the UTF-8 body', async () => {
    const stream = new PassThrough();
    const writes: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => writes.push(chunk));
    const writer = new ImmediateMessageWriter(stream);
    await writer.write(MESSAGES[1] as Message);
    await new Promise((r) => setImmediate(r));
    assert.equal(writes.length, 1);
    assert.deepEqual(writes[0], frame(MESSAGES[1]));
  });
});
