// Long work runs as generators that yield often; this drives one so the event loop gets a turn at
// least every SLICE_MS, and stops it when its requester no longer wants the answer.
/** Thrown out of a long computation when its requester no longer wants the answer. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * vscode-jsonrpc handles one message per event-loop turn and writes each response a turn later, so a
 * request waits for up to two slices: keep them short.
 */
export const SLICE_MS = 4;

export async function drive<T>(steps: Generator<unknown, T>, isCancelled?: () => boolean, sliceMs = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value instanceof Promise) {
      // The work is elsewhere (a worker thread): wait for it without spinning.
      await step.value;
      if (isCancelled?.()) {
        steps.return(undefined as never);
        throw new CancelledError();
      }
      sliceStart = performance.now();
      continue;
    }
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      if (isCancelled?.()) {
        steps.return(undefined as never);
        throw new CancelledError();
      }
      sliceStart = performance.now();
    }
  }
}
