// What the journal tests share: the fields of a transaction that no write has set yet, and the
// error a call throws.

/** A new transaction's fields before anything ran (state INTENT, no actor). */
export const blank = {
  actor: null,
  state: "INTENT",
  snapshotRemoved: false,
  exitCode: null,
  signal: null,
  timedOut: null,
  stdoutSha256: null,
  stderrSha256: null,
  baseline: null,
  verify: null,
  timings: {},
  error: null,
};

/** The error `fn` throws (undefined if none), to assert on its class, message and details. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
