/**
 * Crash-test hook: the fault-matrix tests SIGKILL the CLI at every step of a transaction by
 * setting `TXBOX_CRASH_AT=<step>`. Unit tests inject their own hook to observe the steps.
 */
import { ConfigError } from "@txbox/core";

export const CRASH_STEPS = [
  "after-intent",
  "during-snapshot",
  "after-snapshot",
  "during-exec",
  "during-verify",
  "during-commit",
  "during-rollback",
] as const;

/** A point in a transaction where a crash can be injected. */
export type CrashStep = (typeof CRASH_STEPS)[number];

/** Called at every crash point; a hook that crashes never returns. */
export type CrashHook = (step: CrashStep) => void | Promise<void>;

/**
 * The hook selected by `TXBOX_CRASH_AT`: SIGKILL this process at that step. Undefined when the
 * variable is unset; a {@link ConfigError} when it names no step.
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv = process.env): CrashHook | undefined {
  const at = env.TXBOX_CRASH_AT;
  if (at === undefined || at === "") return undefined;
  if (!(CRASH_STEPS as readonly string[]).includes(at)) {
    throw new ConfigError(`TXBOX_CRASH_AT=${at} names no crash step`, {
      details: { key: "TXBOX_CRASH_AT", value: at },
      hint: `Use one of: ${CRASH_STEPS.join(", ")}`,
    });
  }
  return (step) => {
    if (step === at) process.kill(process.pid, "SIGKILL");
  };
}
