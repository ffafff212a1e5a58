// server/src/core/identity.ts: a sample's id is its own id field, else a stable hash of its text.
import * as assert from 'node:assert/strict';
import { hash53, sampleId, TEXT_ID_PREFIX, textId } from '../../server/src/core/identity';

describe('core/identity', () => {
  it('hash53 is stable across runs (pinned values) and seeds', () => {
    // Pinned: a change of the hash would detach every label of every id-less dataset.
    assert.equal(hash53(''), 3338908027751811);
    assert.equal(hash53('hello'), 4625896200565286);
    assert.equal(textId('hello'), 'text:106f3a63cd7226');
    assert.notEqual(hash53('hello', 1), hash53('hello'));
    assert.ok(Number.isSafeInteger(hash53('x'.repeat(10_000))));
  });

  it('textId is the prefix and 14 hex digits, and differs for near-identical texts', () => {
    const a = textId('Great product');
    const b = textId('Great product.');
    assert.match(a, /^text:[0-9a-f]{14}$/);
    assert.ok(a.startsWith(TEXT_ID_PREFIX));
    assert.notEqual(a, b);
    assert.equal(textId('Great product'), a, 'same text, same id');
    assert.notEqual(textId('é'), textId('e\u0301'), 'no Unicode normalisation: ids follow the bytes of the text');
  });

  it('uses a non-empty string id as is', () => {
    assert.deepEqual(sampleId('r001', 'text'), { id: 'r001', fromText: false });
    assert.deepEqual(sampleId(' spaced ', 'text'), { id: ' spaced ', fromText: false });
  });

  it('uses a finite number id as its decimal string', () => {
    assert.deepEqual(sampleId(42, 'text'), { id: '42', fromText: false });
    assert.deepEqual(sampleId(0, 'text'), { id: '0', fromText: false });
    assert.deepEqual(sampleId(1.5, 'text'), { id: '1.5', fromText: false });
  });

  it('falls back to the text hash for a missing, empty, null, boolean, object or non-finite id', () => {
    const expected = { id: textId('the text'), fromText: true };
    for (const id of [undefined, '', null, true, false, {}, [], Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(sampleId(id, 'the text'), expected, `id ${String(id)}`);
    }
  });
});
