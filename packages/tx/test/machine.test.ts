import { describe, expect, it } from "@jest/globals";
import {
  accepts,
  followUp,
  isTerminal,
  next,
  outcomeOf,
  TX_STATES,
  type TxEvent,
  type TxState,
  type TxStep,
} from "../src/machine.js";
import { InvalidTransition } from "../src/errors.js";

const recover = (snapshotExists: boolean, keepSnapshot = false): TxEvent => ({
  type: "RECOVER",
  snapshotExists,
  keepSnapshot,
});

const table: [TxState, TxEvent, TxStep][] = [
  ["INTENT", { type: "BEGIN" }, { state: "SNAPSHOTTING", effects: [{ kind: "createSnapshot" }] }],
  [
    "SNAPSHOTTING",
    { type: "SNAPSHOT_OK" },
    { state: "SNAPSHOTTED", effects: [{ kind: "prepare" }] },
  ],
  [
    "SNAPSHOTTING",
    { type: "SNAPSHOT_FAILED", error: "x" },
    { state: "ABORTED", effects: [{ kind: "removeSnapshot" }] },
  ],
  ["SNAPSHOTTED", { type: "PREPARED" }, { state: "EXECUTING", effects: [{ kind: "execute" }] }],
  [
    "SNAPSHOTTED",
    { type: "ABORT", error: "x" },
    { state: "ABORTED", effects: [{ kind: "removeSnapshot" }] },
  ],
  ["EXECUTING", { type: "EXEC_DONE", exitCode: 0 }, { state: "EXECUTED", effects: [] }],
  ["EXECUTING", { type: "EXEC_DONE", exitCode: 2 }, { state: "EXECUTED", effects: [] }],
  [
    "EXECUTING",
    { type: "EXEC_UNKNOWN", error: "x" },
    { state: "ROLLING_BACK", effects: [{ kind: "rollback" }] },
  ],
  ["EXECUTED", { type: "VERIFY_BEGIN" }, { state: "VERIFYING", effects: [{ kind: "verify" }] }],
  [
    "VERIFYING",
    { type: "VERIFY_PASS", keepSnapshot: false },
    { state: "COMMITTING", effects: [{ kind: "commit", keepSnapshot: false }] },
  ],
  [
    "VERIFYING",
    { type: "VERIFY_PASS", keepSnapshot: true },
    { state: "COMMITTING", effects: [{ kind: "commit", keepSnapshot: true }] },
  ],
  [
    "VERIFYING",
    { type: "VERIFY_FAIL", reasons: ["r"] },
    { state: "ROLLING_BACK", effects: [{ kind: "rollback" }] },
  ],
  ["COMMITTING", { type: "COMMIT_OK" }, { state: "COMMITTED", effects: [] }],
  ["COMMITTING", { type: "COMMIT_FAILED", error: "x" }, { state: "COMMITTING", effects: [] }],
  [
    "ROLLING_BACK",
    { type: "ROLLBACK_OK" },
    { state: "ROLLED_BACK", effects: [{ kind: "removeSnapshot" }] },
  ],
  ["ROLLING_BACK", { type: "ROLLBACK_FAILED", error: "x" }, { state: "FAILED", effects: [] }],
  ["COMMITTED", { type: "REVERT_BEGIN" }, { state: "REVERTING", effects: [{ kind: "rollback" }] }],
  [
    "COMMITTED",
    { type: "SUPERSEDED", by: "t0" },
    { state: "REVERTED", effects: [{ kind: "removeSnapshot" }] },
  ],
  [
    "REVERTING",
    { type: "ROLLBACK_OK" },
    { state: "REVERTED", effects: [{ kind: "removeSnapshot" }] },
  ],
  ["REVERTING", { type: "ROLLBACK_FAILED", error: "x" }, { state: "FAILED", effects: [] }],
  // Recovery: before EXECUTING the command has not run, so abort; after, roll back.
  ["INTENT", recover(false), { state: "ABORTED", effects: [] }],
  ["INTENT", recover(true), { state: "ABORTED", effects: [{ kind: "removeSnapshot" }] }],
  ["SNAPSHOTTING", recover(false), { state: "ABORTED", effects: [{ kind: "removeSnapshot" }] }],
  ["SNAPSHOTTING", recover(true), { state: "ABORTED", effects: [{ kind: "removeSnapshot" }] }],
  ["SNAPSHOTTED", recover(true), { state: "ABORTED", effects: [{ kind: "removeSnapshot" }] }],
  ["EXECUTING", recover(true), { state: "ROLLING_BACK", effects: [{ kind: "rollback" }] }],
  ["EXECUTING", recover(false), { state: "FAILED", effects: [] }],
  ["EXECUTED", recover(true), { state: "ROLLING_BACK", effects: [{ kind: "rollback" }] }],
  ["EXECUTED", recover(false), { state: "FAILED", effects: [] }],
  ["VERIFYING", recover(true), { state: "ROLLING_BACK", effects: [{ kind: "rollback" }] }],
  ["VERIFYING", recover(false), { state: "FAILED", effects: [] }],
  ["ROLLING_BACK", recover(true), { state: "ROLLING_BACK", effects: [{ kind: "rollback" }] }],
  ["ROLLING_BACK", recover(false), { state: "FAILED", effects: [] }],
  ["REVERTING", recover(true), { state: "REVERTING", effects: [{ kind: "rollback" }] }],
  ["REVERTING", recover(false), { state: "FAILED", effects: [] }],
  // The decision to commit was journaled: finish the commit whether or not the snapshot is left.
  [
    "COMMITTING",
    recover(true, false),
    { state: "COMMITTING", effects: [{ kind: "commit", keepSnapshot: false }] },
  ],
  [
    "COMMITTING",
    recover(false, false),
    { state: "COMMITTING", effects: [{ kind: "commit", keepSnapshot: false }] },
  ],
  [
    "COMMITTING",
    recover(true, true),
    { state: "COMMITTING", effects: [{ kind: "commit", keepSnapshot: true }] },
  ],
];

describe("transaction state machine", () => {
  it.each(table)("%s --%j--> %j", (state, event, step) => {
    expect(next(state, event)).toEqual(step);
  });

  it("rejects every edge that is not in the table with InvalidTransition", () => {
    const listed = new Set(table.map(([s, e]) => `${s}/${e.type}`));
    const events: TxEvent[] = [
      { type: "BEGIN" },
      { type: "SNAPSHOT_OK" },
      { type: "PREPARED" },
      { type: "EXEC_DONE", exitCode: 0 },
      { type: "VERIFY_BEGIN" },
      { type: "VERIFY_PASS", keepSnapshot: false },
      { type: "COMMIT_OK" },
      { type: "ROLLBACK_OK" },
      { type: "REVERT_BEGIN" },
      { type: "SNAPSHOT_FAILED", error: "x" },
      { type: "ABORT", error: "x" },
      { type: "EXEC_UNKNOWN", error: "x" },
      { type: "VERIFY_FAIL", reasons: ["r"] },
      { type: "COMMIT_FAILED", error: "x" },
      { type: "ROLLBACK_FAILED", error: "x" },
      { type: "SUPERSEDED", by: "t0" },
      recover(true),
    ];
    // Every event type of the machine, so that a new edge cannot slip in untested.
    const types: Record<TxEvent["type"], true> = Object.fromEntries(
      events.map((e) => [e.type, true]),
    ) as Record<TxEvent["type"], true>;
    expect(Object.keys(types).sort()).toEqual([...new Set(table.map(([, e]) => e.type))].sort());
    let rejected = 0;
    for (const state of TX_STATES) {
      for (const event of events) {
        if (listed.has(`${state}/${event.type}`)) continue;
        expect(accepts(state, event.type)).toBe(false);
        expect(() => next(state, event)).toThrow(InvalidTransition);
        rejected++;
      }
    }
    expect(rejected).toBe(TX_STATES.length * events.length - listed.size);
  });

  it("terminal states take no recovery step", () => {
    for (const state of ["COMMITTED", "ROLLED_BACK", "REVERTED", "ABORTED", "FAILED"] as const) {
      expect(isTerminal(state)).toBe(true);
      expect(accepts(state, "RECOVER")).toBe(false);
    }
    for (const state of TX_STATES.filter((s) => !isTerminal(s))) {
      expect(accepts(state, "RECOVER")).toBe(true);
    }
  });

  it("a happy path drives INTENT to COMMITTED, feeding VERIFY_BEGIN after EXECUTED", () => {
    const events: TxEvent[] = [
      { type: "BEGIN" },
      { type: "SNAPSHOT_OK" },
      { type: "PREPARED" },
      { type: "EXEC_DONE", exitCode: 0 },
      { type: "VERIFY_PASS", keepSnapshot: false },
      { type: "COMMIT_OK" },
    ];
    const visited: TxState[] = ["INTENT"];
    let state: TxState = "INTENT";
    for (const event of events) {
      state = next(state, event).state;
      visited.push(state);
      const auto = followUp(state);
      if (auto) {
        state = next(state, auto).state;
        visited.push(state);
      }
    }
    expect(visited).toEqual([
      "INTENT",
      "SNAPSHOTTING",
      "SNAPSHOTTED",
      "EXECUTING",
      "EXECUTED",
      "VERIFYING",
      "COMMITTING",
      "COMMITTED",
    ]);
  });

  it("maps states to the CLI outcome", () => {
    expect(outcomeOf("COMMITTED")).toBe("committed");
    expect(outcomeOf("COMMITTING")).toBe("committed");
    expect(outcomeOf("ROLLED_BACK")).toBe("rolled-back");
    expect(outcomeOf("REVERTED")).toBe("rolled-back");
    expect(outcomeOf("ABORTED")).toBe("failed");
    expect(outcomeOf("FAILED")).toBe("failed");
  });
});
