import { sleep } from "@txbox/core";
import { Locked, Timeout, TransportError, type ProxmoxError } from "./errors.js";
import { isProxmoxError } from "./guards.js";

/** How a call is retried. Presets are in {@link RETRY}. */
export interface RetryPolicy {
  readonly name: string;
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** Whether a request that may have reached the server (no answer) may be sent again. */
  readonly resendUnknown: boolean;
  /** How long a `Locked` guest is waited for (0: fail at once). */
  readonly lockWaitMs: number;
}

/**
 * Named retry presets:
 * - `read`: idempotent GETs; every transient failure is retried, also after an unknown outcome.
 * - `effect`: POST/PUT/DELETE that start work; retried only when the request provably did not run
 *   (connection refused, config-lock timeout, 502/503/504, a lock held by someone else), never
 *   after a request went out without an answer unless the caller's `alreadyDone` check runs first.
 * - `none`: one attempt.
 */
export const RETRY = {
  read: {
    name: "read",
    attempts: 5,
    baseDelayMs: 200,
    maxDelayMs: 3000,
    factor: 2,
    resendUnknown: true,
    lockWaitMs: 0,
  },
  effect: {
    name: "effect",
    attempts: 6,
    baseDelayMs: 300,
    maxDelayMs: 5000,
    factor: 2,
    resendUnknown: false,
    lockWaitMs: 60_000,
  },
  none: {
    name: "none",
    attempts: 1,
    baseDelayMs: 0,
    maxDelayMs: 0,
    factor: 1,
    resendUnknown: false,
    lockWaitMs: 0,
  },
} as const satisfies Record<string, RetryPolicy>;

/** Exponential backoff with full jitter in [d/2, d]. Pure given `random`. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const d = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** attempt);
  return Math.round(d / 2 + (random() * d) / 2);
}

export interface RetryHooks<T> {
  /**
   * Called before re-sending after an attempt whose outcome is unknown (sent, no answer). Return a
   * value when the effect turns out to be done (or running): it is returned instead of re-sending.
   * Without it, an unknown outcome under a non-`resendUnknown` policy is rethrown.
   */
  alreadyDone?: () => Promise<T | undefined>;
  onRetry?: (info: { attempt: number; delayMs: number; error: ProxmoxError }) => void;
  signal?: AbortSignal;
}

/** Whether `err` may be retried under `policy`, and whether it is a lock wait. */
export function classify(
  err: unknown,
  policy: RetryPolicy,
): "retry" | "lock" | "unknown-outcome" | "fatal" {
  if (!isProxmoxError(err)) return "fatal";
  if (err instanceof Locked) return policy.lockWaitMs > 0 ? "lock" : "fatal";
  if (err instanceof TransportError && err.sent && !policy.resendUnknown) return "unknown-outcome";
  return err.retryable ? "retry" : "fatal";
}

/** Run `fn` under `policy`. */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: () => Promise<T>,
  hooks: RetryHooks<T> = {},
): Promise<T> {
  const started = Date.now();
  let attempt = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const kind = classify(err, policy);
      const e = err as ProxmoxError;
      if (kind === "fatal") throw err;
      if (kind === "unknown-outcome") {
        if (!hooks.alreadyDone) throw err;
        const done = await withRetry(RETRY.read, hooks.alreadyDone, { signal: hooks.signal });
        if (done !== undefined) return done;
        // Checked: the effect did not happen, so sending it again is safe.
      }
      attempt++;
      if (kind === "lock") {
        if (Date.now() - started >= policy.lockWaitMs) {
          throw new Timeout(`${e.message}; still locked after ${policy.lockWaitMs} ms`, {
            context: { method: e.method, path: e.path, vmid: e.vmid },
            details: { lock: (e as Locked).lock },
            cause: err,
          });
        }
      } else if (attempt >= policy.attempts) {
        throw gaveUp(e, attempt, Date.now() - started);
      }
      const delayMs = backoffDelay(policy, Math.min(attempt - 1, 10));
      hooks.onRetry?.({ attempt, delayMs, error: e });
      await sleep(delayMs, hooks.signal);
    }
  }
}

/**
 * The last failure of a call that ran out of attempts, saying so: an operator reading
 * "Service Unavailable" should know it was not a single unlucky request (`details.attempts`).
 */
function gaveUp(e: ProxmoxError, attempts: number, ms: number): ProxmoxError {
  if (attempts <= 1) return e;
  e.message = `${e.message} (gave up after ${attempts} attempts in ${(ms / 1000).toFixed(1)} s)`;
  e.details.attempts = attempts;
  return e;
}
