import { isDeepStrictEqual } from "node:util";
import { schemaCheck } from "./privilege-coverage.js";
import { loadApiSchema } from "@txbox/testbed";
import {
  PVE_CALLS,
  concreteNeeds,
  missingPrivileges,
  type PrivilegeNeed,
} from "../src/privileges.js";

const schema = loadApiSchema();

/** The needs a schema `check` states: `perm` leaves, all of an `and`, the first of an `or`. */
function fromCheck(c: unknown[]): PrivilegeNeed[] {
  const [test, ...rest] = c;
  if (test === "perm") {
    const [path, privs, ...flat] = rest as [string, string[], ...unknown[]];
    return [{ path, privs, ...(flat.includes("any") ? { any: true } : {}), source: "schema" }];
  }
  if (test === "and") return rest.flatMap((s) => fromCheck(s as unknown[]));
  if (test === "or") {
    for (const s of rest) {
      const f = fromCheck(s as unknown[]);
      if (f.length > 0) return f;
    }
    return [];
  }
  if (test === "userid-group")
    return [{ path: "/access/groups", privs: rest[0] as string[], any: true, source: "schema" }];
  return [];
}

test("every listed call exists in the PVE API schema, once", () => {
  const calls = PVE_CALLS.map((c) => c.call);
  expect(new Set(calls).size).toBe(calls.length);
  const unknown = calls.filter((c) => {
    const [method, path] = c.split(" ") as [string, string];
    return schema.method(path, method) === undefined;
  });
  expect(unknown).toEqual([]);
});

test("the schema-sourced needs of every call are exactly the schema's permission check", () => {
  const wrong: string[] = [];
  for (const c of PVE_CALLS) {
    const [method, path] = c.call.split(" ") as [string, string];
    const perm = schema.method(path, method)?.permissions;
    const want = perm?.check === undefined ? [] : fromCheck(perm.check);
    const have = c.needs.filter((n) => n.source === "schema");
    if (!isDeepStrictEqual(have, want))
      wrong.push(`${c.call}: ${JSON.stringify(have)} ≠ schema ${JSON.stringify(want)}`);
    // a call the schema leaves to every user may only carry described or handler needs
    if (perm?.user === "all" && have.length > 0) wrong.push(`${c.call}: schema says user all`);
  }
  expect(wrong).toEqual([]);
});

test("concrete needs: guests and nodes filled in, unknown ids cut to a propagating parent", () => {
  const needs = concreteNeeds({
    guests: [
      { vmid: 101, node: "pve1", type: "qemu" },
      { vmid: 201, node: "pve2", type: "lxc" },
    ],
    nodes: ["pve1", "pve2"],
    features: ["tx", "net"],
  });
  const find = (path: string, priv: string) =>
    needs.find((n) => n.path === path && n.privs.includes(priv));
  expect(find("/vms/101", "VM.Snapshot")).toMatchObject({ feature: "tx", propagate: false });
  expect(find("/vms/201", "VM.Snapshot")).toMatchObject({ feature: "tx" });
  expect(find("/vms", "VM.Allocate")).toMatchObject({ feature: "net", propagate: true });
  expect(find("/storage", "Datastore.AllocateSpace")).toMatchObject({ propagate: true });
  expect(find("/nodes/pve2", "Sys.Modify")).toMatchObject({ feature: "net" });
  // the qemu-only list of config privileges is not asked of the container
  const cfg = needs.filter((n) => n.privs.includes("VM.Config.Cloudinit")).map((n) => n.path);
  expect(cfg).toEqual(["/vms/101"]);
  expect(needs.some((n) => n.path.includes("{"))).toBe(false);
});

test("missing privileges: all, any, and propagation", () => {
  const [snap] = concreteNeeds({ guests: [{ vmid: 101, node: "n" }], nodes: [] }).filter(
    (n) => n.path === "/vms/101" && n.privs.join() === "VM.Snapshot",
  );
  expect(missingPrivileges(snap!, { "VM.Audit": 1 })).toEqual(["VM.Snapshot"]);
  expect(missingPrivileges(snap!, { "VM.Snapshot": 0 })).toEqual([]);
  const alloc = concreteNeeds({ guests: [], nodes: [] }).find(
    (n) => n.path === "/vms" && n.privs.includes("VM.Allocate"),
  )!;
  // granted on /vms without propagation: a new /vms/<id> does not get it
  expect(missingPrivileges(alloc, { "VM.Allocate": 0 })).toEqual(["VM.Allocate"]);
  expect(missingPrivileges(alloc, { "VM.Allocate": 1 })).toEqual([]);
  const rollback = concreteNeeds({ guests: [{ vmid: 7, node: "n" }], nodes: [] }).find(
    (n) => n.path === "/vms/7" && n.any && n.privs.includes("VM.Snapshot.Rollback"),
  )!;
  expect(missingPrivileges(rollback, { "VM.Snapshot": 1 })).toEqual([]);
  expect(missingPrivileges(rollback, {})).toEqual(["VM.Snapshot", "VM.Snapshot.Rollback"]);
});

test("the schema check names a call, a parameter or a value the API schema does not have", () => {
  const { violations } = schemaCheck([
    { method: "POST", path: "/api2/json/nodes/pve1/qemu/100/migrate", params: ["target"] },
    { method: "POST", path: "/api2/json/nodes/pve1/qemu/100/migrate", params: ["with-local-disk"] },
    { method: "PUT", path: "/api2/json/nodes/pve1/lxc/100/config", params: ["net0", "mp1"] },
    { method: "PATCH", path: "/api2/json/nodes/pve1/qemu/100/config", params: [] },
    {
      method: "POST",
      path: "/api2/json/nodes/pve1/lxc/100/snapshot",
      params: ["snapname", "vmstate"],
      paramErrors: { vmstate: "property is not defined in schema" },
    },
  ]);
  expect(violations).toEqual([
    "PATCH /nodes/{node}/qemu/{vmid}/config: not in the API schema",
    `POST /nodes/{node}/lxc/{vmid}/snapshot: parameter 'vmstate' is not declared`,
    `POST /nodes/{node}/lxc/{vmid}/snapshot: {"vmstate":"property is not defined in schema"}`,
    "POST /nodes/{node}/qemu/{vmid}/migrate: parameter 'with-local-disk' is not declared",
  ]);
});
