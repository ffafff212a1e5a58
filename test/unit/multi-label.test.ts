// Multi-label tasks end to end in the core: set records in label files, set predictions in files,
// the assessment and quick fixes of sets, the embedded model trained on sets, stats, hover and queue.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labelActions, MAX_LABEL_ACTIONS } from '../../server/src/core/kinds/classify/actions';
import { assessSample } from '../../server/src/core/kinds/classify/assess';
import { decidedLabels } from '../../server/src/core/kinds/classify/decide';
import { parseConfig } from '../../server/src/core/config';
import { hoverMarkdown, toSampleInfo } from '../../server/src/core/kinds/classify/hover';
import { canonicalLabelText, LabelFile, parseLabels, serializeLabel, toLabelRecord } from '../../server/src/core/labels';
import { labelCertainty, leastSure } from '../../server/src/core/labelSets';
import { Learner } from '../../server/src/core/kinds/classify/learner';
import { rankQueue, uncertainty } from '../../server/src/core/model/queue';
import { parsePredictionFile, predictionFromRecord } from '../../server/src/core/predictions';
import { Project } from '../../server/src/core/workspace/project';
import { reviewQueue } from '../../server/src/core/reviewQueue';
import { datasetStats, formatStats } from '../../server/src/core/stats';
import type { LabelRecord, Prediction, Task } from '../../server/src/core/types';
import { TICKETS, ticketsConfig, ticketsJsonl } from '../helpers/tickets';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

const TASK: Task = parseConfig(ticketsConfig()).tasks[0]!;
const SINGLE: Task = parseConfig(JSON.stringify({ tasks: [{ name: 'sentiment', files: ['*.jsonl'], labels: ['positive', 'negative'] }] })).tasks[0]!;
const RANGE = { start: 10, end: 20 };
const TIME = '2026-01-01T00:00:00.000Z';

function setRecord(labels: string[], extra: Partial<LabelRecord> = {}): LabelRecord {
  return { id: 's', labels, answer: 'accept', annotator: 'ann', time: TIME, source: 'manual', ...extra };
}

function setPrediction(labels: string[], scores: Record<string, number>, extra: Partial<Prediction> = {}): Prediction {
  return { label: labels[0] ?? '', labels, scores, score: leastSure(scores)!.certainty, origin: 'model', ...extra };
}

describe('multi-label: label records', () => {
  it('serializes a set in the place of "label", sorted and unique, with the fixed key order', () => {
    const line = serializeLabel({ time: TIME, annotator: 'ana', source: 'correction', answer: 'accept', labels: ['bug', 'billing', 'bug'], id: 'r1' } as LabelRecord);
    assert.equal(line, `{"id":"r1","labels":["billing","bug"],"answer":"accept","source":"correction","annotator":"ana","time":"${TIME}"}`);
    assert.equal(serializeLabel(setRecord([])), `{"id":"s","labels":[],"answer":"accept","source":"manual","annotator":"ann","time":"${TIME}"}`, 'an empty set: none of the labels');
  });

  it('keeps single-label records byte-identical', () => {
    const single: LabelRecord = { id: 'r003', label: 'neutral', answer: 'accept', source: 'prediction', score: 0.62, annotator: 'ana@example.com', time: '2026-11-22T11:57:54.781Z' };
    assert.equal(serializeLabel(single), '{"id":"r003","label":"neutral","answer":"accept","source":"prediction","score":0.62,"annotator":"ana@example.com","time":"2026-11-22T11:57:54.781Z"}');
  });

  it('reads a set back canonical; an unsorted set makes the file non-canonical until compaction sorts it', () => {
    const record = toLabelRecord({ id: 'a', labels: ['z', 'b', 'z'], answer: 'accept', annotator: 'x', time: 't' }) as LabelRecord;
    assert.deepEqual(record, { id: 'a', labels: ['b', 'z'], answer: 'accept', annotator: 'x', time: 't', source: 'manual' });
    assert.equal(record.label, undefined);
    const unsorted = '{"id":"a","labels":["z","b"],"answer":"accept","source":"manual","annotator":"x","time":"t"}\n';
    const parsed = parseLabels(unsorted);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.canonical, false);
    assert.equal(canonicalLabelText(parsed.records.values()), '{"id":"a","labels":["b","z"],"answer":"accept","source":"manual","annotator":"x","time":"t"}\n');
    assert.equal(parseLabels(canonicalLabelText(parsed.records.values())).canonical, true);
  });

  it('refuses both, neither, and anything but a list of strings, with a message for the label file diagnostic', () => {
    const base = { id: 'a', answer: 'accept', annotator: 'x', time: 't' };
    const bad: Array<[unknown, RegExp]> = [
      [{ ...base, label: 'a', labels: ['a'] }, /has both "label" and "labels"/],
      [base, /needs "label" \(a string\) or "labels" \(a list of strings\)/],
      [{ ...base, labels: 'billing' }, /"labels" must be a list of strings/],
      [{ ...base, labels: ['billing', 3] }, /"labels" must be a list of strings/],
      [{ ...base, labels: [null] }, /"labels" must be a list of strings/],
      [{ ...base, labels: {} }, /"labels" must be a list of strings/],
    ];
    for (const [value, message] of bad) assert.match(toLabelRecord(value) as string, message, JSON.stringify(value));
    const text = [
      serializeLabel(setRecord(['bug'], { id: 'ok' })),
      '{"id":"b","label":"bug","labels":["bug"],"answer":"accept","annotator":"x","time":"t"}',
      '{"id":"c","labels":["bug",1],"answer":"accept","annotator":"x","time":"t"}',
    ].join('\n');
    const parsed = parseLabels(text);
    assert.deepEqual([...parsed.records.keys()].length, 1);
    assert.deepEqual(parsed.problems.map((p) => p.line), [1, 2]);
    assert.match(parsed.problems[0]!.message, /^Not a label record: has both "label" and "labels"/);
  });

  it('appends and compacts sets on disk; single and set records sit side by side', () => {
    const root = tempWorkspace();
    try {
      const file = new LabelFile(path.join(root, 'd.labels.jsonl'));
      file.append([setRecord(['bug', 'billing'], { id: 'r2' }), { ...setRecord([], { id: 'r1' }) }]);
      file.append([{ id: 'r0', label: 'bug', answer: 'accept', annotator: 'ann', time: TIME, source: 'manual' }]);
      assert.equal(file.compact().written, true);
      const lines = fs.readFileSync(file.path, 'utf8').trim().split('\n');
      assert.deepEqual(lines.map((l) => JSON.parse(l).id), ['r0', 'r1', 'r2']);
      assert.deepEqual(JSON.parse(lines[2]!).labels, ['billing', 'bug']);
      assert.deepEqual(JSON.parse(lines[1]!).labels, []);
      assert.equal(file.read().canonical, true);
      assert.throws(() => file.append([{ ...setRecord(['a']), labels: ['a', 5 as unknown as string] }]), /Refusing to write an invalid label record/);
    } finally {
      removeWorkspace(root);
    }
  });
});

describe('multi-label: assessSample', () => {
  const billingBug = (): Prediction => setPrediction(['billing', 'bug'], { account: 0.05, billing: 0.93, bug: 0.61, feature: 0.1 });

  it('an unlabeled set below the threshold: review, naming the set and its least sure label', () => {
    assert.deepEqual(assessSample(TASK, 3, RANGE, 's', undefined, billingBug()), {
      line: 3, start: 10, end: 20, code: 'review', severity: 'warning',
      message: "Review: model predicted {billing, bug} (least sure: 'bug' 0.61)",
      data: { sampleId: 's', predictedLabels: ['billing', 'bug'], score: 0.61, origin: 'model' },
    });
  });

  it('confidence is the least sure label: min over labels of max(p, 1 - p), a label left out counts too', () => {
    const sure = setPrediction(['billing'], { account: 0.02, billing: 0.97, bug: 0.1, feature: 0.04 });
    assert.equal(sure.score, 0.9);
    const finding = assessSample(TASK, 0, RANGE, 's', undefined, sure)!;
    assert.equal(finding.code, 'suggestion');
    assert.equal(finding.message, "Suggestion: model predicted {billing} (least sure: 'bug' 0.10)");
    const unsure = setPrediction(['billing'], { account: 0.02, billing: 0.97, bug: 0.3, feature: 0.04 });
    assert.equal(assessSample(TASK, 0, RANGE, 's', undefined, unsure)!.code, 'review', 'bug at 0.30 is only 0.70 sure to be out');
  });

  it('the empty set is a prediction like any other; a file set without scores shows its score', () => {
    const none = setPrediction([], { account: 0.01, billing: 0.05, bug: 0.02, feature: 0.03 });
    assert.equal(assessSample(TASK, 0, RANGE, 's', undefined, none)!.message, "Suggestion: model predicted {} (least sure: 'billing' 0.05)");
    const file: Prediction = { label: 'bug', labels: ['bug', 'account'], score: 0.7, origin: 'file' };
    assert.equal(assessSample(TASK, 0, RANGE, 's', undefined, file)!.message, 'Review: predicted {account, bug} (0.70)');
  });

  it('labeled with the same set in any order: nothing; a different set against a confident prediction: conflict', () => {
    assert.equal(assessSample(TASK, 0, RANGE, 's', setRecord(['bug', 'billing']), billingBug()), undefined);
    const confident = setPrediction(['billing', 'bug'], { account: 0.05, billing: 0.95, bug: 0.9, feature: 0.1 });
    assert.deepEqual(assessSample(TASK, 5, RANGE, 's', setRecord(['billing']), confident), {
      line: 5, start: 10, end: 20, code: 'conflict', severity: 'warning',
      message: "Labeled {billing} by ann, but model predicted {billing, bug} (least sure: 'bug' 0.90)",
      data: { sampleId: 's', labels: ['billing'], predictedLabels: ['billing', 'bug'], score: 0.9, origin: 'model' },
    });
    assert.equal(assessSample(TASK, 0, RANGE, 's', setRecord(['billing']), billingBug()), undefined, 'not confident: no conflict');
    assert.equal(assessSample(TASK, 0, RANGE, 's', setRecord(['billing'], { source: 'correction' }), confident), undefined, 'a correction was made knowing the prediction');
    assert.equal(assessSample(TASK, 0, RANGE, 's', setRecord([], { answer: 'ignore' }), confident), undefined);
    assert.equal(assessSample(TASK, 0, RANGE, 's', { ...setRecord([]), labels: undefined, label: 'billing' }, confident)?.code, 'conflict', 'a one-label record is a set of one');
  });

  it('a label outside the label set, in a labeled or a predicted set: unknown-label', () => {
    const finding = assessSample(TASK, 2, RANGE, 's', setRecord(['billing', 'refunds']), billingBug())!;
    assert.equal(finding.code, 'unknown-label');
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /^Label 'refunds' of \{billing, refunds\} is not in the label set of task 'tickets' \(account, billing, bug, feature\)/);
    assert.deepEqual(finding.data?.labels, ['billing', 'refunds']);
    const predicted = assessSample(TASK, 2, RANGE, 's', undefined, setPrediction(['spam', 'bug', 'x'], { spam: 0.9, bug: 0.9, x: 0.9 }))!;
    assert.equal(predicted.code, 'unknown-label');
    assert.match(predicted.message, /^Predicted labels 'spam', 'x' of \{bug, spam, x\} are not in the label set/);
  });

  it('a set on a single-label task is an error that says how to fix it', () => {
    const finding = assessSample(SINGLE, 0, RANGE, 's', setRecord(['positive', 'negative']), undefined)!;
    assert.equal(finding.code, 'unknown-label');
    assert.match(finding.message, /^Labeled with the set \{negative, positive\}, but task 'sentiment' takes one label per sample; .*"multiLabel": true/);
  });
});

describe('multi-label: labelActions', () => {
  it('accept the predicted set (preferred), add or remove each label relative to it, skip', () => {
    const actions = labelActions(TASK, { sampleId: 's', predictedLabels: ['billing', 'bug'], score: 0.61, origin: 'model' });
    assert.deepEqual(actions.map((a) => [a.title, a.isPreferred]), [
      ['Accept {billing, bug}', true],
      ["Add 'account'", false],
      ["Remove 'billing'", false],
      ["Remove 'bug'", false],
      ["Add 'feature'", false],
      ['Skip', false],
    ]);
    assert.deepEqual(actions[0]!.decision, { sampleId: 's', labels: ['billing', 'bug'], answer: 'accept', source: 'prediction', score: 0.61 });
    assert.deepEqual(actions[1]!.decision, { sampleId: 's', labels: ['billing', 'bug', 'account'], answer: 'accept', source: 'correction', score: 0.61 });
    assert.deepEqual(actions[2]!.decision, { sampleId: 's', labels: ['bug'], answer: 'accept', source: 'correction', score: 0.61 });
    assert.deepEqual(actions[5]!.decision, { sampleId: 's', labels: ['billing', 'bug'], answer: 'ignore', source: 'prediction', score: 0.61 });
    assert.ok(actions.every((a) => a.decision?.label === undefined), 'a multi-label task writes sets only');
  });

  it('on a conflict: accept, keep the labeled set, toggles relative to the labeled set', () => {
    const actions = labelActions(TASK, { sampleId: 's', labels: ['billing'], predictedLabels: ['billing', 'bug'], score: 0.9 });
    assert.deepEqual(actions.map((a) => a.title), ['Accept {billing, bug}', 'Keep {billing}', "Add 'account'", "Remove 'billing'", "Add 'bug'", "Add 'feature'", 'Skip']);
    assert.deepEqual(actions[1]!.decision, { sampleId: 's', labels: ['billing'], answer: 'accept', source: 'correction', score: 0.9 });
    assert.deepEqual(actions[3]!.decision!.labels, [], 'removing the last label leaves the empty set');
    assert.deepEqual(actions[4]!.decision, { sampleId: 's', labels: ['billing', 'bug'], answer: 'accept', source: 'prediction', score: 0.9 }, 'the toggled set is the prediction');
  });

  it('without a prediction: manual toggles from the empty set; an unknown label of the set can be removed', () => {
    const actions = labelActions(TASK, { sampleId: 's' });
    assert.deepEqual(actions.map((a) => a.title), ["Add 'account'", "Add 'billing'", "Add 'bug'", "Add 'feature'", 'Skip']);
    assert.ok(actions.every((a) => a.decision!.source === 'manual' && !a.isPreferred));
    const unknown = labelActions(TASK, { sampleId: 's', labels: ['bug', 'refunds'] });
    assert.deepEqual(unknown.at(-2)!.title, "Remove 'refunds'");
    assert.deepEqual(unknown.at(-2)!.decision!.labels, ['bug']);
  });

  it('a predicted set with a label outside the label set is not offered for acceptance', () => {
    const actions = labelActions(TASK, { sampleId: 's', predictedLabels: ['spam'], score: 0.9 });
    assert.ok(!actions.some((a) => a.title.startsWith('Accept')));
  });

  it(`beyond ${MAX_LABEL_ACTIONS} labels: accept, the picker (several choices), skip`, () => {
    const many = { ...TASK, labels: Array.from({ length: 40 }, (_, i) => ({ name: `l${i}` })) };
    const actions = labelActions(many, { sampleId: 's', predictedLabels: ['l1', 'l7'], score: 0.4 });
    assert.deepEqual(actions.map((a) => a.title), ['Accept {l1, l7}', 'Choose labels… (40 labels)', 'Skip']);
    assert.equal(actions[1]!.decision, undefined);
  });
});

describe('multi-label: predictions from files', () => {
  it('Loopmark shape: a set with per-label scores; its confidence is the least sure label', () => {
    const { prediction, problem } = predictionFromRecord({ prediction: { labels: ['bug', 'billing'], scores: { billing: 0.9, bug: 0.7, account: 0.2 }, model_version: 'v2' } });
    assert.equal(problem, undefined);
    assert.deepEqual(prediction, { label: 'billing', labels: ['billing', 'bug'], scores: { billing: 0.9, bug: 0.7, account: 0.2 }, score: 0.7, origin: 'file', modelVersion: 'v2' });
    assert.equal(predictionFromRecord({ prediction: { labels: ['bug'], scores: { bug: 0.7 }, score: 0.95 } }).prediction!.score, 0.95, 'a given score wins');
    assert.deepEqual(predictionFromRecord({ prediction: { labels: [] } }).prediction, { label: '', labels: [], score: 1, origin: 'file' });
  });

  it('Loopmark shape: unusable sets are problems', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ labels: 'bug' }, /"prediction\.labels" must be a list of label names/],
      [{ labels: ['bug', 2] }, /"prediction\.labels" must be a list/],
      [{ labels: ['bug'], scores: [0.5] }, /"prediction\.scores" must be an object/],
      [{ labels: ['bug'], scores: { bug: 1.5 } }, /'bug' is not/],
      [{ labels: ['bug'], score: 'high' }, /"prediction\.score" must be a number between 0 and 1/],
      [{ label: 'bug', labels: ['bug'] }, /both "label" and "labels"/],
    ];
    for (const [own, message] of bad) {
      const result = predictionFromRecord({ prediction: own });
      assert.equal(result.prediction, undefined, JSON.stringify(own));
      assert.match(result.problem!, message);
    }
  });

  it('Label Studio shape: several choices are a set; one choice stays one label', () => {
    const studio = (choices: string[]): Record<string, unknown> => ({ predictions: [{ score: 0.8, result: [{ type: 'choices', value: { choices } }] }] });
    assert.deepEqual(predictionFromRecord(studio(['bug', 'billing'])).prediction, { label: 'bug', labels: ['billing', 'bug'], score: 0.8, origin: 'file' });
    assert.deepEqual(predictionFromRecord(studio(['bug'])).prediction, { label: 'bug', score: 0.8, origin: 'file' });
  });

  it('sidecar: {"id", "labels", "scores"} lines (what `loopmark predict` writes); bad lines are problems', () => {
    const file = parsePredictionFile([
      '{"id": "t1", "labels": ["bug", "billing"], "scores": {"account": 0.1, "billing": 0.8, "bug": 0.6, "feature": 0.05}}',
      '{"id": 2, "labels": []}',
      '{"id": "t3", "label": "bug", "score": 0.9}',
      '{"id": "t4", "labels": "bug"}',
      '{"id": "t5", "label": "bug", "labels": ["bug"]}',
      '{"labels": ["bug"]}',
    ].join('\n'));
    assert.deepEqual(file.byId.get('t1'), { label: 'billing', labels: ['billing', 'bug'], scores: { account: 0.1, billing: 0.8, bug: 0.6, feature: 0.05 }, score: 0.6, origin: 'file' });
    assert.deepEqual(file.byId.get('2'), { label: '', labels: [], score: 1, origin: 'file' });
    assert.deepEqual(file.byId.get('t3'), { label: 'bug', score: 0.9, origin: 'file' });
    assert.deepEqual(file.problems.map((p) => p.line), [3, 4, 5]);
    assert.match(file.problems[0]!.message, /"labels" must be a list/);
    assert.match(file.problems[1]!.message, /not both/);
    assert.match(file.problems[2]!.message, /"id"/);
  });
});

describe('multi-label: a project with the embedded model', function () {
  this.timeout(20_000);
  let root: string;
  let project: Project;
  let file: string;
  const TRAIN = TICKETS.slice(0, 24);

  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': ticketsConfig(), 'data/tickets.jsonl': ticketsJsonl() });
    file = path.join(root, 'data', 'tickets.jsonl');
    let clock = Date.parse(TIME);
    project = new Project({ root, annotator: 'ana', now: () => new Date(clock++) });
  });
  afterEach(() => removeWorkspace(root));

  it('writes decisions as sets: one label becomes a set of one; a set on a single-label task is refused', () => {
    const records = project.applyLabels(file, [
      { sampleId: 't05', labels: ['bug', 'billing'], answer: 'accept', source: 'manual' },
      { sampleId: 't01', label: 'billing', answer: 'accept', source: 'manual' },
      { sampleId: 't08', labels: [], answer: 'accept', source: 'manual' },
    ]);
    assert.deepEqual(records.map((r) => [r.label, r.labels]), [[undefined, ['billing', 'bug']], [undefined, ['billing']], [undefined, []]]);
    const lines = fs.readFileSync(path.join(root, 'data', 'tickets.labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.labels), [['billing', 'bug'], ['billing'], []]);
    assert.ok(lines.every((l) => !('label' in l)));
    assert.throws(() => decidedLabels(SINGLE, { sampleId: 'x', labels: ['positive', 'negative'] }), /takes one label per sample, not the set \{negative, positive\}/);
    assert.deepEqual(decidedLabels(SINGLE, { sampleId: 'x', labels: ['positive'] }), { label: 'positive' });
    assert.throws(() => decidedLabels(TASK, { sampleId: 'x', label: 'bug', labels: ['bug'] }), /both "label" and "labels"/);
  });

  it('trains a multi-label model on the sets and predicts sets with per-label probabilities', () => {
    project.applyLabels(file, TRAIN.map((t) => ({ sampleId: t.id, labels: t.gold, answer: 'accept' as const, source: 'manual' as const })));
    const learner = new Learner(project);
    learner.trainAll();
    const task = project.taskOf(file)!;
    const state = learner.state(task);
    assert.equal(state.state, 'ready');
    assert.equal(state.examples, 24);
    assert.deepEqual(state.counts, { account: 7, billing: 8, bug: 9, feature: 6 }, 'positives per label');
    const positives = Object.fromEntries(['account', 'billing', 'bug', 'feature'].map((l) => [l, TRAIN.filter((t) => t.gold.includes(l)).length]));
    assert.deepEqual(state.counts, positives);
    const entry = project.entry(file)!;
    let exact = 0;
    for (let line = 0; line < entry.dataset.lineCount; line++) {
      const sample = entry.dataset.sampleAt(line);
      if (!sample) continue; // the line after the final newline
      const p = learner.predict(task, sample)!;
      assert.ok(Array.isArray(p.labels), 'a set');
      assert.deepEqual(Object.keys(p.scores!).sort(), ['account', 'billing', 'bug', 'feature']);
      assert.deepEqual(p.labels, Object.keys(p.scores!).filter((l) => p.scores![l]! >= 0.5).sort(), 'the labels at or above their threshold, sorted');
      assert.equal(p.score, Math.min(...Object.values(p.scores!).map((v) => Math.max(v, 1 - v))), 'confidence of the least sure label');
      const gold = TICKETS[line]!.gold;
      if (p.labels!.length === gold.length && gold.every((l) => p.labels!.includes(l))) exact++;
    }
    assert.ok(exact >= 18, `the sets of most tickets are predicted exactly (${exact} of 30)`);
  });

  it('a threshold on a label in loopmark.json: the model puts the label in the set from that probability, and judges its certainty there', () => {
    const labels = JSON.parse(ticketsConfig()).tasks[0].labels as Array<Record<string, unknown>>;
    labels.find((l) => l.name === 'feature')!.threshold = 0.05;
    writeFiles(root, { 'loopmark.json': ticketsConfig({ labels }) });
    project = new Project({ root, annotator: 'ana' });
    const task = project.taskOf(file)!;
    assert.equal(task.labels.find((l) => l.name === 'feature')!.threshold, 0.05);
    project.applyLabels(file, TRAIN.map((t) => ({ sampleId: t.id, labels: t.gold, answer: 'accept' as const, source: 'manual' as const })));
    const learner = new Learner(project);
    learner.trainAll();
    const entry = project.entry(file)!;
    let lowered = 0;
    for (let line = 0; line < entry.dataset.lineCount; line++) {
      const sample = entry.dataset.sampleAt(line);
      if (!sample) continue;
      const p = learner.predict(task, sample)!;
      const threshold = (label: string): number => (label === 'feature' ? 0.05 : 0.5);
      assert.deepEqual(p.labels, Object.keys(p.scores!).filter((l) => p.scores![l]! >= threshold(l)).sort(), 'each label at or above its own threshold');
      const worst = leastSure(p.scores!, threshold)!;
      assert.equal(p.score, worst.certainty);
      assert.equal(p.leastSure, worst.label);
      if (p.labels!.includes('feature') && p.scores!['feature']! < 0.5) lowered++;
    }
    assert.ok(lowered > 0, 'the lowered threshold put feature in sets it would have left out at 0.5');
    // The diagnostic names the least sure label the model judged, with its probability.
    const sample = entry.dataset.sampleAt(0)!;
    const p = learner.predict(task, sample)!;
    const finding = assessSample(task, 0, { start: 0, end: 1 }, sample.id, undefined, p)!;
    assert.ok(finding.message.includes(`least sure: '${p.leastSure}' ${p.scores![p.leastSure!]!.toFixed(2)}`), finding.message);
  });

  it('learns one decision at once, an empty set too, and accepts predicted sets in bulk', () => {
    project.applyLabels(file, TRAIN.map((t) => ({ sampleId: t.id, labels: t.gold, answer: 'accept' as const, source: 'manual' as const })));
    const learner = new Learner(project);
    learner.trainAll();
    project.predictor = learner;
    const task = project.taskOf(file)!;
    const sample = project.entry(file)!.dataset.sampleAt(28)!; // t29, "Have a nice weekend, team!"
    const before = learner.predict(task, sample)!;
    const [record] = project.applyLabels(file, [{ sampleId: 't29', labels: [], answer: 'accept', source: 'manual' }]);
    learner.learn(task, sample, record!);
    const after = learner.predict(task, sample)!;
    const sum = (p: Prediction): number => Object.values(p.scores!).reduce((a, b) => a + b, 0);
    assert.ok(sum(after) < sum(before), `an empty set lowers every label (${sum(before).toFixed(3)} -> ${sum(after).toFixed(3)})`);
    const decisions = project.acceptableAbove(file, 0);
    assert.equal(decisions.length, 5, 't25..t30 except t29');
    assert.ok(decisions.every((d) => Array.isArray(d.labels) && d.label === undefined && d.source === 'prediction'));
    const queue = reviewQueue(project, task, 10);
    assert.equal(queue.length, 5);
    assert.ok(queue.every((i) => Array.isArray(i.prediction?.labels)));
  });

  it('every prediction takes the shape of its task: one label is a set of one; several choices on a single-label task, the first', () => {
    writeFiles(root, {
      'data/tickets-file.jsonl': '{"id": "f1", "text": "refund", "prediction": {"label": "billing", "score": 0.9}}\n',
      'single/d.jsonl': '{"id": "s1", "text": "x", "predictions": [{"result": [{"value": {"choices": ["bug", "billing"]}}]}]}\n',
    });
    const multi = project.entry(path.join(root, 'data', 'tickets-file.jsonl'))!;
    const shown = project.predictions(multi, multi.dataset.sampleAt(0)!).shown!;
    assert.deepEqual(shown.labels, ['billing']);
    assert.match(assessSample(TASK, 0, RANGE, 'f1', undefined, shown)!.message, /^Suggestion: predicted \{billing\} \(0\.90\)$/);
    writeFiles(root, { 'loopmark.json': JSON.stringify({ tasks: [{ name: 'one', files: ['single/*.jsonl'], labels: ['bug', 'billing'] }] }) });
    const single = new Project({ root, annotator: 'ana' });
    const entry = single.entry(path.join(root, 'single', 'd.jsonl'))!;
    assert.deepEqual(single.predictions(entry, entry.dataset.sampleAt(0)!).shown, { label: 'bug', score: 1, origin: 'file' });
  });

  it('stats count a set for each of its labels, decisions once, and empty sets apart', () => {
    project.applyLabels(file, [
      { sampleId: 't05', labels: ['billing', 'bug'], answer: 'accept', source: 'manual' },
      { sampleId: 't01', labels: ['billing'], answer: 'accept', source: 'manual' },
      { sampleId: 't08', labels: [], answer: 'accept', source: 'manual' },
      { sampleId: 't02', labels: ['bug'], answer: 'ignore', source: 'manual' },
    ]);
    const stats = datasetStats(project, file);
    assert.equal(stats.labeled, 4);
    assert.deepEqual(stats.labels['billing'], { accept: 2, reject: 0, ignore: 0 });
    assert.deepEqual(stats.labels['bug'], { accept: 1, reject: 0, ignore: 1 });
    assert.deepEqual(stats.labels['account'], { accept: 0, reject: 0, ignore: 0 });
    assert.deepEqual(stats.emptySets, { accept: 1, reject: 0, ignore: 0 });
    assert.deepEqual(stats.answers, { accept: 3, reject: 0, ignore: 1 });
    assert.match(formatStats('tickets', stats), /\{\}\s+1\s+0\s+0\s+\(empty set: none of the labels\)/);
  });

  it('the hover shows the set and every label\'s probability, escaped', () => {
    project.applyLabels(file, TRAIN.map((t) => ({ sampleId: t.id, labels: t.gold, answer: 'accept' as const, source: 'manual' as const })));
    const learner = new Learner(project);
    learner.trainAll();
    project.predictor = learner;
    const info = toSampleInfo(project.recordInfo(file, 4)!); // t05, labeled {billing, bug}
    const md = hoverMarkdown(info);
    assert.match(md, /Prediction: \*\*\\\{[a-z, ]*\\\}\*\* \d\.\d\d \(least sure label\) — embedded model/);
    assert.match(md, /Per label: .*account \d\.\d\d/);
    assert.match(md, /Label: \*\*\\\{billing, bug\\\}\*\* \(manual\) by ana/);
    assert.equal(info.guideline, undefined, 'a set has no one guideline');
  });
});

describe('multi-label: the hover of untrusted label names', () => {
  it('escapes every name of a set, of its scores and of a labeled set', () => {
    const evil = '[x](command:workbench.action.terminal.new)';
    const md = hoverMarkdown({
      sample: { id: 's', fromText: false, text: 't' },
      line: 0,
      task: TASK,
      labels: [],
      current: setRecord([evil, '<img src=x>']),
      shown: setPrediction([evil], { [evil]: 0.9, '*bold*': 0.2 }),
      modelPrediction: setPrediction([evil], { [evil]: 0.9, '*bold*': 0.2 }),
    });
    assert.ok(!md.includes('](command'), md);
    assert.ok(!md.includes('<img'), md);
    assert.ok(!/(^|[^\\])\*bold/.test(md), md);
    assert.match(md, /Per label: \*\*\\\[x\\\]/);
  });
});

describe('multi-label: certainty against a threshold', () => {
  it('is max(p, 1 - p) at 0.5, 0.5 at the threshold and 1 at 0 or 1, linear on each side', () => {
    for (const p of [0, 0.1, 0.5, 0.73, 1]) assert.equal(labelCertainty(p), Math.max(p, 1 - p));
    assert.equal(labelCertainty(0.3, 0.3), 0.5);
    assert.equal(labelCertainty(1, 0.3), 1);
    assert.equal(labelCertainty(0, 0.3), 1);
    assert.ok(Math.abs(labelCertainty(0.65, 0.3) - 0.75) < 1e-12);
    assert.ok(Math.abs(labelCertainty(0.15, 0.3) - 0.75) < 1e-12);
  });

  it('loopmark.json: a label threshold must lie strictly between 0 and 1', () => {
    for (const bad of [0, 1, 1.5, '0.3']) {
      const config = parseConfig(JSON.stringify({ tasks: [{ name: 't', files: ['*.jsonl'], multiLabel: true, labels: [{ name: 'a', threshold: bad }] }] }));
      assert.ok(config.problems.length > 0, `threshold ${JSON.stringify(bad)} is refused`);
    }
    const good = parseConfig(JSON.stringify({ tasks: [{ name: 't', files: ['*.jsonl'], multiLabel: true, labels: [{ name: 'a', threshold: 0.3 }, 'b'] }] }));
    assert.deepEqual(good.problems, []);
    assert.deepEqual(good.tasks[0]!.labels, [{ name: 'a', threshold: 0.3 }, { name: 'b' }]);
  });

  it('the queue ranks a set by its least sure label against that label\'s threshold', () => {
    const set = { label: 'a', score: 0.5, labels: ['a'], scores: { a: 0.9, b: 0.2 } };
    const at = (thresholds?: Record<string, number>) => uncertainty({ ...set, ...(thresholds ? { thresholds } : {}) }, 'margin');
    assert.ok(Math.abs(at() - 0.4) < 1e-12, 'b at 0.2 against 0.5: certainty 0.8');
    assert.ok(Math.abs(at({ b: 0.25 }) - 0.8) < 1e-12, 'b at 0.2 against 0.25: certainty 0.6, nearer its threshold');
  });
});

describe('multi-label: the review queue', () => {
  const set = (labels: string[], scores: Record<string, number>) => ({ label: labels[0] ?? '', score: 0.5, scores, labels });

  it('uncertainty: the least sure label closest to its threshold comes first', () => {
    const order = rankQueue([
      { key: 'sure', order: 0, model: set(['a'], { a: 0.95, b: 0.03 }) },
      { key: 'coin-flip-on-b', order: 1, model: set(['a'], { a: 0.95, b: 0.48 }) },
      { key: 'middling', order: 2, model: set(['a', 'b'], { a: 0.8, b: 0.7 }) },
    ], 'uncertainty');
    assert.deepEqual(order, ['coin-flip-on-b', 'middling', 'sure']);
  });

  it('disagreement: the model and the file sets differ (not merely overlap)', () => {
    const order = rankQueue([
      { key: 'same', order: 0, model: set(['a', 'b'], { a: 0.9, b: 0.9 }), file: { label: 'a', labels: ['b', 'a'], score: 1 } },
      { key: 'subset', order: 1, model: set(['a', 'b'], { a: 0.9, b: 0.9 }), file: { label: 'a', labels: ['a'], score: 1 } },
    ], 'disagreement');
    assert.deepEqual(order, ['subset', 'same']);
  });
});
