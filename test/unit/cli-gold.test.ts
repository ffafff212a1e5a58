// server/src/cli/model.ts: the gold file of `loopmark eval` / `simulate`, read as JSON Lines; a bad
// line stops it with the file and line, never a TypeError.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readGold } from '../../server/src/cli/model';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

describe('cli/model: readGold', () => {
  let root: string;
  beforeEach(() => {
    root = tempWorkspace();
  });
  afterEach(() => removeWorkspace(root));

  function gold(text: string, texts?: Map<string, string>): ReturnType<typeof readGold> {
    writeFiles(root, { 'gold.jsonl': text });
    return readGold(path.join(root, 'gold.jsonl'), texts);
  }

  it('reads records with text, joins label records to the dataset texts, skips skips and lines without a label', () => {
    const examples = gold('\uFEFF{"text":"great","label":"positive"}\r\n{"id":"r2","label":"negative"}\n{"id":"r3","label":"negative","answer":"ignore"}\n{"id":"r4"}\n\n{"text":"both","labels":["a","b"]}\n', new Map([['r2', 'awful']]));
    assert.deepEqual(examples, [
      { text: 'great', label: 'positive' },
      { text: 'awful', label: 'negative' },
      { text: 'both', label: ['a', 'b'] },
    ]);
  });

  it('a line that is not JSON names the file and line', () => {
    const file = path.join(root, 'gold.jsonl');
    assert.throws(() => gold('{"text":"a","label":"x"}\n{"text":"b",\n'), (error: Error) => error.message.startsWith(`${file}:2: Not valid JSON: `));
  });

  it('a line that is JSON but not a record (null, a number, a list) names the file and line', () => {
    for (const line of ['null', '5', '["a"]']) {
      assert.throws(() => gold(`{"text":"a","label":"x"}\n${line}\n`), new RegExp(`gold\\.jsonl:2: expected a record`), line);
    }
  });
});
