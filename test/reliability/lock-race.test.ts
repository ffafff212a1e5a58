// The cross-process lock of server/src/core/fsutil.ts under fire: several processes contend for one lock
// and the holder is SIGKILLed inside the critical section again and again, so that the waiting processes
// all find the same dead lock at about the same moment. Never may two live processes be inside at once.
//
// This file is also the worker: run with LOOPMARK_LOCK_WORKER=1 it contends for the lock itself.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withFileLock } from '../../server/src/core/fsutil';
import { removeWorkspace, tempWorkspace } from '../helpers/workspace';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function busyWait(ms: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < until) {
    // spin: stay inside the critical section without yielding the CPU to a timer
  }
}

/**
 * The worker: takes the lock `rounds` times. Inside, it claims a marker file (O_EXCL); a marker of a
 * live process means two are inside: a violation, recorded in a file. With probability `die` it kills
 * itself while holding the lock, leaving the lock and the marker of a dead process behind.
 */
function worker(): void {
  const file = process.env['LOCK_FILE']!;
  const rounds = Number(process.env['LOCK_ROUNDS']);
  const die = Number(process.env['LOCK_DIE']);
  const marker = `${file}.inside`;
  const violations = `${file}.violations`;
  const entries = `${file}.entries`;
  let rng = Number(process.env['LOCK_SEED']) >>> 0;
  const random = (): number => {
    rng = (Math.imul(rng ^ (rng >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return rng / 4294967296;
  };
  for (let i = 0; i < rounds; i++) {
    withFileLock(file, () => {
      for (;;) {
        try {
          fs.writeFileSync(marker, String(process.pid), { flag: 'wx' });
          break;
        } catch {
          let other = 0;
          try {
            other = Number(fs.readFileSync(marker, 'utf8'));
          } catch {
            continue; // removed in between: only possible when another process is inside too; retry and see
          }
          if (other && alive(other) && other !== process.pid) {
            fs.appendFileSync(violations, `${process.pid} entered while ${other} was inside\n`);
            return;
          }
          fs.rmSync(marker, { force: true }); // left by a holder that was killed
        }
      }
      fs.appendFileSync(entries, `${process.pid}\n`);
      busyWait(random() * 0.5);
      if (random() < die) process.kill(process.pid, 'SIGKILL');
      fs.rmSync(marker);
    }, 20_000);
  }
}

if (process.env['LOOPMARK_LOCK_WORKER']) {
  worker();
} else {
  describe('reliability: the file lock when its holder is killed', function () {
    this.timeout(60_000);
    let root: string;
    afterEach(() => removeWorkspace(root));

    it('lets exactly one process in at a time while killed holders\' locks are taken over by a crowd', async () => {
      root = tempWorkspace();
      const file = path.join(root, 'x.labels.jsonl');
      const WORKERS = 6;
      const KILLS = Number(process.env['RELIABILITY_LOCK_KILLS'] ?? 40);
      const started = Date.now();
      let kills = 0;
      let finished = 0;
      let spawned = 0;
      const running = new Set<ChildProcess>();
      await new Promise<void>((resolve, reject) => {
        const launch = (): void => {
          const child = spawn(process.execPath, [__filename], {
            stdio: ['ignore', 'ignore', 'pipe'],
            env: { ...process.env, LOOPMARK_LOCK_WORKER: '1', LOCK_FILE: file, LOCK_ROUNDS: '200', LOCK_DIE: '0.15', LOCK_SEED: String(spawned++ * 7919 + 1) },
          });
          let stderr = '';
          child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
          running.add(child);
          child.on('exit', (code, signal) => {
            running.delete(child);
            if (signal === 'SIGKILL') kills++;
            else if (code === 0) finished++;
            else return reject(new Error(`worker exited with ${code}: ${stderr}`));
            if (kills < KILLS) launch();
            else if (running.size === 0) resolve();
          });
        };
        for (let i = 0; i < WORKERS; i++) launch();
      });
      const entries = fs.readFileSync(`${file}.entries`, 'utf8').split('\n').filter(Boolean).length;
      const violations = fs.existsSync(`${file}.violations`) ? fs.readFileSync(`${file}.violations`, 'utf8') : '';
      console.log(`      ${spawned} processes, ${kills} killed while holding the lock, ${entries} entries, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(violations, '', 'two live processes were inside the lock at once');
      assert.ok(kills >= KILLS);
      assert.ok(!fs.existsSync(`${file}.lock`) || !alive(Number(fs.readFileSync(`${file}.lock`, 'utf8').split('\n')[0])), 'no live holder left');
      const left = fs.readdirSync(root).filter((n) => /\.(stale|break)$/.test(n));
      assert.deepEqual(left, [], 'nothing set aside is left behind');
    });
  });
}
