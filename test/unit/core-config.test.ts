// server/src/core/config.ts: loopmark.json with positions, defaults, task matching, path templates.
import * as assert from 'node:assert/strict';
import { configText, expandTemplate, inferredTask, isSidecar, parseConfig, taskFor } from '../../server/src/core/config';

/** 0-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in text`);
  return text.slice(0, at).split(/\r\n|\r|\n/).length - 1;
}

describe('core/config: parseConfig', () => {
  it('fills every default of a minimal task', () => {
    const config = parseConfig('{"tasks": [{"name": "t", "files": ["data/*.jsonl"], "labels": ["a", "b"]}]}');
    assert.deepEqual(config.problems, []);
    assert.equal(config.declared, true);
    assert.equal(config.annotator, undefined);
    assert.deepEqual(config.tasks, [
      {
        name: 't',
        kind: 'classify',
        files: ['data/*.jsonl'],
        labels: [{ name: 'a' }, { name: 'b' }],
        textField: 'text',
        idField: 'id',
        threshold: 0.8,
        multiLabel: false,
        labelFile: '${dir}/${name}.labels.jsonl',
        predictionsFile: '${dir}/${name}.predictions.jsonl',
        prefer: 'file',
        model: { enabled: true, minExamplesPerLabel: 3 },
        queue: { strategy: 'uncertainty' },
        inferred: false,
      },
    ]);
  });

  it('reads every field, labels as strings or objects, and the annotator', () => {
    const config = parseConfig(
      JSON.stringify({
        annotator: 'me@x',
        tasks: [
          {
            name: 't', kind: 'classify', files: ['a.jsonl'], labels: ['plain', { name: 'described', description: 'the guideline' }, { name: 'bare' }],
            textField: 'data.text', idField: 'meta.id', threshold: 0.5, multiLabel: true, labelFile: 'labels/${name}.jsonl',
            predictionsFile: 'preds/${name}.jsonl', prefer: 'model', model: { enabled: false, minExamplesPerLabel: 5 }, queue: { strategy: 'margin' },
          },
        ],
      }),
    );
    assert.deepEqual(config.problems, []);
    assert.equal(config.annotator, 'me@x');
    const [task] = config.tasks;
    assert.deepEqual(task!.labels, [{ name: 'plain' }, { name: 'described', description: 'the guideline' }, { name: 'bare' }]);
    assert.equal(task!.textField, 'data.text');
    assert.equal(task!.idField, 'meta.id');
    assert.equal(task!.threshold, 0.5);
    assert.equal(task!.multiLabel, true);
    assert.equal(task!.labelFile, 'labels/${name}.jsonl');
    assert.equal(task!.predictionsFile, 'preds/${name}.jsonl');
    assert.equal(task!.prefer, 'model');
    assert.deepEqual(task!.model, { enabled: false, minExamplesPerLabel: 5 });
    assert.deepEqual(task!.queue, { strategy: 'margin' });
  });

  it('comments are allowed', () => {
    const config = parseConfig('// the config\n{"tasks": [ /* one */ {"name": "t", "files": ["*.jsonl"], "labels": []}]}');
    assert.deepEqual(config.problems, []);
    assert.equal(config.tasks.length, 1);
  });

  it('an unknown field is reported on its own line, on the key', () => {
    const text = '{\n  "tasks": [\n    {\n      "name": "t",\n      "files": ["*.jsonl"],\n      "labels": ["a"],\n      "colour": "red"\n    }\n  ],\n  "extra": 1\n}\n';
    const config = parseConfig(text);
    const messages = config.problems.map((p) => p.message);
    assert.ok(messages.includes('loopmark.json: unknown field "colour" in /tasks/0'), messages.join('\n'));
    assert.ok(messages.includes('loopmark.json: unknown field "extra" in the top level'), messages.join('\n'));
    const colour = config.problems.find((p) => p.message.includes('colour'))!;
    assert.equal(colour.line, lineOf(text, '"colour"'));
    const line = text.split('\n')[colour.line]!;
    assert.equal(line.slice(colour.start, colour.end), '"colour"');
    assert.equal(config.problems.find((p) => p.message.includes('extra'))!.line, lineOf(text, '"extra"'));
    assert.deepEqual(config.tasks.map((t) => t.name), ['t'], 'an unknown field (a typo of an optional one) does not drop its task');
  });

  it('a typo of an optional field keeps the task, with defaults, and says which field', () => {
    const config = parseConfig('{"tasks": [{"name": "t", "files": ["*.jsonl"], "labels": ["a"], "treshold": 0.5, "textfield": "body"}]}');
    assert.deepEqual(config.problems.map((p) => p.message).sort(), [
      'loopmark.json: unknown field "textfield" in /tasks/0',
      'loopmark.json: unknown field "treshold" in /tasks/0',
    ]);
    assert.equal(config.tasks[0]!.threshold, 0.8);
    assert.equal(config.tasks[0]!.textField, 'text');
  });

  it('a task with a bad field is dropped while the others load; the problem is on the bad value', () => {
    const text = [
      '{',
      '  "tasks": [',
      '    { "name": "good1", "files": ["a/*.jsonl"], "labels": ["x"] },',
      '    { "name": "bad", "files": ["b/*.jsonl"], "labels": ["x"],',
      '      "threshold": "high" },',
      '    { "name": "good2", "files": ["c/*.jsonl"], "labels": ["x"] },',
      '    { "name": "bad2", "files": [], "labels": [""] }',
      '  ]',
      '}',
    ].join('\n');
    const config = parseConfig(text);
    assert.deepEqual(config.tasks.map((t) => t.name), ['good1', 'good2']);
    const threshold = config.problems.find((p) => p.message.includes('/tasks/1/threshold'))!;
    assert.match(threshold.message, /must be number/);
    assert.equal(threshold.line, 4);
    assert.equal(text.split('\n')[4]!.slice(threshold.start, threshold.end), '"high"');
    assert.ok(config.problems.some((p) => p.line === 6 && /\/tasks\/3\/files/.test(p.message)));
    assert.ok(config.problems.every((p) => !p.message.includes('/tasks/0') && !p.message.includes('/tasks/2')));
  });

  it('a missing required field names it', () => {
    const config = parseConfig('{"tasks": [{"name": "t", "files": ["*.jsonl"]}]}');
    assert.deepEqual(config.tasks, []);
    assert.ok(config.problems.some((p) => /must have required property 'labels'/.test(p.message)), JSON.stringify(config.problems));
  });

  it('syntax errors give problems on the right 0-based line; what parses still loads', () => {
    const text = '{\n  "tasks": [\n    { "name": "t", "files": ["*.jsonl"], "labels": ["a"] }\n  ],\n  "annotator": "me" "oops": 1\n}\n';
    const config = parseConfig(text);
    assert.ok(config.problems.length > 0);
    assert.equal(config.problems[0]!.line, 4);
    assert.match(config.problems[0]!.message, /^loopmark\.json: /);
    assert.deepEqual(config.tasks.map((t) => t.name), ['t'], 'the task before the error still loads');
  });

  it('a trailing comma is a syntax error on its line', () => {
    const config = parseConfig('{\n  "tasks": [\n    { "name": "t", "files": ["*.jsonl"], "labels": ["a"], }\n  ]\n}');
    assert.ok(config.problems.length > 0);
    assert.equal(config.problems[0]!.line, 2);
  });

  it('an empty or non-object loopmark.json is a problem on line 0, with no tasks', () => {
    for (const text of ['', '   ', '[]', '"tasks"', '42', 'null']) {
      const config = parseConfig(text);
      assert.deepEqual(config.tasks, [], JSON.stringify(text));
      assert.ok(config.problems.length > 0, JSON.stringify(text));
      assert.equal(config.problems[0]!.line, 0);
    }
  });

  it('counts lines with CRLF and lone CR endings as the editor does', () => {
    const lines = ['{', '  "tasks": [', '    { "name": "t", "files": ["*.jsonl"], "labels": ["a"], "colour": 1 }', '  ]', '}'];
    for (const eol of ['\r\n', '\r']) {
      const text = lines.join(eol);
      const config = parseConfig(text);
      const colour = config.problems.find((p) => p.message.includes('colour'));
      assert.ok(colour, JSON.stringify(eol));
      assert.equal(colour.line, 2, `with ${JSON.stringify(eol)}`);
      assert.equal(lines[2]!.slice(colour.start, colour.end), '"colour"');
    }
  });

  it('a leading BOM (as some Windows editors write) is not an error', () => {
    const config = parseConfig('\uFEFF{"tasks": [{"name": "t", "files": ["*.jsonl"], "labels": ["a"]}]}');
    assert.deepEqual(config.problems, []);
    assert.equal(config.tasks.length, 1);
  });

  it('a "__proto__" key is reported as unknown and pollutes nothing', () => {
    const text = '{\n  "tasks": [\n    { "name": "t", "files": ["*.jsonl"], "labels": ["a"],\n      "__proto__": { "textField": "body", "polluted": true } }\n  ],\n  "__proto__": { "polluted": true }\n}';
    const config = parseConfig(text);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    const protoProblems = config.problems.filter((p) => p.message.includes('"__proto__"'));
    assert.deepEqual(protoProblems.map((p) => p.line).sort(), [3, 5]);
    for (const task of config.tasks) assert.equal(task.textField, 'text', 'nothing is inherited from a __proto__ key');
  });

  it('idField and textField named __proto__ or constructor are plain names', () => {
    const config = parseConfig('{"tasks": [{"name": "t", "files": ["*.jsonl"], "labels": ["a"], "idField": "__proto__", "textField": "constructor"}]}');
    assert.deepEqual(config.problems, []);
    assert.equal(config.tasks[0]!.idField, '__proto__');
    assert.equal(config.tasks[0]!.textField, 'constructor');
  });

  it('ten thousand labels load', () => {
    const labels = Array.from({ length: 10_000 }, (_, i) => `label-${i}`);
    const started = Date.now();
    const config = parseConfig(JSON.stringify({ tasks: [{ name: 't', files: ['*.jsonl'], labels }] }));
    assert.deepEqual(config.problems, []);
    assert.equal(config.tasks[0]!.labels.length, 10_000);
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
  });

  it('a labelFile or predictionsFile outside the workspace is a problem on its line, and drops the task', () => {
    const text = [
      '{ "tasks": [',
      '  { "name": "up", "files": ["a/*.jsonl"], "labels": [],',
      '    "labelFile": "../outside/${name}.labels.jsonl" },',
      '  { "name": "abs", "files": ["b/*.jsonl"], "labels": [], "predictionsFile": "/etc/${name}.jsonl" },',
      '  { "name": "win", "files": ["c/*.jsonl"], "labels": [], "labelFile": "C:\\\\labels\\\\x.jsonl" },',
      '  { "name": "ok", "files": ["d/*.jsonl"], "labels": [], "labelFile": "${dir}/../labels/${name}.jsonl", "predictionsFile": "..p/${name}.jsonl" }',
      '] }',
    ].join('\n');
    const config = parseConfig(text);
    assert.deepEqual(config.tasks.map((t) => t.name), ['ok']);
    assert.deepEqual(config.problems.map((p) => p.line), [2, 3, 4]);
    assert.match(config.problems[0]!.message, /"labelFile" must be a path inside the workspace folder/);
    assert.equal(text.split('\n')[2]!.slice(config.problems[0]!.start, config.problems[0]!.end), '"../outside/${name}.labels.jsonl"');
    assert.match(config.problems[1]!.message, /"predictionsFile"/);
  });

  it('configText round-trips through parseConfig without problems', () => {
    const task = { ...inferredTask([{ name: 'a', description: 'the a' }, { name: 'b' }]), name: 'default' };
    const config = parseConfig(configText([task]));
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.tasks[0]!.labels, [{ name: 'a', description: 'the a' }, { name: 'b' }]);
    assert.deepEqual(config.tasks[0]!.files, ['**/*.jsonl']);
  });
});

describe('core/config: tasks and paths', () => {
  const tasks = parseConfig(
    JSON.stringify({
      tasks: [
        { name: 'reviews', files: ['data/reviews*.jsonl'], labels: [] },
        { name: 'all', files: ['**/*.jsonl'], labels: [] },
      ],
    }),
  ).tasks;

  it('inferredTask matches every .jsonl and is marked inferred', () => {
    const task = inferredTask();
    assert.equal(task.inferred, true);
    assert.deepEqual(task.files, ['**/*.jsonl']);
    assert.equal(taskFor([task], 'deep/down/x.jsonl'), task);
    assert.equal(taskFor([task], 'x.json'), undefined);
  });

  it('taskFor: the first task whose globs match; backslashes are separators', () => {
    assert.equal(taskFor(tasks, 'data/reviews.jsonl')?.name, 'reviews');
    assert.equal(taskFor(tasks, 'data/other.jsonl')?.name, 'all');
    assert.equal(taskFor(tasks, 'data\\reviews-2.jsonl')?.name, 'reviews');
    assert.equal(taskFor(tasks, 'data/reviews.txt'), undefined);
  });

  it('taskFor ignores label and prediction sidecars, even when a glob matches them', () => {
    for (const file of ['data/reviews.labels.jsonl', 'data/reviews.predictions.jsonl', 'x.labels.jsonl']) {
      assert.equal(isSidecar(file), true);
      assert.equal(taskFor(tasks, file), undefined, file);
    }
    assert.equal(isSidecar('data/labels.jsonl'), false);
    assert.equal(taskFor(tasks, 'data/labels.jsonl')?.name, 'all');
  });

  it('expandTemplate: ${dir} and ${name}, at the root and nested', () => {
    assert.equal(expandTemplate('${dir}/${name}.labels.jsonl', 'data/reviews.jsonl'), 'data/reviews.labels.jsonl');
    assert.equal(expandTemplate('${dir}/${name}.labels.jsonl', 'reviews.jsonl'), 'reviews.labels.jsonl');
    assert.equal(expandTemplate('labels/${dir}/${name}.jsonl', 'a/b/c.JSONL'), 'labels/a/b/c.jsonl');
    assert.equal(expandTemplate('${dir}/${name}.labels.jsonl', 'a\\b\\c.jsonl'), 'a/b/c.labels.jsonl');
    assert.equal(expandTemplate('fixed.jsonl', 'a/b.jsonl'), 'fixed.jsonl');
    assert.equal(expandTemplate('${name}-${name}', 'x.jsonl'), 'x-x');
  });

  it('expandTemplate inserts folder and file names literally, even with $ in them', () => {
    assert.equal(expandTemplate('${dir}/${name}.labels.jsonl', "cost$&/a$'b.jsonl"), "cost$&/a$'b.labels.jsonl");
    assert.equal(expandTemplate('${dir}/${name}.labels.jsonl', '$$/$1.jsonl'), '$$/$1.labels.jsonl');
  });
});
