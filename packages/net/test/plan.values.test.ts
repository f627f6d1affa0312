// How the planner compares the values PVE returns with the spec's: PVE's pending values are
// untyped JSON (null, "", booleans), lists are written with any separator, and two different
// lists must never compare equal.
import { parseNetSpec, plan } from "../src/index.js";
import { matching, spec, specText } from "./support/plan-fixture.js";

const line = (p: ReturnType<typeof plan>) => p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`);

/** The fixture's cluster with a pending change of the zone's (or subnet's) fields. */
function pendingZone(values: Record<string, unknown>) {
  const obs = matching();
  obs.zones[0]!.state = "changed";
  obs.zones[0]!.pending = values;
  return obs;
}

test("a field pending as null or as an empty string is absent, as the spec has it", () => {
  // exitnodes and nodes are lists, advertise-subnets a flag: all three absent from the spec.
  for (const empty of [null, ""]) {
    const obs = pendingZone({ exitnodes: empty, nodes: empty, "advertise-subnets": empty });
    expect([empty, line(plan(spec, obs))]).toEqual([empty, ["apply sdn cluster"]]);
  }
  const subnet = matching();
  subnet.subnets[0]!.state = "changed";
  subnet.subnets[0]!.pending = { snat: null };
  expect(line(plan(spec, subnet))).toEqual(["apply sdn cluster"]);
});

test("a flag pending as false is 0, as an absent flag is", () => {
  const obs = pendingZone({ "advertise-subnets": false });
  expect(line(plan(spec, obs))).toEqual(["apply sdn cluster"]);
  const set = pendingZone({ "advertise-subnets": true });
  expect(plan(spec, set).actions[0]!.changes).toStrictEqual([
    { field: "advertise-subnets", before: true, after: undefined },
  ]);
});

test("a list's stray separators hold no item", () => {
  for (const peers of [
    "10.250.0.11,10.250.0.12,",
    " 10.250.0.12 ; 10.250.0.11",
    ",10.250.0.11,,10.250.0.12",
  ]) {
    const obs = matching();
    obs.controllers[0]!.peers = peers;
    expect([peers, plan(spec, obs).actions]).toEqual([peers, []]);
  }
});

test("lists whose items would run together compare item by item", () => {
  // Glued without a separator, both lists would read "10.250.0.1110.250.0.12".
  const obs = matching();
  obs.controllers[0]!.peers = "10.250.0.1,110.250.0.12";
  const p = plan(spec, obs);
  expect(line(p)).toEqual(["change controller evpnctl", "apply sdn cluster"]);
  expect(p.actions[0]!.changes).toStrictEqual([
    { field: "peers", before: "10.250.0.1,110.250.0.12", after: "10.250.0.11,10.250.0.12" },
  ]);
});

test("a zone's node lists compare as sets, as the controller's peers do", () => {
  const nodes = parseNetSpec(
    specText.replace("mtu: 1450 }", "mtu: 1450, exitNodes: [pve1, pve2], nodes: [pve1, pve2] }"),
    "lab.yaml",
  );
  const obs = matching();
  obs.zones[0]!.exitnodes = "pve2,pve1";
  obs.zones[0]!.nodes = "pve2 pve1";
  expect(plan(nodes, obs).actions).toEqual([]);
  obs.zones[0]!.nodes = "pve2";
  expect(plan(nodes, obs).actions[0]!.changes).toStrictEqual([
    { field: "nodes", before: "pve2", after: "pve1,pve2" },
  ]);
});
