// server/src/core/markdown.ts and hover.ts: untrusted dataset text shown as Markdown must never become
// HTML, a link, an image or a command URI.
import * as assert from 'node:assert/strict';
import { hoverMarkdown, type SampleInfo } from '../../server/src/core/kinds/classify/hover';
import { escapeMarkdown, inlineCode } from '../../server/src/core/markdown';
import { inferredTask } from '../../server/src/core/config';


// The payloads that hit Label Studio (stored XSS through task data), and Markdown's own ways to a link.
const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '[click](command:workbench.action.terminal.new)',
  'javascript:alert(1)',
  '![x](https://evil/x.png)',
  '[ref][1]\n\n[1]: command:workbench.action.terminal.new',
  '<command:workbench.action.terminal.new>',
  '<https://evil.example/>',
  '&lt;script&gt;',
  '`code` *em* _em_ # heading | table |',
  '[a](<command:x> "t")',
  'line1\r\nline2\rline3\nline4',
];

/** No raw HTML, no inline link or image, no autolink, no reference definition, on one line. */
function assertInert(out: string, input: string): void {
  assert.ok(!out.includes('<'), `raw < in ${JSON.stringify(out)} from ${JSON.stringify(input)}`);
  assert.ok(!out.includes('>'), `raw > in ${JSON.stringify(out)}`);
  assert.ok(!out.includes(']('), `]( in ${JSON.stringify(out)}`);
  assert.ok(!/(^|[^\\])\]\s*[[(:]/.test(out), `unescaped ] before [, ( or : in ${JSON.stringify(out)}`);
  assert.ok(!/(^|[^\\])\[/.test(out), `unescaped [ in ${JSON.stringify(out)}`);
  assert.ok(!/(^|[^\\])[`*_]/.test(out), `unescaped emphasis or code in ${JSON.stringify(out)}`);
  assert.ok(!/[\r\n]/.test(out), `line break in ${JSON.stringify(out)}`);
  assert.ok(!/(^|[^\\&])#/.test(out), `heading marker in ${JSON.stringify(out)}`);
  assert.ok(!/command:/.test(out), `a command: URI survives in ${JSON.stringify(out)}`);
  assert.ok(!/javascript:/i.test(out), `a javascript: URI survives in ${JSON.stringify(out)}`);
  assert.ok(!/https?:\/\//.test(out), `a URL survives in ${JSON.stringify(out)}`);
}

describe('core/markdown: escapeMarkdown', () => {
  for (const payload of PAYLOADS) {
    it(`makes ${JSON.stringify(payload)} inert`, () => assertInert(escapeMarkdown(payload), payload));
  }

  it('keeps the visible text: escapes are backslashes and entities only', () => {
    assert.equal(escapeMarkdown('<b>'), '&lt;b&gt;');
    assert.equal(escapeMarkdown('a & b'), 'a &amp; b');
    assert.equal(escapeMarkdown('[x](y)'), '\\[x\\]\\(y\\)');
    assert.equal(escapeMarkdown('plain words stay'), 'plain words stay');
    assert.equal(escapeMarkdown('a\\b'), 'a\\\\b');
  });

  it('an existing entity is shown as typed, not decoded', () => {
    assert.equal(escapeMarkdown('&lt;script&gt;'), '&amp;lt;script&amp;gt;');
  });
});

describe('core/markdown: inlineCode', () => {
  it('wraps in one backtick pair; backticks and line breaks cannot end it early', () => {
    const out = inlineCode('a`b``c\nd\r\ne');
    assert.equal(out.split('`').length, 3, out);
    assert.ok(!/[\r\n]/.test(out));
  });
});

describe('core/hover: hoverMarkdown', () => {
  function info(payload: string): SampleInfo {
    const task = { ...inferredTask([{ name: payload, description: payload }]), name: payload };
    const current = { id: payload, label: payload, answer: 'accept' as const, annotator: payload, time: payload, source: 'manual' as const };
    const other = { ...current, annotator: `${payload}-2`, label: `${payload}-2` };
    return {
      sample: { id: payload, fromText: false, text: payload },
      line: 0,
      task,
      labels: [current, other],
      current,
      filePrediction: { label: payload, score: 0.5, origin: 'file', modelVersion: payload },
      modelPrediction: { label: `${payload}!`, score: 0.4, origin: 'model' },
      shown: { label: payload, score: 0.5, origin: 'file', modelVersion: payload },
      guideline: { name: payload, description: payload },
    };
  }

  for (const payload of PAYLOADS) {
    it(`no piece of ${JSON.stringify(payload)} becomes markup anywhere in the hover`, () => {
      const md = hoverMarkdown(info(payload));
      // Our own markup is ** bold, "- " list items and line breaks; the data must add none.
      for (const line of md.split('\n')) assertInert(line.replace(/\*\*/g, '').replace(/^- /, ''), payload);
      assert.ok(md.includes('Predictions disagree'));
      assert.ok(md.includes('Guideline for'));
    });
  }

  it('shows prediction, label, annotator and guideline of a plain sample', () => {
    const md = hoverMarkdown({
      sample: { id: 'r1', fromText: false, text: 'x' },
      line: 0,
      task: { ...inferredTask([{ name: 'pos', description: 'Happy customer.' }]), name: 'sentiment' },
      labels: [],
      shown: { label: 'pos', score: 0.62, origin: 'file' },
      filePrediction: { label: 'pos', score: 0.62, origin: 'file' },
      guideline: { name: 'pos', description: 'Happy customer.' },
    });
    assert.match(md, /task sentiment · sample r1/);
    assert.match(md, /Prediction: \*\*pos\*\* 0\.62 — file/);
    assert.match(md, /Label: none yet/);
    assert.match(md, /Guideline for pos: Happy customer\\\./);
  });
});
