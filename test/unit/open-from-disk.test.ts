// Reading a document opened by reference: the lines and fingerprint must be exactly those of the
// editor's text, whatever falls on a chunk boundary (CRLF split in two, a multi-byte character
// split in two, a BOM).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readDocumentLines } from '../../server/src/lsp/openFromDisk';
import { documentFingerprint, HEAD_LENGTH, headHash } from '../../server/src/protocol';
import { mulberry32 } from '../../server/src/core/model/prng';

const PIECES = ['a', 'bc', ' ', '\n', '\r\n', '\r', 'é', '日本', '✓', '😀', '{"id":1}', ''];

describe('readDocumentLines (documents opened by reference)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-ofd-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('splits like the editor and fingerprints like the client, for any chunk boundary', async () => {
    const random = mulberry32(7);
    for (let round = 0; round < 400; round++) {
      let text = '';
      const n = Math.floor(random() * 60);
      for (let i = 0; i < n; i++) text += PIECES[Math.floor(random() * PIECES.length)];
      const file = path.join(dir, `t${round}.jsonl`);
      fs.writeFileSync(file, text, 'utf8');
      const chunk = 1 + Math.floor(random() * 7);
      const got = await readDocumentLines(file, text.length, { sliceBytes: chunk });
      assert.deepEqual(got.lines, text.split(/\r\n|\r|\n/), `round ${round}, chunk ${chunk}: ${JSON.stringify(text)}`);
      assert.equal(got.length, text.length);
      assert.equal(got.fingerprint, documentFingerprint(text.length, (s, e) => text.slice(s, e)));
    }
  });

  it('decodes invalid UTF-8 as a decoder of the whole file does, for any chunk boundary', async () => {
    const random = mulberry32(11);
    const BYTES = [0x61, 0x0a, 0x0d, 0xc3, 0xa9, 0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80, 0xc0, 0xed, 0xa0];
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => BYTES[Math.floor(random() * BYTES.length)]!));
      if (bytes[0] === 0xef) continue;
      const file = path.join(dir, `bytes${round}.jsonl`);
      fs.writeFileSync(file, bytes);
      const text = bytes.toString('utf8');
      const chunk = 1 + Math.floor(random() * 6);
      const got = await readDocumentLines(file, text.length, { sliceBytes: chunk });
      assert.deepEqual(got.lines, text.split(/\r\n|\r|\n/), `round ${round}, chunk ${chunk}: ${bytes.toString('hex')}`);
      assert.equal(got.length, text.length);
    }
  });

  it('trusts the lines of the head only when its hash matches the editor\'s', async () => {
    const text = Array.from({ length: 9000 }, (_, i) => `{"id":"s${i}","text":"sample ${i} ${'x'.repeat(i % 300)}"}`).join('\r\n');
    const file = path.join(dir, 'head.jsonl');
    fs.writeFileSync(file, text, 'utf8');
    const progress = async (head: string): Promise<number[]> => {
      const seen: number[] = [];
      await readDocumentLines(file, text.length, { sliceBytes: 64 << 10, head, onLines: (_lines, trusted) => seen.push(trusted) });
      return seen;
    };
    const good = await progress(headHash(text.slice(0, HEAD_LENGTH)));
    const linesInHead = text.slice(0, HEAD_LENGTH).split('\r\n').length - 1;
    assert.equal(Math.max(...good), linesInHead, 'every whole line of the head');
    assert.ok(good.indexOf(linesInHead) > 0 && good.indexOf(linesInHead) < good.length - 1, 'known before the end of the file');
    const bad = await progress(headHash(`${text.slice(0, HEAD_LENGTH - 1)}!`));
    assert.equal(Math.max(...bad), 0, 'a head that differs from the editor\'s: nothing trusted');
  });

  it('drops a UTF-8 BOM, as VS Code does, and fingerprints what is left', async () => {
    const file = path.join(dir, 'bom.jsonl');
    fs.writeFileSync(file, '\ufeff{"text":"a"}\n', 'utf8');
    const text = '{"text":"a"}\n';
    const got = await readDocumentLines(file, text.length, { sliceBytes: 3 });
    assert.deepEqual(got.lines, ['{"text":"a"}', '']);
    assert.equal(got.fingerprint, documentFingerprint(text.length, (s, e) => text.slice(s, e)));
  });

  it('gives another fingerprint for a text of the same length that differs in one character', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `{"id":"s${i}","text":"sample"}`).join('\n');
    const file = path.join(dir, 'big.jsonl');
    // One character differs somewhere in the file, in a place a window covers: the end.
    fs.writeFileSync(file, `${text.slice(0, -3)}"x}`, 'utf8');
    const got = await readDocumentLines(file, text.length);
    assert.equal(got.length, text.length);
    assert.notEqual(got.fingerprint, documentFingerprint(text.length, (s, e) => text.slice(s, e)));
  });
});
