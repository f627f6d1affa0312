/** The pure parts of the agent/bench wiring: result mapping, fault bodies, progress lines. */
import type { RunResult } from "@txbox/tx";
import { faultPatch, outcomeOf, TESTBED_FAULT_KINDS } from "@txbox/runtime";
import { outputTail, progressLine } from "../../src/commands/agent.js";
import { table1Passed } from "../../src/commands/bench.js";

const timings = { policyMs: 1, snapshotMs: 2, execMs: 3, verifyMs: 4, totalMs: 10 };

function result(over: Partial<RunResult>): RunResult {
  return {
    txid: "tx1",
    guest: { vmid: 101 },
    decision: "transact",
    outcome: "committed",
    exitCode: 0,
    stdout: "out",
    stderr: "",
    rules: ["default.transact"],
    reason: "not known to be read-only",
    timings,
    ...over,
  };
}

describe("outcomeOf", () => {
  test("a transaction keeps its id, guest and timings", () => {
    expect(outcomeOf(result({}))).toEqual({
      txid: "tx1",
      guest: "101",
      decision: "transact",
      outcome: "committed",
      exitCode: 0,
      stdout: "out",
      stderr: "",
      rules: ["default.transact"],
      reason: "not known to be read-only",
      timings,
    });
  });

  test("direct and refused commands carry no transaction id (none is journalled)", () => {
    expect(outcomeOf(result({ decision: "allow", outcome: "executed" })).txid).toBeUndefined();
    const denied = outcomeOf(
      result({ decision: "deny", outcome: "denied", alternative: "use git revert" }),
    );
    expect(denied.txid).toBeUndefined();
    expect(denied.alternative).toBe("use git revert");
  });

  test("an engine error is part of the reason the agent reads", () => {
    const o = outcomeOf(
      result({
        outcome: "failed",
        exitCode: null,
        reason: "the command could not run",
        error: { code: "E_UNREACHABLE", message: "connection lost" },
      }),
    );
    expect(o.reason).toBe("the command could not run [E_UNREACHABLE: connection lost]");
  });
});

describe("faultPatch", () => {
  test("task failures name the guest type's task", () => {
    expect(faultPatch("snapshot-fails", { vmid: 101, type: "qemu" })).toEqual({
      taskFailures: [{ type: "qmsnapshot", error: "injected storage failure", count: 1 }],
    });
    expect(faultPatch("rollback-fails-once", { vmid: 201, type: "lxc" })).toMatchObject({
      taskFailures: [{ type: "vzrollback", count: 1 }],
    });
    expect(faultPatch("guest-locked", { vmid: 201, type: "lxc" })).toEqual({
      guestLocks: [{ vmid: 201, lock: "backup", ms: 3000 }],
    });
  });

  test("every advertised kind has a body and an unknown kind is a usage error", () => {
    for (const kind of TESTBED_FAULT_KINDS)
      expect(Object.keys(faultPatch(kind, { vmid: 101, type: "qemu" }))).not.toHaveLength(0);
    expect(() => faultPatch("meteor", { vmid: 101, type: "qemu" })).toThrow(
      expect.objectContaining({ code: "E_USAGE" }),
    );
  });
});

describe("progress lines", () => {
  const outcome = outcomeOf(
    result({ outcome: "rolled-back", exitCode: 1, reason: "rolled back: exit 1", stderr: "boom" }),
  );

  test("a rolled-back step says why, and shows output only when asked", () => {
    const event = { type: "outcome" as const, step: 3, command: "make", outcome, feedback: "" };
    const plain = progressLine(event) ?? "";
    expect(plain).toMatch(
      /^agent: \[step 3\] ROLLED-BACK +make {2}\(transact tx tx1 exit 1, 10 ms\)/,
    );
    expect(plain).toMatch(/why: rolled back: exit 1 \[default.transact\]/);
    expect(plain).not.toMatch(/boom/);
    expect(progressLine(event, true)).toMatch(/\| boom$/);
  });

  test("outputTail keeps the last lines and counts the rest", () => {
    const text = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join("\n");
    const tail = outputTail(text, "", 3).split("\n");
    expect(tail).toEqual([
      "",
      "           | … 9 more lines",
      "           | line 10",
      "           | line 11",
      "           | line 12",
    ]);
    expect(outputTail("", "")).toBe("");
  });
});

test("table1Passed needs every scenario at 100 % and at least one scenario", () => {
  const sc = (passed: number) => ({ passed, total: 5 });
  expect(table1Passed({ scenarios: [sc(5), sc(5)] } as never)).toBe(true);
  expect(table1Passed({ scenarios: [sc(5), sc(4)] } as never)).toBe(false);
  expect(table1Passed({ scenarios: [] } as never)).toBe(false);
});
