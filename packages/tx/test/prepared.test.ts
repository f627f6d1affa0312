import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import type { ExecPort } from "../src/index.js";
import { TRANSACT, fixture, type Fixture } from "./support/setup.js";

const G = { vmid: 101 };
let f: Fixture;
let log: string[];

beforeEach(() => {
  f = fixture();
  f.guests.ensure(G, { "data.txt": "original\n", "etc/passwd": "root:x:0:0\n" });
  log = [];
});
afterEach(() => f.cleanup());

/**
 * The fixture's exec port with `prepare`: a prepared command is recorded when set up, started
 * and cancelled, and runs (for real) only at `start()`; snapshots are recorded when made.
 */
function ports(): { exec: ExecPort; snapshots: ReturnType<Fixture["guests"]["snapshotPort"]> } {
  const port = f.guests.execPort() as ExecPort;
  const snaps = f.guests.snapshotPort();
  const short = (c: string): string => (c.startsWith("i=0") ? "probe" : c);
  return {
    snapshots: {
      ...snaps,
      create: async (...a: Parameters<typeof snaps.create>) => {
        await snaps.create(...a);
        log.push("snapshot made");
      },
    },
    exec: {
      ...port,
      prepare: (guest, command, options) => {
        log.push(`prepare ${short(command)}`);
        return {
          start: () => (log.push(`start ${short(command)}`), port.run(guest, command, options)),
          cancel: () => void log.push(`cancel ${short(command)}`),
        };
      },
    },
  };
}

describe("sessions set up ahead (ExecPort.prepare)", () => {
  it("the command's session is set up before the snapshot and started after it; the verify probe's while it runs", async () => {
    const r = await f
      .engine({ ...ports(), verify: { protectedPaths: ["/etc/passwd"], timeoutMs: 10_000 } })
      .run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(r.outcome).toBe("committed");
    expect(f.read(101, "data.txt")).toBe("new\n");
    expect(log).toEqual([
      "prepare echo new > data.txt",
      "snapshot made",
      "start echo new > data.txt",
      "prepare probe",
      "start probe",
      "cancel probe", // a no-op after start (the port's contract)
    ]);
  });

  it("the checks before a snapshot (willCreate) start before the intent is journaled, under the name create then takes", async () => {
    const { exec, snapshots } = ports();
    const r = await f
      .engine({
        exec,
        snapshots: {
          ...snapshots,
          willCreate: (_guest, name) =>
            void log.push(`will create ${name}, ${f.journal.listTxs({}).length} journaled`),
          create: async (guest, name, description) => {
            log.push(`create ${name}`);
            await snapshots.create(guest, name, description);
          },
        },
      })
      .run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(r.outcome).toBe("committed");
    const name = f.journal.getTx(r.txid).snapshotName;
    expect(log.slice(0, 3)).toEqual([
      `will create ${name}, 0 journaled`,
      `create ${name}`,
      "prepare echo new > data.txt",
    ]);
  });

  it("a failed snapshot cancels the command's session: it never runs", async () => {
    f.guests.faults.createFails = 1;
    const r = await f
      .engine(ports())
      .run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(r.outcome).not.toBe("committed");
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(log).toEqual(["prepare echo new > data.txt", "cancel echo new > data.txt"]);
  });

  it("a command that fails its exit code never starts the prepared probe", async () => {
    const r = await f
      .engine({ ...ports(), verify: { protectedPaths: ["/etc/passwd"], timeoutMs: 10_000 } })
      .run({ guest: G, command: "echo new > data.txt; exit 3", decision: TRANSACT });
    expect(r.outcome).toBe("rolled-back");
    expect(log).toContain("cancel probe");
    expect(log).not.toContain("start probe");
  });
});
