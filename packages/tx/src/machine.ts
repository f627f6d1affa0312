/**
 * The transaction state machine: a pure function from (state, event) to (state, effects).
 * The engine journals the new state BEFORE it performs the effects, and feeds the effects'
 * outcomes back as events; recovery feeds a RECOVER event built from what it observes.
 *
 * Transition table (state --event--> state [effects]):
 *
 * | from          | event            | to            | effects                         |
 * |---------------|------------------|---------------|---------------------------------|
 * | INTENT        | BEGIN            | SNAPSHOTTING  | createSnapshot                  |
 * | SNAPSHOTTING  | SNAPSHOT_OK      | SNAPSHOTTED   | prepare (nested check, baseline)|
 * | SNAPSHOTTING  | SNAPSHOT_FAILED  | ABORTED       | removeSnapshot                  |
 * | SNAPSHOTTED   | PREPARED         | EXECUTING     | execute                         |
 * | SNAPSHOTTED   | ABORT            | ABORTED       | removeSnapshot                  |
 * | EXECUTING     | EXEC_DONE        | EXECUTED      | –                               |
 * | EXECUTING     | EXEC_UNKNOWN     | ROLLING_BACK  | rollback                        |
 * | EXECUTED      | VERIFY_BEGIN     | VERIFYING     | verify                          |
 * | VERIFYING     | VERIFY_PASS      | COMMITTING    | commit(keepSnapshot)            |
 * | VERIFYING     | VERIFY_FAIL      | ROLLING_BACK  | rollback                        |
 * | COMMITTING    | COMMIT_OK        | COMMITTED     | –                               |
 * | COMMITTING    | COMMIT_FAILED    | COMMITTING    | – (recovery finishes it)        |
 * | ROLLING_BACK  | ROLLBACK_OK      | ROLLED_BACK   | removeSnapshot                  |
 * | ROLLING_BACK  | ROLLBACK_FAILED  | FAILED        | – (snapshot kept for operator)  |
 * | COMMITTED     | REVERT_BEGIN     | REVERTING     | rollback                        |
 * | COMMITTED     | SUPERSEDED       | REVERTED      | removeSnapshot (an older one was reverted) |
 * | REVERTING     | ROLLBACK_OK      | REVERTED      | removeSnapshot                  |
 * | REVERTING     | ROLLBACK_FAILED  | FAILED        | –                               |
 * | INTENT        | RECOVER          | ABORTED       | removeSnapshot if it exists     |
 * | SNAPSHOTTING  | RECOVER          | ABORTED       | removeSnapshot                  |
 * | SNAPSHOTTED   | RECOVER          | ABORTED       | removeSnapshot                  |
 * | EXECUTING, EXECUTED, VERIFYING, ROLLING_BACK | RECOVER | ROLLING_BACK, or FAILED without snapshot | rollback |
 * | REVERTING     | RECOVER          | REVERTING, or FAILED without snapshot | rollback             |
 * | COMMITTING    | RECOVER          | COMMITTING    | commit(keepSnapshot)            |
 *
 * A COMMITTED transaction whose snapshot is kept (retention `keep`) stays revertible until the
 * rolling window prunes its snapshot. Reverting it also undoes every later commit on the guest:
 * those are SUPERSEDED (journaled before their snapshots are removed, see docs/adr/0009-snapshot-retention-window.md).
 *
 * The command has not run before EXECUTING is journaled, so a crash before it aborts without
 * rollback; from EXECUTING on, an outcome that was not journaled as a commit is rolled back.
 */
import type { Outcome } from "@txbox/core";
import { InvalidTransition } from "./errors.js";

export const TX_STATES = [
  "INTENT",
  "SNAPSHOTTING",
  "SNAPSHOTTED",
  "EXECUTING",
  "EXECUTED",
  "VERIFYING",
  "COMMITTING",
  "COMMITTED",
  "ROLLING_BACK",
  "ROLLED_BACK",
  "REVERTING",
  "REVERTED",
  "ABORTED",
  "FAILED",
] as const;

/** A transaction's state as stored in the journal. */
export type TxState = (typeof TX_STATES)[number];

/** States after which nothing happens on its own (COMMITTED may still be reverted by an operator). */
export const TERMINAL_STATES: ReadonlySet<TxState> = new Set<TxState>([
  "COMMITTED",
  "ROLLED_BACK",
  "REVERTED",
  "ABORTED",
  "FAILED",
]);

/** Whether no automatic step remains for a transaction in this state. */
export function isTerminal(state: TxState): boolean {
  return TERMINAL_STATES.has(state);
}

/** Inputs to the machine: the engine's requests and the outcomes of effects. */
export type TxEvent =
  | { type: "BEGIN" }
  | { type: "SNAPSHOT_OK" }
  | { type: "SNAPSHOT_FAILED"; error: string }
  | { type: "PREPARED" }
  | { type: "ABORT"; error: string }
  | { type: "EXEC_DONE"; exitCode: number | null }
  | { type: "EXEC_UNKNOWN"; error: string }
  | { type: "VERIFY_BEGIN" }
  | { type: "VERIFY_PASS"; keepSnapshot: boolean }
  | { type: "VERIFY_FAIL"; reasons: string[] }
  | { type: "COMMIT_OK" }
  | { type: "COMMIT_FAILED"; error: string }
  | { type: "ROLLBACK_OK" }
  | { type: "ROLLBACK_FAILED"; error: string }
  | { type: "REVERT_BEGIN" }
  | { type: "SUPERSEDED"; by: string }
  | { type: "RECOVER"; snapshotExists: boolean; keepSnapshot: boolean };

export type TxEventType = TxEvent["type"];

/** What the driver must do after journaling the new state. */
export type TxEffect =
  | { kind: "createSnapshot" }
  | { kind: "prepare" }
  | { kind: "execute" }
  | { kind: "verify" }
  | { kind: "commit"; keepSnapshot: boolean }
  | { kind: "rollback" }
  | { kind: "removeSnapshot" };

export interface TxStep {
  state: TxState;
  effects: TxEffect[];
}

type Handler<E extends TxEventType> = (event: Extract<TxEvent, { type: E }>) => TxStep;
type Row = { [E in TxEventType]?: Handler<E> };

const to = (state: TxState, ...effects: TxEffect[]): TxStep => ({ state, effects });

const recoverByRollback =
  (stay: TxState): Handler<"RECOVER"> =>
  (e) =>
    e.snapshotExists ? to(stay, { kind: "rollback" }) : to("FAILED");

/** The transition table as data; {@link next} is the only reader. */
const TABLE: Record<TxState, Row> = {
  INTENT: {
    BEGIN: () => to("SNAPSHOTTING", { kind: "createSnapshot" }),
    RECOVER: (e) => (e.snapshotExists ? to("ABORTED", { kind: "removeSnapshot" }) : to("ABORTED")),
  },
  SNAPSHOTTING: {
    SNAPSHOT_OK: () => to("SNAPSHOTTED", { kind: "prepare" }),
    SNAPSHOT_FAILED: () => to("ABORTED", { kind: "removeSnapshot" }),
    RECOVER: () => to("ABORTED", { kind: "removeSnapshot" }),
  },
  SNAPSHOTTED: {
    PREPARED: () => to("EXECUTING", { kind: "execute" }),
    ABORT: () => to("ABORTED", { kind: "removeSnapshot" }),
    RECOVER: () => to("ABORTED", { kind: "removeSnapshot" }),
  },
  EXECUTING: {
    EXEC_DONE: () => to("EXECUTED"),
    EXEC_UNKNOWN: () => to("ROLLING_BACK", { kind: "rollback" }),
    RECOVER: recoverByRollback("ROLLING_BACK"),
  },
  EXECUTED: {
    VERIFY_BEGIN: () => to("VERIFYING", { kind: "verify" }),
    RECOVER: recoverByRollback("ROLLING_BACK"),
  },
  VERIFYING: {
    VERIFY_PASS: (e) => to("COMMITTING", { kind: "commit", keepSnapshot: e.keepSnapshot }),
    VERIFY_FAIL: () => to("ROLLING_BACK", { kind: "rollback" }),
    RECOVER: recoverByRollback("ROLLING_BACK"),
  },
  COMMITTING: {
    COMMIT_OK: () => to("COMMITTED"),
    COMMIT_FAILED: () => to("COMMITTING"),
    RECOVER: (e) => to("COMMITTING", { kind: "commit", keepSnapshot: e.keepSnapshot }),
  },
  COMMITTED: {
    REVERT_BEGIN: () => to("REVERTING", { kind: "rollback" }),
    SUPERSEDED: () => to("REVERTED", { kind: "removeSnapshot" }),
  },
  ROLLING_BACK: {
    ROLLBACK_OK: () => to("ROLLED_BACK", { kind: "removeSnapshot" }),
    ROLLBACK_FAILED: () => to("FAILED"),
    RECOVER: recoverByRollback("ROLLING_BACK"),
  },
  ROLLED_BACK: {},
  REVERTING: {
    ROLLBACK_OK: () => to("REVERTED", { kind: "removeSnapshot" }),
    ROLLBACK_FAILED: () => to("FAILED"),
    RECOVER: recoverByRollback("REVERTING"),
  },
  REVERTED: {},
  ABORTED: {},
  FAILED: {},
};

/** The next state and the effects to perform, or {@link InvalidTransition} if the table has no edge. */
export function next(state: TxState, event: TxEvent): TxStep {
  const handler = TABLE[state][event.type] as ((e: TxEvent) => TxStep) | undefined;
  if (handler === undefined) {
    throw new InvalidTransition(`no transition from ${state} on ${event.type}`, {
      details: { state, event: event.type },
    });
  }
  return handler(event);
}

/** Whether the table has an edge from `state` on events of `type`. */
export function accepts(state: TxState, type: TxEventType): boolean {
  return TABLE[state][type] !== undefined;
}

/** The result category of a command (`@txbox/core`'s one definition). */
export type TxOutcome = Outcome;

/** The outcome the CLI reports for a transaction in `state`. */
export function outcomeOf(state: TxState): TxOutcome {
  switch (state) {
    case "COMMITTED":
    case "COMMITTING":
      return "committed";
    case "ROLLED_BACK":
    case "REVERTED":
      return "rolled-back";
    default:
      return "failed";
  }
}

/** The event the driver feeds on its own in a state whose step produced no effect. */
export function followUp(state: TxState): TxEvent | undefined {
  return state === "EXECUTED" ? { type: "VERIFY_BEGIN" } : undefined;
}
