import { describe, expect, test } from "@jest/globals";
import {
  checkParams,
  checkPropertyString,
  checkReturns,
  perlRegex,
} from "../../src/schema/validate.js";
import { formatUpid, parseUpid } from "../../src/api/tasks.js";
import { schema } from "./helpers.js";

const snapshotPost = schema.method("/nodes/{node}/qemu/{vmid}/snapshot", "POST")!.parameters;

describe("parameter checks (PVE's JSONSchema messages)", () => {
  test.each([
    [{ vmstate: "true" }, { vmstate: "type check ('boolean') failed - got 'true'" }],
    [{ vmid: "abc" }, { vmid: "type check ('integer') failed - got 'abc'" }],
    [{ vmid: "99" }, { vmid: "value must have a minimum value of 100" }],
    [{ snapname: "a".repeat(41) }, { snapname: "value may only be 40 characters long" }],
    [{ snapname: "9x" }, { snapname: "invalid format - invalid configuration ID '9x'\n" }],
    [{ node: "-x" }, { node: "invalid format - value does not look like a valid node name\n" }],
    [
      { extra: "1" },
      {
        extra:
          "property is not defined in schema and the schema does not allow additional properties",
      },
    ],
  ])("%j → %j", (bad, errors) => {
    const base = { node: "pve1", vmid: "101", snapname: "ok1" };
    expect(checkParams(snapshotPost, { ...base, ...bad }).errors).toEqual(errors);
  });

  test("missing required parameters and typed values", () => {
    expect(checkParams(snapshotPost, { node: "pve1", vmid: "101" }).errors).toEqual({
      snapname: "property is missing and it is not optional",
    });
    expect(
      checkParams(snapshotPost, { node: "pve1", vmid: "101", snapname: "s1", vmstate: "1" }),
    ).toEqual({
      errors: {},
      values: { node: "pve1", vmid: 101, snapname: "s1", vmstate: 1 },
    });
  });

  test("enumerated keys (net0 → net[n]) and property strings", () => {
    const put = schema.method("/nodes/{node}/qemu/{vmid}/config", "PUT")!.parameters;
    expect(
      checkParams(put, { node: "pve1", vmid: "101", net0: "virtio,bridge=vmbr0,firewall=1" })
        .errors,
    ).toEqual({});
    expect(
      checkParams(put, { node: "pve1", vmid: "101", net0: "virtio,colour=red" }).errors,
    ).toEqual({
      net0: "invalid format - format error\ncolour: property is not defined in schema and the schema does not allow additional properties\n",
    });
    const fmt = {
      model: { type: "string", default_key: 1, enum: ["virtio"] },
      mtu: { type: "integer", optional: 1 },
    };
    expect(checkPropertyString(fmt, "virtio,mtu=x")).toBe(
      "mtu: type check ('integer') failed - got 'x'",
    );
  });

  test("Perl patterns with (?^i:…) become case-insensitive RegExps", () => {
    expect(perlRegex("(?^i:[a-z]+)").test("ABC")).toBe(true);
    expect(perlRegex("[a-z]+").test("abc1")).toBe(false);
  });
});

describe("returns checks", () => {
  const status = schema.method("/nodes/{node}/tasks/{upid}/status", "GET")!.returns;
  test("a complete body passes; missing, mistyped and out-of-enum fields are named", () => {
    const ok = {
      upid: "u",
      node: "pve1",
      pid: 1,
      pstart: 2,
      starttime: 3,
      type: "qmstart",
      id: "101",
      user: "root@pam",
      status: "running",
    };
    expect(checkReturns(status, ok)).toEqual([]);
    expect(checkReturns(status, { ...ok, pid: "1", status: "done", node: undefined })).toEqual([
      "data.node: missing",
      'data.pid: expected integer, got "1"',
      "data.status: 'done' not in enum",
    ]);
    expect(checkReturns({ type: "boolean" }, true)).toEqual(["data: expected 0|1, got true"]);
  });
});

describe("UPIDs", () => {
  test("format and parse round-trip, as PVE writes them", () => {
    const upid = formatUpid({
      node: "pve1",
      pid: 0x1a2b,
      pstart: 0x100,
      starttime: 0x6745a3b2,
      type: "qmsnapshot",
      id: "101",
      user: "root@pam!txbox",
    });
    expect(upid).toBe("UPID:pve1:00001A2B:00000100:6745A3B2:qmsnapshot:101:root@pam!txbox:");
    expect(parseUpid(upid)).toEqual({
      node: "pve1",
      pid: 0x1a2b,
      pstart: 0x100,
      starttime: 0x6745a3b2,
      type: "qmsnapshot",
      id: "101",
      user: "root@pam!txbox",
    });
    expect(parseUpid("UPID:pve1:1:2:3:x::root@pam:")).toBeUndefined();
    expect(parseUpid(upid.slice(0, -1))).toBeUndefined();
  });
});
