import { ApiError, AuthFailed, Locked, NotFound, Unsupported } from "../src/errors.js";
import { isTaskSuccess, mapHttpError, mapTaskExit } from "../src/mapping.js";
import { RETRY, backoffDelay, classify } from "../src/retry.js";
import { TransportError } from "../src/errors.js";
import { snapshotTree } from "../src/guest.js";
import { parseUpid } from "../src/upid.js";

const ctx = { method: "POST", path: "/nodes/pve/qemu/100/snapshot" };

describe("mapHttpError", () => {
  test.each([
    [404, "Not Found", NotFound, "E_NOT_FOUND", false],
    [500, "snapshot 'x' does not exist", NotFound, "E_NOT_FOUND", false],
    [500, "VM is locked (snapshot)", Locked, "E_LOCKED", true],
    [500, "CT is locked (backup)", Locked, "E_LOCKED", true],
    [401, "authentication failure", AuthFailed, "E_AUTH", false],
    [501, "Method 'GET /x' not implemented", Unsupported, "E_UNSUPPORTED", false],
    [
      500,
      "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout",
      ApiError,
      "E_API",
      true,
    ],
    [503, "Service Unavailable", ApiError, "E_API", true],
    [500, "unable to use snapshot name 'current' (reserved name)", ApiError, "E_API", false],
  ])("%i %s", (status, text, cls, code, retryable) => {
    const e = mapHttpError(status, text, undefined, ctx);
    expect(e).toBeInstanceOf(cls);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.httpStatus).toBe(status);
    expect(e.vmid).toBe(100);
    expect(e.path).toBe(ctx.path);
  });

  test("a 500 on a read is transient", () => {
    expect(mapHttpError(500, "oops", undefined, { method: "GET", path: "/x" }).retryable).toBe(
      true,
    );
  });

  test("400 carries PVE's errors map", () => {
    const e = mapHttpError(
      400,
      "Parameter verification failed.",
      { errors: { snapname: "invalid format\n" } },
      ctx,
    );
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).errors).toEqual({ snapname: "invalid format" });
    expect(e.message).toContain("snapname: invalid format");
  });

  test("the lock name is kept", () => {
    expect(
      (mapHttpError(500, "VM is locked (snapshot-delete)", undefined, ctx) as Locked).lock,
    ).toBe("snapshot-delete");
  });
});

describe("task exit statuses", () => {
  test.each([
    ["OK", true],
    ["WARNINGS: 3", true],
    ["VM is locked (backup)", false],
    ["snapshot feature is not available", false],
  ])("%s success=%s", (s, ok) => expect(isTaskSuccess(s)).toBe(ok));
  test("lock and config-lock timeouts are recognised", () => {
    expect(mapTaskExit("VM is locked (backup)")).toEqual({ lock: "backup", transient: false });
    expect(mapTaskExit("can't lock file '/x' - got timeout")).toEqual({ transient: true });
  });
});

describe("retry presets", () => {
  const unknown = new TransportError("reset", true);
  const refused = new TransportError("refused", false);
  const locked = new Locked("locked", "backup");
  test.each([
    ["read", unknown, "retry"],
    ["effect", unknown, "unknown-outcome"],
    ["effect", refused, "retry"],
    ["effect", locked, "lock"],
    ["read", locked, "fatal"],
    ["none", unknown, "unknown-outcome"],
    ["effect", new NotFound("x"), "fatal"],
  ] as const)("%s: %s", (preset, err, kind) => {
    expect(classify(err, RETRY[preset])).toBe(kind);
  });
  test("backoff grows, is capped, and is jittered within [d/2, d]", () => {
    expect(backoffDelay(RETRY.effect, 0, () => 0)).toBe(150);
    expect(backoffDelay(RETRY.effect, 0, () => 1)).toBe(300);
    expect(backoffDelay(RETRY.effect, 3, () => 1)).toBe(2400);
    expect(backoffDelay(RETRY.effect, 20, () => 1)).toBe(RETRY.effect.maxDelayMs);
  });
});

test("parseUpid", () => {
  expect(parseUpid("UPID:pve1:0000C0DE:0001ABCD:6745A1B2:qmsnapshot:100:root@pam!txbox:")).toEqual({
    node: "pve1",
    pid: 0xc0de,
    pstart: 0x1abcd,
    starttime: 0x6745a1b2,
    type: "qmsnapshot",
    id: "100",
    user: "root@pam!txbox",
  });
  expect(parseUpid("nonsense")).toBeUndefined();
});

test("snapshotTree builds the forest from parent links", () => {
  const roots = snapshotTree([
    { name: "c", description: "", parent: "a", snaptime: 3 },
    { name: "a", description: "", snaptime: 1 },
    { name: "b", description: "", parent: "a", snaptime: 2 },
    { name: "d", description: "", parent: "b", snaptime: 4 },
    { name: "orphan", description: "", parent: "gone", snaptime: 5 },
  ]);
  const shape = (n: { name: string; children: unknown[] }): unknown => ({
    [n.name]: (n.children as { name: string; children: unknown[] }[]).map(shape),
  });
  expect(roots.map(shape)).toEqual([{ a: [{ b: [{ d: [] }] }, { c: [] }] }, { orphan: [] }]);
});
