// The conformance suite every task kind must pass: every registered kind (and the test-only `flag`
// kind) runs over real files in a workspace of its own, with hostile text. A kind registered without
// a fixture here fails the suite: a new kind is not done until it passes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding, TaskKind } from '../../server/src/core/kinds/kind';
import { kindNamed, kindNames, registerKind } from '../../server/src/core/kinds/registry';
import { Project } from '../../server/src/core/workspace/project';
import { flagKind } from '../kinds/flagKind';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

registerKind(flagKind);

const HOSTILE = '<img src=x onerror=alert(1)> [click](command:workbench.action.terminal.new) **bold** `code`';

interface KindFixture {
  /** The task in loopmark.json (files: data/*.jsonl). */
  task: Record<string, unknown>;
  /** The dataset's records; some must raise findings with actions. */
  records: Array<Record<string, unknown>>;
}

const FIXTURES: Record<string, KindFixture> = {
  classify: {
    task: { labels: ['positive', 'negative'], threshold: 0.8 },
    records: [
      { id: 'a', text: `great ${HOSTILE}`, prediction: { label: 'positive', score: 0.55 } },
      { id: 'b', text: 'awful, refund please', prediction: { label: 'negative', score: 0.95 } },
      { id: 'c', text: HOSTILE, prediction: { label: HOSTILE, score: 0.9 } },
    ],
  },
  spans: {
    task: { labels: [{ name: 'ORG', description: HOSTILE }, 'PER'], patterns: [{ label: 'ORG', terms: ['Acme'] }] },
    records: [
      { id: 'a', text: `😀 Acme "hired" \n Bob ${HOSTILE}`, spans: [{ start: 17, end: 20, label: 'PER', score: 0.62 }] },
      { id: 'b', text: 'nothing here' },
      { id: 'c', text: `${HOSTILE} Acme`, label: [[0, 4, HOSTILE]] },
    ],
  },
  llm: {
    task: { labels: ['accept', 'reject'], rejectReasons: ['wrong', 'unsafe'], ratingScale: 5 },
    records: [
      { messages: [{ role: 'user', content: `Write to me ${HOSTILE}` }, { role: 'assistant', content: 'Sure: mail jane.doe@example.com today.' }] },
      { messages: [{ role: 'user', content: 'Help?' }, { role: 'assistant', content: `As an AI language model, I cannot do that. ${HOSTILE}` }] },
      { prompt: 'Say hi', chosen: HOSTILE, rejected: HOSTILE },
    ],
  },
  flag: {
    task: { labels: ['flagged'], pattern: 'AKIA[0-9A-Z]{16}' },
    records: [
      { id: 'a', text: `key AKIAABCDEFGHIJKLMNOP ${HOSTILE}` },
      { id: 'b', text: 'clean' },
    ],
  },
};

function assertInert(markdown: string): void {
  assert.ok(!/<img|<script/i.test(markdown), `raw HTML in ${markdown}`);
  assert.ok(!/\]\(command:/.test(markdown), `a command link in ${markdown}`);
}

for (const name of [...new Set([...kindNames(), 'flag'])]) {
  describe(`task kind conformance: ${name}`, () => {
    let root: string;
    let project: Project;
    let file: string;
    let kind: TaskKind;
    let lines: string[];

    before(() => {
      const fixture = FIXTURES[name];
      assert.ok(fixture, `kind '${name}' is registered but has no conformance fixture in test/unit/kind-conformance.test.ts`);
      kind = kindNamed(name)!;
      root = tempWorkspace();
      const text = fixture.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
      lines = text.split('\n');
      writeFiles(root, {
        'loopmark.json': JSON.stringify({ tasks: [{ name: `${name}-task`, kind: name, files: ['data/*.jsonl'], ...fixture.task }] }),
        'data/set.jsonl': text,
      });
      project = new Project({ root, annotator: 'conformance@example.com' });
      file = path.join(root, 'data', 'set.jsonl');
    });
    after(() => removeWorkspace(root));

    it('loads its task from loopmark.json without a problem', () => {
      assert.deepEqual(project.config.problems, []);
      assert.equal(project.config.tasks[0]?.kind, name);
    });

    it('gives findings with a code, a sample, and a range inside their line', () => {
      const { findings } = project.findings(file);
      const own = findings.filter((f) => f.data);
      assert.ok(own.length > 0, 'the fixture raises at least one finding with data');
      for (const f of own) {
        assert.equal(typeof f.code, 'string');
        assert.ok(f.data!.sampleId, 'the finding names its sample');
        const line = lines[f.line]!;
        assert.ok(f.start >= 0 && f.start <= f.end && f.end <= line.length, `range ${f.start}-${f.end} inside line ${f.line} (${line.length} characters)`);
      }
    });

    it('builds its actions from the finding data alone (a JSON round trip gives the same actions), and each passes its own rules', () => {
      const task = project.config.tasks[0]!;
      const entry = project.entry(file)!;
      const effective = project.effectiveTask(entry);
      let decisions = 0;
      for (const f of project.findings(file).findings.filter((x): x is Finding & { data: NonNullable<Finding['data']> } => x.data !== undefined)) {
        const actions = kind.actions(effective, { code: f.code, data: f.data });
        const again = kind.actions(effective, JSON.parse(JSON.stringify({ code: f.code, data: f.data })));
        assert.deepEqual(again, actions, 'actions depend on the data only');
        for (const action of actions) {
          if (!action.decision) continue;
          decisions++;
          // Checked by the kind's own rules, as the decision path does; nothing is written.
          const { records } = project.recordsFor(file, [action.decision]);
          assert.equal(records[0]!.id, f.data.sampleId);
        }
      }
      assert.ok(decisions > 0, 'some finding offers a decision');
      assert.equal(fs.existsSync(path.join(root, 'data', 'set.labels.jsonl')), false);
      assert.ok(task);
    });

    it('escapes dataset text in its hover', () => {
      for (let line = 0; line < lines.length - 1; line++) {
        const markdown = project.hover(file, line);
        assert.equal(typeof markdown, 'string');
        assertInert(markdown!);
      }
    });
  });
}
