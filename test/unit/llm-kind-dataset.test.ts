// The llm kind's dataset-wide state: built once per dataset, and after an edit only the edited line
// is read and set again (no re-run of the whole dataset's deduplication); its duplicate partner follows.
import * as assert from 'node:assert/strict';
import { datasetState } from '../../server/src/core/kinds/llm/datasetState';
import { duplicateText, sampleOf } from '../../server/src/core/kinds/llm/assess';
import { DEFAULT_LLM_CONFIG } from '../../server/src/core/kinds/llm/config';

const line = (i: number, answer = `Answer number ${i} is a long enough sentence about topic ${i} for shingles.`): string =>
  JSON.stringify({ messages: [{ role: 'user', content: `Question ${i} about things` }, { role: 'assistant', content: answer }] });

describe('llm kind: the dataset-wide duplicate state', () => {
  it('reads every line once, then only the edited line; the partner of an edited line follows the edit', () => {
    const lines = Array.from({ length: 200 }, (_, i) => line(i));
    let reads = 0;
    const dataset = { get lineCount() { return lines.length; }, lineText: (l: number) => { reads++; return lines[l]!; } };
    const config = { ...DEFAULT_LLM_CONFIG };
    const textOf = (l: number): string => duplicateText(sampleOf(JSON.parse(lines[l]!))!);
    const state = datasetState(dataset, config);
    assert.equal(reads, 200);
    assert.equal(state.index(150, textOf(150)).earlierPartner(150), undefined);
    lines[150] = line(7);
    const partner = state.index(150, textOf(150)).earlierPartner(150);
    assert.deepEqual([partner?.key, partner?.exact], [7, true]);
    assert.equal(datasetState(dataset, config), state, 'the same state for the same dataset and config');
    assert.equal(reads, 200, 'no line read again after the edit');
  });
});
