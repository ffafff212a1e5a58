// Long work runs as generators that yield often. One scheduler drives them all, so that however many
// jobs are under way, the event loop runs at most one slice of work (SLICE_MS) between two looks at
// its input; and a job whose requester no longer wants the answer stops at its next step.
//
// Why one scheduler: when each job yielded on its own (setImmediate), every job that was under way
// ran its slice in the same turn of the event loop, so three jobs held it for three slices. Why the
// timers phase: a message read while a slice runs is handled in that same turn's check phase, right
// after the slice, instead of after another slice that was queued first. And why it steps aside
// while messages arrive: vscode-jsonrpc handles one message per turn, so a burst of N messages
// would wait N slices.

/** Thrown out of a long computation when its requester no longer wants the answer. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * Runs `steps` to the end at once, without yielding to the event loop, and returns its value: the
 * synchronous face of a stepped computation (the CLI, tests, a worker thread that has nothing else to do).
 */
export function runToEnd<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Work time of one slice; one slice runs per turn of the event loop, shared by every job. */
export const SLICE_MS = 4;

/** What a new job may do at once, in the turn that starts it: a small request answers without waiting its turn. */
export const START_MS = 1;

interface Job {
  steps: Generator<unknown, unknown>;
  isCancelled: (() => boolean) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Jobs waiting for a slice, in turn order. */
const ready: Job[] = [];
let armed = false;
/** Messages handled since the last slice (see `noteMessage`). */
let messagesSinceSlice = 0;
let lastSliceEnd = 0;

/**
 * Tells the scheduler that the connection handled an incoming message. While messages keep coming,
 * the next slice waits (for at most SLICE_MS after the last one) so a burst is handled first.
 */
export function noteMessage(): void {
  messagesSinceSlice++;
}

/**
 * Runs `steps` to the end in slices and resolves with its return value. It starts at once (for up
 * to START_MS), then takes turns with the other jobs. A step may yield a promise (work elsewhere,
 * such as a worker thread): the job then waits for it without taking slices. When `isCancelled`
 * says so at the start of a turn, the generator is closed and the promise rejects with CancelledError.
 */
export function drive<T>(steps: Generator<unknown, T>, isCancelled?: () => boolean): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run({ steps, isCancelled, resolve: resolve as (value: unknown) => void, reject }, performance.now() + START_MS);
  });
}

/** Runs a job's steps until `deadline`; then it queues for a slice, waits for the promise it yielded, or ends. */
function run(job: Job, deadline: number): void {
  try {
    if (job.isCancelled?.()) {
      try {
        job.steps.return(undefined);
      } finally {
        job.reject(new CancelledError());
      }
      return;
    }
    for (;;) {
      const step = job.steps.next();
      if (step.done) {
        job.resolve(step.value);
        return;
      }
      if (step.value instanceof Promise) {
        step.value.then(
          () => {
            ready.push(job);
            arm();
          },
          (error: unknown) => {
            try {
              job.steps.return(undefined);
            } finally {
              job.reject(error);
            }
          },
        );
        return;
      }
      if (performance.now() >= deadline) {
        ready.push(job);
        arm();
        return;
      }
    }
  } catch (error) {
    job.reject(error);
  }
}

function arm(): void {
  if (armed || ready.length === 0) return;
  armed = true;
  setTimeout(pump, 0);
}

/** One slice: the jobs in turn until SLICE_MS is spent; the next slice waits for the next turn. */
function pump(): void {
  armed = false;
  if (ready.length === 0) return;
  if (messagesSinceSlice > 0 && performance.now() - lastSliceEnd < SLICE_MS) {
    // A message was just handled and more may be queued: let them through first (they are handled
    // one per turn, in the check phase, before this callback).
    messagesSinceSlice = 0;
    armed = true;
    setImmediate(pump);
    return;
  }
  messagesSinceSlice = 0;
  const deadline = performance.now() + SLICE_MS;
  // Armed before the work, so that the timer is due when the slice ends.
  arm();
  for (let count = ready.length; count > 0 && performance.now() < deadline; count--) {
    run(ready.shift()!, deadline);
  }
  lastSliceEnd = performance.now();
  arm();
}

/** What `unlessCancelled` needs of a cancellation token (an LSP CancellationToken is one). */
export interface CancellationSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/**
 * Waits for work shared by several requests (an index, a parse) on behalf of one of them: when that
 * request is cancelled, it stops waiting at once (CancelledError) while the work goes on for the others.
 */
export function unlessCancelled<T>(work: Promise<T>, token: CancellationSignal): Promise<T> {
  if (token.isCancellationRequested) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      subscription.dispose();
      return true;
    };
    const subscription = token.onCancellationRequested(() => {
      if (finish()) reject(new CancelledError());
    });
    work.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
