// Online state = retrained state (server/src/core/learner.ts): decisions learned one by one, with
// the background retrains they start, give the model a fresh start trains from the same label file.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Learner } from '../../server/src/core/kinds/classify/learner';
import { isRandomDraw } from '../../server/src/core/model/queue';
import { Project } from '../../server/src/core/workspace/project';
import type { Prediction } from '../../server/src/core/types';
import { brownPassages, brownSection, loadBrownCorpus } from '../../bench/model.bench';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

/** 160 real passages, press or fiction, alternating documents, as a dataset. */
function passages(): Array<{ id: string; text: string; gold: string }> {
  const all = brownPassages(loadBrownCorpus(), 300, (d) => brownSection(d.genre)).filter((p) => p.label === 'press' || p.label === 'fiction');
  const press = all.filter((p) => p.label === 'press');
  const fiction = all.filter((p) => p.label === 'fiction');
  const out: Array<{ id: string; text: string; gold: string }> = [];
  for (let i = 0; i < 80; i++) {
    for (const p of [press[(i * 37) % press.length]!, fiction[(i * 53) % fiction.length]!]) out.push({ id: `s${out.length}`, text: p.text, gold: p.label });
  }
  return out;
}

function config(): string {
  return JSON.stringify({
    tasks: [{
      name: 'section', files: ['data/*.jsonl'], threshold: 0.8,
      labels: [{ name: 'press', description: 'News, editorials, reviews.' }, { name: 'fiction', description: 'Novels and stories.' }],
      model: { minExamplesPerLabel: 2 },
    }],
  });
}

describe('model: online state equals retrained state', function () {
  this.timeout(120_000);
  let root: string;
  const data = passages();
  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': config(), 'data/section.jsonl': data.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n' });
  });
  afterEach(() => removeWorkspace(root));

  function predictions(project: Project, learner: Learner): Prediction[] {
    const file = path.join(root, 'data', 'section.jsonl');
    const entry = project.entry(file)!;
    const out: Prediction[] = [];
    for (let line = 0; line < entry.dataset.lineCount; line++) {
      const sample = entry.dataset.sampleAt(line);
      if (sample) out.push(learner.predict(entry.task, sample)!);
    }
    return out;
  }

  it('replaying 60 decisions one by one, then settling, predicts exactly as a fresh model trained from the label file', async () => {
    const file = path.join(root, 'data', 'section.jsonl');
    let clock = Date.parse('2026-01-05T10:00:00Z');
    const project = new Project({ root, annotator: 'ana', now: () => new Date(clock++) });
    const learner = new Learner(project);
    learner.trainAll();
    let swaps = 0;
    learner.onRetrained = () => swaps++;
    const entry = project.entry(file)!;
    const task = entry.task;
    // queue-like order: not the file order, and a decision every few milliseconds, some while a retrain runs
    const order = Array.from({ length: 60 }, (_, i) => (i * 7) % data.length);
    for (const [k, i] of order.entries()) {
      const [record] = project.applyLabels(file, [{ sampleId: data[i]!.id, label: data[i]!.gold, answer: 'accept', source: 'manual' }]);
      learner.learn(task, entry.dataset.sampleAt(i)!, record!);
      if (k % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const online = learner.predict(task, entry.dataset.sampleAt(1)!)!;
    await learner.settled();
    assert.ok(swaps >= 1, `retrained in the background (${swaps} swaps)`);
    const replayed = predictions(project, learner);

    const fresh = new Project({ root, annotator: 'ana' });
    const restarted = new Learner(fresh);
    restarted.trainAll();
    const trained = predictions(fresh, restarted);
    assert.equal(replayed.length, data.length);
    assert.deepEqual(replayed, trained, 'the same label file gives the same predictions, bit for bit');
    assert.equal(learner.state(task).examples, 60);
    // and the settled model is not the online one (else the test would prove nothing)
    assert.notDeepEqual(online.scores, replayed[1]!.scores);
    const right = replayed.filter((p, i) => p.label === data[i]!.gold).length;
    assert.ok(right >= 0.8 * data.length, `the retrained model is good (${right} of ${data.length} right)`);
  });

  it('the model in use keeps answering while a retrain from the files runs, until its replacement is trained', () => {
    const file = path.join(root, 'data', 'section.jsonl');
    const project = new Project({ root, annotator: 'ana' });
    project.applyLabels(file, data.slice(0, 20).map((d) => ({ sampleId: d.id, label: d.gold, answer: 'accept' as const, source: 'manual' as const })));
    const learner = new Learner(project);
    learner.trainAll();
    const entry = project.entry(file)!;
    const sample = entry.dataset.sampleAt(40)!;
    const before = learner.predict(entry.task, sample)!;
    assert.ok(before, 'trained from 20 labels');
    // A retrain (a label file changed on disk) driven one step at a time: at every step the old model answers.
    const steps = learner.trainSteps();
    let checked = 0;
    while (!steps.next().done) {
      assert.deepEqual(learner.predict(entry.task, sample), before, `step ${checked}: the prediction of the model in use`);
      assert.equal(learner.state(entry.task).examples, 20);
      checked++;
    }
    assert.ok(checked >= 2, `checked between ${checked} steps`);
    assert.deepEqual(learner.predict(entry.task, sample), before, 'the same files trained the same model');
  });

  it('labels of the random stratum are the examples the calibration is fitted on', () => {
    const project = new Project({ root, annotator: 'ana' });
    const file = path.join(root, 'data', 'section.jsonl');
    project.applyLabels(file, data.slice(0, 100).map((d) => ({ sampleId: d.id, label: d.gold, answer: 'accept' as const, source: 'manual' as const })));
    const examples = new Learner(project).examples(project.entry(file)!.task, [project.entry(file)!]);
    assert.equal(examples.length, 100);
    const idOf = new Map(data.map((d) => [d.text, d.id]));
    assert.deepEqual(examples.map((e) => e.random), examples.map((e) => isRandomDraw(idOf.get(e.text)!)), 'flagged by the hash of the sample id');
    const drawn = examples.filter((e) => e.random).length;
    assert.ok(drawn > 8 && drawn < 35, `about a fifth drawn at random (${drawn} of 100)`);
  });
});
