// SIGKILL durability: the built server labels a generated dataset over stdio and is killed with SIGKILL
// at random moments (seeded), restarted and driven on. Every decision whose response reached the client
// must be on disk; every file must parse; a lock left by a killed server must not block the next one.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeWorkspace, tempWorkspace } from '../helpers/workspace';
import { LOST, RawServer } from './fuzzer';
import { APPLY_LABEL, LABELS, leftovers, readLabels, Rng, seedFrom, sleep, within, writeDataset, type Decision } from './harness';

const ANNOTATOR = 'killed@example.com';
const SAMPLES = 1200;
const OPERATIONS = Number(process.env['RELIABILITY_KILL_OPS'] ?? 1000);
/** Requests in flight at once (never two on the same sample), so that a kill lands mid-request. */
const IN_FLIGHT = 4;

interface Op {
  index: number;
  decision: Decision;
  acked: boolean;
  error?: Error;
}

function sameDecision(op: Op, record: { label?: string; answer: string; source: string; score?: number }): boolean {
  const d = op.decision;
  return record.score === d.score && record.label === d.label && record.answer === d.answer && record.source === d.source;
}

/**
 * Checks the disk against what the client saw: per sample, the record on disk is the last acknowledged
 * decision, or a later one whose response was lost in a kill (it may or may not have been written).
 * Returns how many samples hold such an unacknowledged decision.
 */
function verify(history: Map<string, Op[]>, labelFile: string, when: string): { unackedOnDisk: number; lines: number } {
  const { records, problems, text } = readLabels(labelFile);
  assert.equal(problems, 0, `${when}: every line of the label file parses`);
  let unackedOnDisk = 0;
  for (const [id, ops] of history) {
    const record = records.get(`${id}\u0000${ANNOTATOR}`);
    let lastAcked = -1;
    ops.forEach((op, i) => {
      if (op.acked) lastAcked = i;
    });
    if (lastAcked === -1 && record === undefined) continue;
    assert.ok(record, `${when}: sample ${id}: the acknowledged decision #${ops[lastAcked]?.index} is not on disk`);
    const at = ops.findIndex((op) => sameDecision(op, record));
    assert.ok(at >= 0, `${when}: sample ${id}: the record on disk ${JSON.stringify(record)} is none of the decisions sent`);
    assert.ok(at >= lastAcked, `${when}: sample ${id}: disk holds decision #${ops[at]!.index}, older than the acknowledged #${ops[lastAcked]?.index}`);
    if (at > lastAcked) {
      assert.ok(!ops[at]!.acked, `${when}: sample ${id}: an acknowledged decision was overtaken`);
      unackedOnDisk++;
    }
  }
  return { unackedOnDisk, lines: text.split('\n').filter(Boolean).length };
}

/** Kills the server with SIGKILL, reads what it wrote before dying, and marks what it never answered as lost. */
async function killHard(server: RawServer): Promise<void> {
  server.child.kill('SIGKILL');
  await within('the killed server to exit and close its stdout', 5000, Promise.all([server.whenExited(), server.closed]));
  server.abandonPending();
}

describe('reliability: SIGKILL at random moments', function () {
  this.timeout(60_000);
  let root: string;
  const youngers: ChildProcess[] = [];

  afterEach(() => {
    for (const p of youngers.splice(0)) p.kill();
    removeWorkspace(root);
  });

  it(`keeps every acknowledged decision of ${OPERATIONS} operations across kills, and files stay parseable`, async () => {
    const seed = seedFrom(20261122);
    const rng = new Rng(seed);
    root = tempWorkspace();
    const { file, text, ids } = writeDataset(root, SAMPLES, rng);
    const dataDir = path.join(root, 'data');
    const labelFile = path.join(dataDir, 'big.labels.jsonl');
    const lockFile = `${labelFile}.lock`;

    const history = new Map<string, Op[]>();
    const labeled: string[] = [];
    let nextFresh = 0;
    let issued = 0;
    const tempsSeen = new Set<string>();
    const stats = { kills: 0, locksLeftByKill: 0, planted: 0, unackedOnDisk: 0, acked: 0, lostInKill: 0, maxFirstAckMs: 0, killedIdleNearCompaction: 0 };
    const started = Date.now();
    let deadPid = 0;

    while (issued < OPERATIONS) {
      const server = await RawServer.start(root, ANNOTATOR);
      const sessionStart = Date.now();
      const uri = pathToFileURL(file).toString();
      await server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'jsonl', version: 1, text } });
      const last = OPERATIONS - issued <= 170;
      const budget = last ? OPERATIONS - issued : rng.range(30, 170);
      // busy: kill with requests in flight; idle: stop writing and kill about when the 1 s compaction runs.
      const mode = last ? 'none' : rng.chance(0.7) ? 'busy' : 'idle';
      const killAt = mode === 'busy' ? rng.range(1, budget) : -1;
      const inFlight = new Set<Promise<void>>();
      const busySamples = new Set<string>();
      let firstAck = true;
      let sent = 0;
      let killed = false;

      const kill = async (): Promise<void> => {
        killed = true;
        deadPid = server.child.pid!;
        await killHard(server);
        stats.kills++;
      };

      while (sent < budget && !killed) {
        while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        let sampleId: string | undefined;
        if (nextFresh < ids.length && (labeled.length === 0 || rng.chance(0.6))) {
          sampleId = ids[nextFresh++]!;
          labeled.push(sampleId);
        } else {
          for (let tries = 0; tries < 20 && (!sampleId || busySamples.has(sampleId)); tries++) sampleId = rng.pick(labeled);
          if (!sampleId || busySamples.has(sampleId)) continue;
        }
        const decision: Decision = {
          sampleId,
          label: rng.pick(LABELS),
          answer: rng.pick(['accept', 'accept', 'reject', 'ignore'] as const),
          source: rng.pick(['prediction', 'correction', 'manual'] as const),
          score: (issued + 1) / 100_000, // unique: tells the decisions apart on disk
        };
        const op: Op = { index: issued, decision, acked: false };
        const ops = history.get(sampleId) ?? [];
        ops.push(op);
        history.set(sampleId, ops);
        issued++;
        sent++;
        busySamples.add(sampleId);
        const { bytes, response } = server.prepare('workspace/executeCommand', { command: APPLY_LABEL, arguments: [{ uri, decision }] });
        await server.send(bytes);
        const promise: Promise<void> = response.then((message) => {
          if (message.error) {
            op.error = Object.assign(new Error(message.error.message), { code: message.error.code });
          } else {
            op.acked = true;
            stats.acked++;
            if (firstAck) {
              firstAck = false;
              stats.maxFirstAckMs = Math.max(stats.maxFirstAckMs, Date.now() - sessionStart);
            }
          }
        }).finally(() => {
          busySamples.delete(sampleId!);
          inFlight.delete(promise);
        });
        inFlight.add(promise);
        if (sent === killAt) {
          await sleep(rng.int(4));
          await kill();
        }
      }
      if (mode === 'idle') {
        await Promise.all(inFlight);
        await sleep(990 + rng.int(30)); // the server compacts 1 s after the last write
        stats.killedIdleNearCompaction++;
        await kill();
      }

      if (killed) {
        await Promise.allSettled([...inFlight]);
        for (const ops of history.values()) {
          for (const op of ops) {
            if (op.error && (op.error as Error & { code?: number }).code !== LOST) throw new Error(`decision #${op.index} failed while the server was alive: ${op.error.message}`);
            if (op.error) {
              stats.lostInKill++;
              delete op.error;
            }
          }
        }
        const { unackedOnDisk } = verify(history, labelFile, `after kill ${stats.kills}`);
        stats.unackedOnDisk = unackedOnDisk;
        for (const n of fs.readdirSync(dataDir)) if (n.endsWith('.tmp')) tempsSeen.add(n);
        // What a kill at an unlucky instant leaves besides a lock, planted once each: a compaction's temp
        // file (killed before its rename), a lock set aside while breaking it, the guard of a breaker.
        if (stats.kills === 1) fs.writeFileSync(path.join(dataDir, `.big.labels.jsonl.${deadPid}.${Date.now().toString(36)}.tmp`), '{"id":"s00000","label":"pos');
        if (stats.kills === 2) fs.writeFileSync(`${lockFile}.${deadPid}.k3j2h1.stale`, `${deadPid}\n${os.hostname()}\n`);
        if (stats.kills === 3) fs.writeFileSync(`${lockFile}.break`, `${deadPid}\n${os.hostname()}\nx\n`);
        if (fs.existsSync(lockFile)) {
          stats.locksLeftByKill++;
        } else {
          // Make sure the next server also meets a lock of a killed server: plant one now and then, in
          // each shape a killed process can leave (dead pid; pid since reused by a younger process; empty).
          const shape = stats.planted % 3;
          if (shape === 0 && rng.chance(0.6)) {
            fs.writeFileSync(lockFile, `${deadPid}\n${os.hostname()}\n`);
            stats.planted++;
          } else if (shape === 1) {
            const younger = spawn('sleep', ['20'], { stdio: 'ignore' });
            fs.writeFileSync(lockFile, `${younger.pid}\n${os.hostname()}\n`);
            const past = new Date(Date.now() - 60_000);
            fs.utimesSync(lockFile, past, past);
            youngers.push(younger);
            stats.planted++;
          } else if (shape === 2) {
            fs.writeFileSync(lockFile, '');
            const past = new Date(Date.now() - 10_000);
            fs.utimesSync(lockFile, past, past);
            stats.planted++;
          }
        }
      } else {
        await Promise.all(inFlight);
        const exit = await server.stop(); // shutdown compacts what was written in the last second
        assert.deepEqual(exit, { code: 0, signal: null });
        for (const ops of history.values()) for (const op of ops) if (op.error) throw new Error(`decision #${op.index} failed: ${op.error.message}`);
      }
      if (server.stderr.trim()) assert.fail(`server stderr:\n${server.stderr}`);
    }

    const final = verify(history, labelFile, 'at the end');
    const { canonical, records } = readLabels(labelFile);
    assert.ok(canonical, 'compacted to canonical order on shutdown');
    const withAck = [...history.values()].filter((ops) => ops.some((op) => op.acked)).length;
    assert.ok(records.size >= withAck && records.size <= labeled.length, `one line per labeled sample (${records.size} lines, ${withAck} samples acknowledged, ${labeled.length} sent)`);
    assert.deepEqual(leftovers(path.join(root, 'data'), ['big.jsonl', 'big.labels.jsonl']), [], 'no lock, temp or set-aside files left');
    assert.ok(stats.kills >= 5, `several kills (${stats.kills})`);
    assert.ok(stats.maxFirstAckMs < 5000, `a restarted server writes at once, even over a dead server's lock (slowest: ${stats.maxFirstAckMs} ms)`);
    const seconds = (Date.now() - started) / 1000;
    console.log(`      seed ${seed}: ${issued} operations (${stats.acked} acknowledged, ${stats.lostInKill} lost in a kill, ${final.lines} lines), ${stats.kills} kills (${stats.killedIdleNearCompaction} near compaction), ${stats.locksLeftByKill} locks left by a kill + ${stats.planted} planted, ${tempsSeen.size} compaction temp files left by a kill (1 planted), slowest first write after restart ${stats.maxFirstAckMs} ms, ${seconds.toFixed(1)} s (${(issued / seconds).toFixed(0)} ops/s with restarts)`);
  });
});
