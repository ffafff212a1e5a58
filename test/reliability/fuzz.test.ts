// Fuzzing the built server over stdio: at least 100,000 random and mutated messages (JSON-RPC of every
// shape, garbage and invalid UTF-8 with valid Content-Length headers, mutated dataset lines from doccano
// and the demo through didOpen/didChange), interleaved with valid requests whose answers must not change.
// Afterwards the server is alive and answers exactly as before. FUZZ_MESSAGES and FUZZ_SEED scale and
// replay a run (scripts/fuzz-long.js); FUZZ_NARROW=1 narrows a crash or hang down to the messages that cause it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseLabels } from '../../server/src/core/labels';
import { REPO, removeWorkspace, tempWorkspace } from '../helpers/workspace';
import { fuzzMessage, frame, RawServer, seedLines, ServerDied, ServerHung, type FuzzTarget, type JsonRpcMessage } from './fuzzer';
import { Rng, seedFrom } from './harness';

const MESSAGES = Number(process.env['FUZZ_MESSAGES'] ?? 100_000);
const BATCH = Number(process.env['FUZZ_BATCH'] ?? 500);
const CHECKS_PER_BATCH = 4;
const MAX_DEEP = Number(process.env['FUZZ_MAX_DEEP'] ?? 3000);
const ANSWER_MS = Number(process.env['FUZZ_ANSWER_MS'] ?? 20_000);
const LABELS = ['positive', 'negative', 'neutral'];

interface Workspace {
  root: string;
  goodUri: string;
  goodText: string;
  target: FuzzTarget;
}

function makeWorkspace(): Workspace {
  const root = tempWorkspace();
  fs.mkdirSync(path.join(root, 'good'));
  fs.mkdirSync(path.join(root, 'data'));
  fs.writeFileSync(
    path.join(root, 'loopmark.json'),
    JSON.stringify({
      tasks: [
        { name: 'good', files: ['good/*.jsonl'], labels: LABELS, threshold: 0.8, model: { enabled: false } },
        { name: 'fuzz', files: ['data/*.jsonl'], labels: LABELS, threshold: 0.8 },
      ],
    }),
  );
  const goodText = fs.readFileSync(path.join(REPO, 'demo', 'data', 'reviews.jsonl'), 'utf8');
  fs.writeFileSync(path.join(root, 'good', 'good.jsonl'), goodText);
  const seeds = seedLines();
  fs.writeFileSync(path.join(root, 'data', 'f0.jsonl'), `${seeds.join('\n')}\n`); // one fuzz dataset also on disk
  const uri = (rel: string): string => pathToFileURL(path.join(root, rel)).toString();
  const ids = seeds.map((l) => {
    try {
      return String((JSON.parse(l) as { id?: unknown }).id ?? 'r001');
    } catch {
      return 'r001';
    }
  });
  return {
    root,
    goodUri: uri('good/good.jsonl'),
    goodText,
    target: {
      root,
      docUris: Array.from({ length: 12 }, (_, i) => uri(`data/f${i}.jsonl`)),
      otherUris: [uri('data/f0.labels.jsonl'), uri('data/f1.labels.jsonl'), uri('data/f0.predictions.jsonl'), uri('data'), uri('data/missing.jsonl')],
      seeds,
      ids: [...new Set([...ids, 'r001', 'r003', 'text:00000000000000', '__proto__', 'constructor'])],
      maxDeep: MAX_DEEP,
    },
  };
}

/** The valid requests asked again and again; their answers must stay those of the start. */
function checkRequests(ws: Workspace, diagnostic: unknown): Array<[string, unknown]> {
  const textDocument = { uri: ws.goodUri };
  return [
    ['textDocument/diagnostic', { textDocument }],
    ['textDocument/hover', { textDocument, position: { line: 2, character: 10 } }],
    ['loopmark/status', { uri: ws.goodUri }],
    ['loopmark/sampleAt', { uri: ws.goodUri, line: 3 }],
    ['loopmark/nextSample', { uri: ws.goodUri, line: 0 }],
    ['textDocument/codeAction', { textDocument, range: (diagnostic as { range: unknown }).range, context: { diagnostics: [diagnostic] } }],
  ];
}

function answer(message: JsonRpcMessage, what: string): string {
  assert.equal(message.error, undefined, `${what} failed: ${JSON.stringify(message.error)}`);
  return JSON.stringify(message.result);
}

async function startOn(ws: Workspace): Promise<RawServer> {
  const server = await RawServer.start(ws.root, 'fuzz@example.com');
  await server.notify('textDocument/didOpen', { textDocument: { uri: ws.goodUri, languageId: 'jsonl', version: 1, text: ws.goodText } });
  return server;
}

/** Fuzzed messages [from, to) of a run, regenerated from its seed (the fuzzer draws from its own RNG). */
function regenerate(seed: number, from: number, to: number, target: FuzzTarget): Buffer[] {
  const rng = new Rng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < to; i++) {
    const { bytes } = fuzzMessage(rng, target);
    if (i >= from) out.push(bytes);
  }
  return out;
}

/** Replays fuzzed messages [from, to) of a run on a fresh server: the failure it ends in, if any. */
async function reproduces(seed: number, from: number, to: number): Promise<string | undefined> {
  const ws = makeWorkspace();
  const server = await startOn(ws);
  try {
    const messages = regenerate(seed, from, to, ws.target);
    for (let i = 0; i < messages.length; i += 200) await server.send(Buffer.concat(messages.slice(i, i + 200)));
    await server.request('loopmark/status', { uri: ws.goodUri }, ANSWER_MS);
    return undefined;
  } catch (error) {
    const cpu = server.alive ? ` (server CPU over the last second: ${cpuPercent(server.child.pid!)}%)` : '';
    return `${(error as Error).message}${cpu}${server.stderr ? `\n${server.stderr.slice(-4000)}` : ''}`;
  } finally {
    if (server.alive) server.child.kill('SIGKILL');
    await server.whenExited();
    removeWorkspace(ws.root);
  }
}

/**
 * Narrows a failure down on fresh servers: the smallest window of the run's last messages that still
 * fails, then its latest start and earliest end. The window's last message is the trigger; the ones
 * before it in the window made the state it needs. Both are saved for replay.
 */
async function culprit(seed: number, total: number, target: FuzzTarget): Promise<string> {
  let from = -1;
  let failure: string | undefined;
  for (const size of [BATCH, 10 * BATCH, 100 * BATCH, total]) {
    const start = Math.max(0, total - size);
    failure = await reproduces(seed, start, total);
    if (failure) {
      from = start;
      break;
    }
    if (start === 0) break;
  }
  if (from < 0) return `replaying the ${total} messages of the run on a fresh server does not reproduce the failure (timing?)`;
  let lo = from;
  let hi = total; // [from, hi) fails, [from, lo) does not
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await reproduces(seed, from, mid)) hi = mid;
    else lo = mid;
  }
  let good = hi; // [good, hi) does not fail (or is empty); [from, hi) fails
  let bad = from;
  while (good - bad > 1) {
    const mid = (bad + good) >> 1;
    if (await reproduces(seed, mid, hi)) bad = mid;
    else good = mid;
  }
  const window = regenerate(seed, bad, hi, target);
  const saved = path.join(os.tmpdir(), `loopmark-fuzz-seed${seed}-messages${bad}-${hi - 1}.bin`);
  fs.writeFileSync(saved, Buffer.concat(window));
  const mentioned = window.slice(0, -1).map((m, i) => `#${bad + i}: ${m.toString('utf8').replace(/^[^]*?\r\n\r\n/, '').slice(0, 300)}`);
  return `messages #${bad}..#${hi - 1} of seed ${seed} fail on a fresh server (${failure!.split('\n')[0]}), saved framed in ${saved}.\n` +
    `The trigger, #${hi - 1}:\n${window[window.length - 1]!.toString('utf8').slice(0, 3000)}\n` +
    (mentioned.length ? `after (the state it needs; often only a few of them matter):\n${mentioned.slice(-20).join('\n')}` : 'it fails on its own');
}

function cpuPercent(pid: number): number {
  const ticks = (): number => {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return 0;
    }
  };
  const a = ticks();
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    // measure over one second
  }
  return ticks() - a;
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

describe('reliability: fuzzing the server over stdio', function () {
  this.timeout(Number(process.env['FUZZ_TIMEOUT_MS'] ?? 120_000));
  let ws: Workspace;
  let server: RawServer | undefined;

  afterEach(async () => {
    if (server?.alive) server.child.kill('SIGKILL');
    await server?.whenExited();
    removeWorkspace(ws.root);
  });

  it(`survives ${MESSAGES.toLocaleString('en')} random and mutated messages and answers valid requests exactly as before`, async function () {
    const seed = seedFrom(Number(process.env['FUZZ_SEED'] ?? 7));
    const rng = new Rng(seed); // the fuzzed messages (regenerated from the seed to narrow a failure down)
    const checkRng = new Rng(seed ^ 0x9e3779b9); // where the checks go
    ws = makeWorkspace();
    server = await startOn(ws);

    // What a correct server answers, before any fuzzing; the known facts of the demo data first.
    const diagnostics = (answer(await server.request('textDocument/diagnostic', { textDocument: { uri: ws.goodUri } }), 'diagnostics'));
    const items = (JSON.parse(diagnostics) as { items: Array<{ message: string; range: { start: { line: number } } }> }).items;
    assert.equal(items.length, 30, 'one diagnostic per unlabeled sample of the demo data');
    assert.equal(items.find((d) => d.range.start.line === 2)?.message, "Review: predicted 'neutral' (0.62)");
    const checks = checkRequests(ws, items.find((d) => d.range.start.line === 2));
    const expected: string[] = [];
    for (const [method, params] of checks) expected.push(answer(await server.request(method, params), method));

    const started = Date.now();
    const rssStart = rssKb(server.child.pid!);
    const kinds = new Map<string, number>();
    let sent = 0;
    let sentBytes = 0;
    let checked = 0;
    let batchNo = 0;
    while (sent < MESSAGES) {
      const count = Math.min(BATCH, MESSAGES - sent);
      const messages: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const { bytes, kind } = fuzzMessage(rng, ws.target);
        messages.push(bytes);
        const key = kind.replace(/ \S+\/\S+$/, '');
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
      }
      // Valid requests at random places in the batch, and one at its end.
      const pending: Array<{ k: number; response: Promise<JsonRpcMessage> }> = [];
      const framed: Buffer[] = [];
      const at = new Set(Array.from({ length: CHECKS_PER_BATCH }, () => checkRng.int(count)));
      messages.forEach((m, i) => {
        framed.push(m);
        if (at.has(i) || i === count - 1) {
          const k = checkRng.int(checks.length);
          const { bytes, response } = server!.prepare(checks[k]![0], checks[k]![1]);
          framed.push(bytes);
          pending.push({ k, response });
        }
      });
      const payload = Buffer.concat(framed);
      try {
        await server.send(payload);
        for (const { k, response } of pending) {
          const got = await server.await(checks[k]![0], response, ANSWER_MS);
          assert.equal(answer(got, checks[k]![0]), expected[k], `batch ${batchNo}: the answer to ${checks[k]![0]} changed`);
          checked++;
        }
      } catch (error) {
        if (error instanceof ServerDied || error instanceof ServerHung) {
          const stderr = server.stderr.slice(-6000);
          const cpu = server.alive ? ` (server CPU over the last second: ${cpuPercent(server.child.pid!)}%)` : '';
          let how = `replay with FUZZ_SEED=${seed} FUZZ_MESSAGES=${sent + count} FUZZ_NARROW=1 to narrow it down to the messages that cause it`;
          if (process.env['FUZZ_NARROW']) {
            this.timeout(0); // narrowing down replays (parts of) the run a few dozen times
            how = await culprit(seed, sent + count, ws.target);
          }
          assert.fail(`seed ${seed}, batch ${batchNo}: ${(error as Error).message}${cpu}\nserver stderr:\n${stderr}\nlast errors logged:\n${server.lastErrorLogs.slice(-3).join('\n')}\n${how}`);
        }
        throw error;
      }
      sent += count;
      sentBytes += payload.length;
      batchNo++;
      if (MESSAGES >= 500_000 && Math.floor(sent / 100_000) > Math.floor((sent - count) / 100_000)) {
        console.log(`      ${sent.toLocaleString('en')} messages, ${((Date.now() - started) / 1000).toFixed(0)} s, server RSS ${Math.round(rssKb(server.child.pid!) / 1024)} MB`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const rssEnd = rssKb(server.child.pid!);

    // Still alive, and a document opened now is treated exactly like the known-good one.
    assert.ok(server.alive, 'the server process is alive');
    const freshUri = pathToFileURL(path.join(ws.root, 'good', 'fresh.jsonl')).toString();
    await server.notify('textDocument/didOpen', { textDocument: { uri: freshUri, languageId: 'jsonl', version: 1, text: ws.goodText } });
    const fresh = answer(await server.request('textDocument/diagnostic', { textDocument: { uri: freshUri } }), 'diagnostics of a fresh document');
    assert.equal(fresh, diagnostics, 'a fresh copy of the known-good document gets exactly the expected diagnostics');
    for (let k = 0; k < checks.length; k++) assert.equal(answer(await server.request(checks[k]![0], checks[k]![1]), checks[k]![0]), expected[k]);
    // Whatever the fuzzer made the server write, every label file it wrote still parses.
    const labelFiles = fs.readdirSync(path.join(ws.root, 'data')).filter((n) => n.endsWith('.labels.jsonl'));
    for (const name of labelFiles) {
      const { problems } = parseLabels(fs.readFileSync(path.join(ws.root, 'data', name), 'utf8'));
      assert.deepEqual(problems, [], `${name} parses`);
    }
    const labelsWritten = labelFiles.reduce((n, name) => n + fs.readFileSync(path.join(ws.root, 'data', name), 'utf8').split('\n').filter(Boolean).length, 0);
    // And it still ends cleanly when asked to.
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'shutdown + exit ends the server with code 0');
    const unexpectedStderr = server.stderr.split('\n').filter((l) => l.trim() && !/ExperimentalWarning|--trace-warnings/.test(l));
    console.log(
      `      seed ${seed}: ${sent.toLocaleString('en')} fuzzed messages (${(sentBytes / 1e6).toFixed(1)} MB) + ${checked} checked answers in ${seconds.toFixed(1)} s ` +
        `(${Math.round(sent / seconds).toLocaleString('en')} msg/s); server: ${server.received.toLocaleString('en')} messages back, ${server.errorLogs} errors logged, ` +
        `${labelsWritten} label lines written, RSS ${Math.round(rssStart / 1024)} -> ${Math.round(rssEnd / 1024)} MB\n` +
        `      by kind: ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    assert.deepEqual(unexpectedStderr, [], 'nothing on stderr');
  });

  it('a client that answers workspace/diagnostic/refresh with an error does not bring the server down', async () => {
    // Clients without refresh support answer "method not found"; the server must not die of it.
    ws = makeWorkspace();
    server = await startOn(ws);
    const failing = server;
    // Answer the server's requests with an error from now on.
    (failing as unknown as { onMessage: (m: JsonRpcMessage) => void }).onMessage = function (this: RawServer, message: JsonRpcMessage) {
      if (typeof message.method === 'string' && message.id !== undefined) {
        void this.send(frame(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `Unhandled method ${message.method}` } })));
        return;
      }
      (RawServer.prototype as unknown as { onMessage: (m: JsonRpcMessage) => void }).onMessage.call(this, message);
    };
    const labeled = await failing.request('workspace/executeCommand', {
      command: 'loopmark.server.applyLabel',
      arguments: [{ uri: ws.goodUri, decision: { sampleId: 'r003', label: 'neutral', answer: 'accept', source: 'prediction' } }],
    });
    assert.equal(labeled.error, undefined);
    await new Promise((r) => setTimeout(r, 300));
    const status = await failing.request('loopmark/status', { uri: ws.goodUri }, 5000).catch((e: Error) => e);
    assert.ok(!(status instanceof Error), `the server died: ${status instanceof Error ? status.message : ''}\n${failing.stderr.slice(-3000)}`);
  });
});
