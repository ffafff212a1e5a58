// server/src/core/slicer.ts: long work in slices, one slice per turn of the event loop whatever the
// number of jobs, messages first when they arrive in a burst, and cancellation at the next turn.
import * as assert from 'node:assert/strict';
import { CancelledError, drive, noteMessage, runToEnd, SLICE_MS, unlessCancelled } from '../../server/src/core/slicer';

/** Holds the thread for `ms`, like a step of real work. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const STEP_MS = 0.25;

/** A job of `count` steps of STEP_MS each, counting them into `progress`. */
function* job(count: number, progress: { steps: number }): Generator<void, number> {
  for (let k = 0; k < count; k++) {
    busy(STEP_MS);
    progress.steps++;
    yield;
  }
  return count;
}

/** Records, for each turn of the event loop, how many job steps ran since the previous turn. */
function watchTurns(progress: { steps: number }): { stop(): number[] } {
  const perTurn: number[] = [];
  let last = progress.steps;
  let running = true;
  const tick = (): void => {
    perTurn.push(progress.steps - last);
    last = progress.steps;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop(): number[] {
      running = false;
      return perTurn;
    },
  };
}

describe('core/slicer: drive', () => {
  it('runs a generator to its end and resolves with its value; a short one ends in the turn that starts it', async () => {
    let steps = 0;
    function* quick(): Generator<void, string> {
      for (let k = 0; k < 3; k++) {
        steps++;
        yield;
      }
      return 'done';
    }
    const done = drive(quick());
    assert.equal(steps, 3, 'three quick steps run at once');
    assert.equal(await done, 'done');
  });

  it('runs one slice per turn of the event loop, however many jobs are under way', async () => {
    const progress = { steps: 0 };
    const watch = watchTurns(progress);
    const jobs = [drive(job(200, progress)), drive(job(200, progress)), drive(job(200, progress))];
    await Promise.all(jobs);
    const perTurn = watch.stop();
    assert.equal(progress.steps, 600);
    // A slice holds about SLICE_MS / STEP_MS steps (a step that the OS interrupts makes fewer). With a
    // slice per job in each turn, as before, three jobs ran three times that. The first turn also ran
    // the start of each job (START_MS at once, in the turn that called drive).
    const slice = Math.ceil(SLICE_MS / STEP_MS);
    const worst = Math.max(...perTurn.slice(1));
    assert.ok(worst <= slice + 2, `at most one slice (${slice} steps) per turn; the worst turn ran ${worst}`);
  });

  it('lets a burst of messages through before the next slice', async () => {
    const progress = { steps: 0 };
    const work = drive(job(400, progress));
    // Wait until the job runs in slices, then deliver 20 messages the way vscode-jsonrpc does: one per turn.
    while (progress.steps < 40) await new Promise((resolve) => setImmediate(resolve));
    const before = progress.steps;
    let handled = 0;
    await new Promise<void>((resolve) => {
      const handle = (): void => {
        noteMessage();
        if (++handled === 20) resolve();
        else setImmediate(handle);
      };
      setImmediate(handle);
    });
    const during = progress.steps - before;
    // Without stepping aside, the 20 messages waited a slice each (20 slices of steps).
    assert.ok(during <= 3 * Math.ceil(SLICE_MS / STEP_MS), `the job ran ${during} steps while 20 messages were handled`);
    await work;
  });

  it('stops a cancelled job at its next turn and closes the generator', async () => {
    let cancelled = false;
    let closed = false;
    const progress = { steps: 0 };
    function* endless(): Generator<void, void> {
      try {
        for (;;) {
          busy(STEP_MS);
          progress.steps++;
          yield;
        }
      } finally {
        closed = true;
      }
    }
    const work = drive(endless(), () => cancelled);
    while (progress.steps < 20) await new Promise((resolve) => setImmediate(resolve));
    cancelled = true;
    await assert.rejects(work, CancelledError);
    assert.ok(closed, 'the generator ran its finally block');
  });

  it('waits for a promise a step yields without taking slices, and passes on its rejection', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    function* waiting(): Generator<unknown, string> {
      yield gate;
      return 'after';
    }
    const progress = { steps: 0 };
    const other = drive(job(40, progress));
    const waiter = drive(waiting());
    await other;
    release();
    assert.equal(await waiter, 'after');
    function* failing(): Generator<unknown, void> {
      yield Promise.reject(new Error('worker failed'));
    }
    await assert.rejects(drive(failing()), /worker failed/);
  });

  it('stops waiting for shared work when the request is cancelled; the work goes on', async () => {
    const listeners: Array<() => void> = [];
    const token = {
      isCancellationRequested: false,
      onCancellationRequested(listener: () => void) {
        listeners.push(listener);
        return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
      },
    };
    let finish!: (value: string) => void;
    const shared = new Promise<string>((resolve) => (finish = resolve));
    const waiting = unlessCancelled(shared, token);
    token.isCancellationRequested = true;
    for (const listener of [...listeners]) listener();
    await assert.rejects(waiting, CancelledError);
    assert.equal(listeners.length, 0, 'the listener is removed');
    finish('done');
    assert.equal(await shared, 'done');
    assert.equal(await unlessCancelled(Promise.resolve(1), { ...token, isCancellationRequested: false }), 1);
    await assert.rejects(unlessCancelled(Promise.resolve(1), token), CancelledError, 'an already cancelled request does not wait');
  });
});

describe('core/slicer: runToEnd', () => {
  it('runs every step at once, within the same turn, and returns the generator\'s value', async () => {
    const progress = { steps: 0 };
    let otherTurn = false;
    const turn = new Promise<void>((resolve) => setImmediate(() => {
      otherTurn = true;
      resolve();
    }));
    assert.equal(runToEnd(job(40, progress)), 40);
    assert.equal(progress.steps, 40);
    assert.equal(otherTurn, false, 'no turn of the event loop ran in between');
    await turn;
  });

  it('passes on what a step throws', () => {
    function* failing(): Generator<void, number> {
      yield;
      throw new Error('step 2 failed');
    }
    assert.throws(() => runToEnd(failing()), /step 2 failed/);
  });
});
