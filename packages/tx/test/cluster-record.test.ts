import { createHash } from "node:crypto";
import {
  decodeRecord,
  encodeRecord,
  joinDescription,
  leaseVerdict,
  mayTake,
  newRecord,
  orchestratorId,
  RECORD_MAX_CHARS,
  recordMarker,
  splitDescription,
  type Lease,
  type LeaseView,
  type Orchestrator,
} from "../src/index.js";

const A: Orchestrator = {
  host: "h1",
  user: "alice",
  journal: "/a/journal.db",
  pid: 10,
  pidStart: "7",
};
const B: Orchestrator = {
  host: "h1",
  user: "bob",
  journal: "/b/journal.db",
  pid: 20,
  pidStart: "8",
};

const base = {
  txid: "m1abc-0123456789ab",
  state: "SNAPSHOTTING" as const,
  command: "apt-get install -y curl",
  orchestrator: A,
  startedAt: 1_700_000_000_000,
  leaseUntil: 1_700_000_060_000,
  keep: true,
};

describe("the snapshot record", () => {
  test("round-trips: the first line is the fixed marker, the second the JSON body", () => {
    const text = encodeRecord(newRecord(base));
    expect(text.split("\n")[0]).toBe(recordMarker(base.txid));
    expect(decodeRecord(text)).toEqual({
      v: 1,
      ...base,
      commandSha256: createHash("sha256").update(base.command).digest("hex"),
    });
  });

  test("secrets are redacted in the text, the digest covers the command as it ran", () => {
    const r = newRecord({
      ...base,
      command: "curl -H 'Authorization: Bearer abc.def' https://x?token=s3cr3t",
    });
    expect(r.command).not.toContain("s3cr3t");
    expect(r.command).not.toContain("abc.def");
    expect(r.command).toContain("[redacted]");
    expect(r.commandSha256).toBe(
      createHash("sha256")
        .update("curl -H 'Authorization: Bearer abc.def' https://x?token=s3cr3t")
        .digest("hex"),
    );
  });

  test("a huge command is cut so that the description stays within PVE's 8192 characters", () => {
    const text = encodeRecord(newRecord({ ...base, command: "x".repeat(100_000) }));
    expect(text.length).toBeLessThanOrEqual(RECORD_MAX_CHARS);
    const r = decodeRecord(text);
    expect(r).toMatchObject({ v: 1, txid: base.txid });
    const long = encodeRecord({ ...newRecord(base), command: 'é"\\'.repeat(5000) });
    expect(long.length).toBeLessThanOrEqual(RECORD_MAX_CHARS);
    expect(decodeRecord(long)).toMatchObject({ v: 1 });
  });

  test.each([
    ["not txbox's", "nightly backup"],
    [
      "another txid in the body",
      `${recordMarker("other")}\n${JSON.stringify({ ...newRecord(base) })}`,
    ],
    ["damaged JSON", `${recordMarker(base.txid)}\n{"v":1,`],
    [
      "unknown state",
      `${recordMarker(base.txid)}\n${JSON.stringify({ ...newRecord(base), state: "DONE" })}`,
    ],
    ["a future version", `txbox-tx/2 ${base.txid}\n{}`],
  ])("%s: no record (the snapshot is left alone)", (_name, text) => {
    expect(decodeRecord(text)).toBeUndefined();
  });

  test("the marker of earlier txbox versions is a legacy record; PVE's CRLF is read too", () => {
    expect(decodeRecord("txbox:m1abc-01")).toEqual({ v: 0, txid: "m1abc-01" });
    expect(decodeRecord(encodeRecord(newRecord(base)).replace("\n", "\r\n"))).toMatchObject({
      v: 1,
    });
  });

  test("the orchestrator id is user@host:journal", () => {
    expect(orchestratorId(A)).toBe("alice@h1:/a/journal.db");
  });
});

const lease = (over: Partial<Lease> = {}): Lease => ({
  token: "t-a",
  orchestrator: A,
  txid: "m1abc",
  acquiredAt: 1000,
  until: 61_000,
  ttlMs: 60_000,
  ...over,
});

const view = (over: Partial<LeaseView> = {}): LeaseView => ({
  me: B,
  now: 30_000,
  maxSkewMs: 5000,
  host: "h1",
  alive: () => true,
  ...over,
});

describe("the guest lease", () => {
  test("the lease line is split from the operator's notes and put back last", () => {
    const text = joinDescription("my notes\nsecond line", lease());
    const split = splitDescription(text);
    expect(split).toEqual({ notes: "my notes\nsecond line", lease: lease() });
    expect(joinDescription(split.notes, undefined)).toBe("my notes\nsecond line");
    expect(splitDescription(joinDescription("", lease()))).toEqual({ notes: "", lease: lease() });
    expect(splitDescription("notes\ntxbox-lease/1 {broken")).toEqual({
      notes: "notes",
      damaged: "txbox-lease/1 {broken",
    });
  });

  // The whole decision table: lease state × who asks × liveness × clocks.
  test.each<[string, Lease | undefined, Partial<LeaseView>, string]>([
    ["no lease", undefined, {}, "free"],
    ["our own holding", lease({ token: "t-b" }), { myToken: "t-b" }, "mine"],
    ["held by a live holder, time left", lease(), {}, "held"],
    ["held, its end passed but within the clock skew", lease(), { now: 65_000 }, "held"],
    ["held, its end passed by more than the skew", lease(), { now: 66_001 }, "expired"],
    [
      "held, unchanged for a whole ttl + skew on our clock",
      lease(),
      { unchangedForMs: 65_000 },
      "expired",
    ],
    ["held, unchanged for less than that", lease(), { unchangedForMs: 64_999 }, "held"],
    ["held by a dead process of this host", lease(), { alive: () => false }, "gone"],
    [
      "held by a dead-looking pid of another host (cannot judge)",
      lease({ orchestrator: { ...A, host: "h2" } }),
      { alive: () => false },
      "held",
    ],
    [
      "held without a pid (cannot judge liveness)",
      lease({ orchestrator: { host: "h1", user: "a", journal: "/j" } }),
      { alive: () => false },
      "held",
    ],
    [
      "the same orchestrator's other process, alive",
      lease({ orchestrator: B }),
      { myToken: "t-b" },
      "held",
    ],
  ])("%s → %s", (_name, l, v, kind) => {
    const verdict = leaseVerdict(l, view(v));
    expect(verdict.kind).toBe(kind);
    expect(mayTake(verdict)).toBe(kind !== "held");
  });

  test("a held verdict names the holder, the transaction and the time left", () => {
    const v = leaseVerdict(lease(), view());
    expect(v).toMatchObject({
      kind: "held",
      reason: "alice@h1:/a/journal.db (pid 10) holds it for transaction m1abc, 31 s left",
    });
  });
});
