// The whole transition table, every state × every event type (and every RECOVER observation),
// written out here independently of the machine's own table: an edge added, dropped or redirected
// in src/machine.ts fails one row. The header comment of machine.ts is the specification.
import { describe, expect, it } from "@jest/globals";
import {
  accepts,
  followUp,
  isTerminal,
  next,
  outcomeOf,
  TERMINAL_STATES,
  TX_STATES,
  type TxEffect,
  type TxEvent,
  type TxEventType,
  type TxOutcome,
  type TxState,
  type TxStep,
} from "../src/machine.js";
import { InvalidTransition } from "../src/errors.js";

/** One event of each type, with payloads that differ from the defaults where a payload exists. */
const EVENTS: Record<Exclude<TxEventType, "RECOVER">, TxEvent> = {
  BEGIN: { type: "BEGIN" },
  SNAPSHOT_OK: { type: "SNAPSHOT_OK" },
  SNAPSHOT_FAILED: { type: "SNAPSHOT_FAILED", error: "e" },
  PREPARED: { type: "PREPARED" },
  ABORT: { type: "ABORT", error: "e" },
  EXEC_DONE: { type: "EXEC_DONE", exitCode: 3 },
  EXEC_UNKNOWN: { type: "EXEC_UNKNOWN", error: "e" },
  VERIFY_BEGIN: { type: "VERIFY_BEGIN" },
  VERIFY_PASS: { type: "VERIFY_PASS", keepSnapshot: true },
  VERIFY_FAIL: { type: "VERIFY_FAIL", reasons: ["r"] },
  COMMIT_OK: { type: "COMMIT_OK" },
  COMMIT_FAILED: { type: "COMMIT_FAILED", error: "e" },
  ROLLBACK_OK: { type: "ROLLBACK_OK" },
  ROLLBACK_FAILED: { type: "ROLLBACK_FAILED", error: "e" },
  REVERT_BEGIN: { type: "REVERT_BEGIN" },
  SUPERSEDED: { type: "SUPERSEDED", by: "t0" },
};
const EVENT_TYPES = [...Object.keys(EVENTS), "RECOVER"] as TxEventType[];

const fx = (kind: Exclude<TxEffect["kind"], "commit">): TxEffect => ({ kind }) as TxEffect;
const step = (state: TxState, ...effects: TxEffect[]): TxStep => ({ state, effects });

/** The edges of the table other than RECOVER, keyed `STATE/EVENT`. */
const EDGES: Record<string, TxStep> = {
  "INTENT/BEGIN": step("SNAPSHOTTING", fx("createSnapshot")),
  "SNAPSHOTTING/SNAPSHOT_OK": step("SNAPSHOTTED", fx("prepare")),
  "SNAPSHOTTING/SNAPSHOT_FAILED": step("ABORTED", fx("removeSnapshot")),
  "SNAPSHOTTED/PREPARED": step("EXECUTING", fx("execute")),
  "SNAPSHOTTED/ABORT": step("ABORTED", fx("removeSnapshot")),
  "EXECUTING/EXEC_DONE": step("EXECUTED"),
  "EXECUTING/EXEC_UNKNOWN": step("ROLLING_BACK", fx("rollback")),
  "EXECUTED/VERIFY_BEGIN": step("VERIFYING", fx("verify")),
  "VERIFYING/VERIFY_PASS": step("COMMITTING", { kind: "commit", keepSnapshot: true }),
  "VERIFYING/VERIFY_FAIL": step("ROLLING_BACK", fx("rollback")),
  "COMMITTING/COMMIT_OK": step("COMMITTED"),
  "COMMITTING/COMMIT_FAILED": step("COMMITTING"),
  "ROLLING_BACK/ROLLBACK_OK": step("ROLLED_BACK", fx("removeSnapshot")),
  "ROLLING_BACK/ROLLBACK_FAILED": step("FAILED"),
  "COMMITTED/REVERT_BEGIN": step("REVERTING", fx("rollback")),
  "COMMITTED/SUPERSEDED": step("REVERTED", fx("removeSnapshot")),
  "REVERTING/ROLLBACK_OK": step("REVERTED", fx("removeSnapshot")),
  "REVERTING/ROLLBACK_FAILED": step("FAILED"),
};

/** RECOVER's step per state and observation (snapshotExists, keepSnapshot); absent = no edge. */
function recoverStep(state: TxState, snapshotExists: boolean, keep: boolean): TxStep | undefined {
  switch (state) {
    case "INTENT":
      return snapshotExists ? step("ABORTED", fx("removeSnapshot")) : step("ABORTED");
    case "SNAPSHOTTING":
    case "SNAPSHOTTED":
      return step("ABORTED", fx("removeSnapshot"));
    case "EXECUTING":
    case "EXECUTED":
    case "VERIFYING":
    case "ROLLING_BACK":
      return snapshotExists ? step("ROLLING_BACK", fx("rollback")) : step("FAILED");
    case "REVERTING":
      return snapshotExists ? step("REVERTING", fx("rollback")) : step("FAILED");
    case "COMMITTING":
      return step("COMMITTING", { kind: "commit", keepSnapshot: keep });
    default:
      return undefined;
  }
}

const cells: [TxState, TxEventType][] = TX_STATES.flatMap((s) =>
  EVENT_TYPES.map((t): [TxState, TxEventType] => [s, t]),
);

describe("the transition table, exhaustively", () => {
  it("covers 14 states × 17 event types", () => {
    expect(TX_STATES).toHaveLength(14);
    expect(new Set(EVENT_TYPES).size).toBe(17);
  });

  it.each(cells.filter(([, t]) => t !== "RECOVER"))("%s on %s", (state, type) => {
    const expected = EDGES[`${state}/${type}`];
    const event = EVENTS[type as Exclude<TxEventType, "RECOVER">];
    expect(accepts(state, type)).toBe(expected !== undefined);
    if (expected !== undefined) {
      expect(next(state, event)).toEqual(expected);
      return;
    }
    expect(() => next(state, event)).toThrow(InvalidTransition);
    expect(() => next(state, event)).toThrow(
      expect.objectContaining({
        code: "E_TX_TRANSITION",
        message: `no transition from ${state} on ${type}`,
        details: { state, event: type },
      }),
    );
  });

  const observations = [
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ] as const;
  it.each(
    TX_STATES.flatMap((s) => observations.map(([x, k]): [TxState, boolean, boolean] => [s, x, k])),
  )("%s on RECOVER (snapshotExists %s, keepSnapshot %s)", (state, snapshotExists, keep) => {
    const event: TxEvent = { type: "RECOVER", snapshotExists, keepSnapshot: keep };
    const expected = recoverStep(state, snapshotExists, keep);
    expect(accepts(state, "RECOVER")).toBe(expected !== undefined);
    if (expected === undefined) expect(() => next(state, event)).toThrow(InvalidTransition);
    else expect(next(state, event)).toEqual(expected);
  });

  it("the two edges a review found missing from the old tests stay forbidden", () => {
    // EXECUTING --ABORT--> ABORTED would drop the snapshot of a command that may have run.
    expect(() => next("EXECUTING", { type: "ABORT", error: "x" })).toThrow(InvalidTransition);
    // A finished rollback takes no further verdict.
    expect(() => next("ROLLED_BACK", { type: "VERIFY_FAIL", reasons: [] })).toThrow(
      InvalidTransition,
    );
  });
});

describe("state classification", () => {
  const terminal = new Set<TxState>(["COMMITTED", "ROLLED_BACK", "REVERTED", "ABORTED", "FAILED"]);
  const outcome: Record<TxState, TxOutcome> = {
    INTENT: "failed",
    SNAPSHOTTING: "failed",
    SNAPSHOTTED: "failed",
    EXECUTING: "failed",
    EXECUTED: "failed",
    VERIFYING: "failed",
    COMMITTING: "committed",
    COMMITTED: "committed",
    ROLLING_BACK: "failed",
    ROLLED_BACK: "rolled-back",
    REVERTING: "failed",
    REVERTED: "rolled-back",
    ABORTED: "failed",
    FAILED: "failed",
  };

  it.each([...TX_STATES])("%s: terminal, outcome and follow-up", (state) => {
    expect(isTerminal(state)).toBe(terminal.has(state));
    expect(TERMINAL_STATES.has(state)).toBe(terminal.has(state));
    expect(outcomeOf(state)).toBe(outcome[state]);
    expect(followUp(state)).toEqual(state === "EXECUTED" ? { type: "VERIFY_BEGIN" } : undefined);
  });

  it("TERMINAL_STATES holds exactly the terminal states", () => {
    expect([...TERMINAL_STATES].sort()).toEqual([...terminal].sort());
  });
});
