// The planner's guests: when a guest is created, moved, adopted, changed, started or refused, and
// what each step carries (the clone request, the config, the keys, the guest firewall).
import { parseNetSpec, plan, type Observed, type ObservedGuest } from "../src/index.js";
import { empty, matching, spec, specText } from "./support/plan-fixture.js";

const line = (p: ReturnType<typeof plan>) => p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`);
const guestOf = (o: Observed) => o.guests.find((g) => g.vmid === 301)!;

test("a new guest: the clone request, its config and keys, then a start that is not a change", () => {
  const p = plan(spec, structuredClone(empty));
  const create = p.actions.find((a) => a.kind === "guest" && a.op === "create")!;
  expect(create.step).toStrictEqual({
    type: "guest-create",
    clone: {
      node: "pve1",
      vmid: 301,
      type: "lxc",
      template: 9000,
      templateNode: "pve1",
      name: "a1",
      linked: true,
    },
    config: {
      hostname: "a1",
      cores: 1,
      memory: 512,
      description: "txbox:lab policy=default",
      tags: "txbox-lab",
      net0: "name=eth0,bridge=agentsa,ip=10.11.0.11/24,gw=10.11.0.1,firewall=1",
    },
    ssh: { user: "root", publicKey: "ssh-ed25519 AAAA k" },
  });
  expect(create.changes.slice(0, 3)).toStrictEqual([
    { field: "template", before: undefined, after: 9000 },
    { field: "linked", before: undefined, after: 1 },
    { field: "hostname", before: undefined, after: "a1" },
  ]);
  const start = p.actions.find((a) => a.op === "start")!;
  expect(start.changes).toEqual([]);
  expect(start.step).toStrictEqual({
    type: "guest-start",
    guest: { node: "pve1", vmid: 301, type: "lxc" },
    sshUser: "root",
  });
  expect(p.summary).toEqual({ create: 6, change: 0, delete: 0 });
});

test("a full clone names its storage; a key file is passed as a file", () => {
  const full = parseNetSpec(
    specText.replace(
      'ssh: { publicKey: "ssh-ed25519 AAAA k" }',
      "ssh: { user: agent, publicKeyFile: keys/a.pub }, storage: fast",
    ),
    "lab.yaml",
  );
  const create = plan(full, structuredClone(empty)).actions.find(
    (a) => a.op === "create" && a.kind === "guest",
  )!;
  const step = create.step as Extract<typeof create.step, { type: "guest-create" }>;
  expect(step.clone).toMatchObject({ linked: false, storage: "fast" });
  // The spec resolves the file against its own directory; no inline key appears.
  expect(step.ssh).toStrictEqual({
    user: "agent",
    publicKeyFile: expect.stringMatching(/\/keys\/a\.pub$/),
  });
  expect(create.changes.slice(0, 3)).toStrictEqual([
    { field: "template", before: undefined, after: 9000 },
    { field: "linked", before: undefined, after: 0 },
    { field: "storage", before: undefined, after: "fast" },
  ]);
});

test("a cross-node clone onto shared storage says why it is a full clone", () => {
  const onPve2 = parseNetSpec(
    specText.replace("node: pve1", "node: pve2, storage: shared1"),
    "lab.yaml",
  );
  const obs = structuredClone(empty);
  obs.guests[0]!.config = { rootfs: "local:9000/base.raw" };
  obs.storages = [
    { storage: "local", shared: false },
    { storage: "shared1", shared: true },
  ];
  const p = plan(onPve2, obs);
  expect(p.conflicts).toEqual([]);
  const create = p.actions.find((a) => a.op === "create" && a.kind === "guest")!;
  expect(create.changes.find((c) => c.field === "note")?.after).toMatch(
    /^full clone onto shared storage 'shared1'/,
  );
  expect(create.step).toMatchObject({ clone: { node: "pve2", templateNode: "pve1" } });
});

test("from local storage to another node: a full clone on the template's node, then a migration", () => {
  const onPve2 = parseNetSpec(specText.replace("node: pve1", "node: pve2"), "lab.yaml");
  const obs = structuredClone(empty);
  obs.guests[0]!.config = { rootfs: "local:9000/base.raw" };
  obs.storages = [{ storage: "local", shared: false }];
  const p = plan(onPve2, obs);
  expect(p.conflicts).toEqual([]);
  const create = p.actions.find((a) => a.op === "create" && a.kind === "guest")!;
  expect(create.changes.find((c) => c.field === "note")?.after).toBe(
    "clone on pve1, migrate to pve2: template 9000 (node pve1) uses local storage local",
  );
  expect(create.step).toMatchObject({
    clone: { node: "pve2", templateNode: "pve1", linked: false, migrate: true },
  });
});

test("a clone PVE would refuse is a conflict, and nothing is planned for that guest", () => {
  const onPve2 = parseNetSpec(specText.replace("node: pve1", "node: pve2"), "lab.yaml");
  const obs = structuredClone(empty);
  obs.guests[0]!.config = { rootfs: "local:9000/base.raw" };
  // local storage that exists on the template's node only: no way for the disk to reach pve2
  obs.storages = [{ storage: "local", shared: false, nodes: ["pve1"] }];
  const p = plan(onPve2, obs);
  expect(p.conflicts).toEqual([
    expect.stringMatching(
      /^guest a1: PVE cannot clone template 9000 .* nor clone on pve1 and migrate: storage 'local' is not available on both nodes/,
    ),
  ]);
  expect(p.actions.filter((a) => a.kind === "guest")).toEqual([]);
});

test("a template that is not a template, or of the other type, is a conflict", () => {
  const notTemplate = structuredClone(empty);
  notTemplate.guests[0]!.template = false;
  expect(plan(spec, notTemplate).conflicts).toEqual([
    "guest a1: template 9000 is not a lxc template",
  ]);
  const qemu = structuredClone(empty);
  qemu.guests[0]!.type = "qemu";
  expect(plan(spec, qemu).conflicts).toEqual(["guest a1: template 9000 is not a lxc template"]);
  expect(line(plan(spec, qemu))).not.toContain("create guest a1 (301@pve1)");
});

test("a guest of ours on another node or of another type is deleted and cloned again", () => {
  for (const [field, value, before] of [
    ["node", "pve2", "pve2/lxc"],
    ["type", "qemu", "pve1/qemu"],
  ] as const) {
    const obs = matching();
    (guestOf(obs) as unknown as Record<string, unknown>)[field] = value;
    const p = plan(spec, obs);
    expect(p.conflicts).toEqual([]);
    const del = p.actions[0]!;
    expect(del).toMatchObject({ op: "delete", kind: "guest" });
    expect(del.changes).toStrictEqual([{ field: "node/type", before, after: "pve1/lxc" }]);
    expect(del.step).toStrictEqual({
      type: "guest-delete",
      guest: { node: guestOf(obs).node, vmid: 301, type: guestOf(obs).type },
    });
    expect(line(p).slice(1)).toEqual(["create guest a1 (301@pve1)", "start guest a1 (301@pve1)"]);
    expect(p.summary).toEqual({ create: 1, change: 0, delete: 1 });
  }
});

test("a guest at the spec's vmid that is not ours is a conflict, even with the spec's name if it is a template", () => {
  const obs = matching();
  guestOf(obs).tags = [];
  guestOf(obs).template = true;
  expect(plan(spec, obs).conflicts).toEqual([
    'guest 301 exists as "a1" and is not managed by txbox spec "lab"',
  ]);
});

test("an untagged guest with the spec's name is adopted: tagged, and its keys set again", () => {
  const obs = matching();
  guestOf(obs).tags = ["other"];
  const p = plan(spec, obs);
  expect(p.conflicts).toEqual([]);
  expect(p.actions).toHaveLength(1);
  expect(p.actions[0]!.changes).toStrictEqual([
    { field: "tags", before: "other", after: "other;txbox-lab" },
  ]);
  expect(p.actions[0]!.step).toStrictEqual({
    type: "guest-update",
    guest: { node: "pve1", vmid: 301, type: "lxc" },
    config: { tags: "other;txbox-lab" },
    ssh: { user: "root", publicKey: "ssh-ed25519 AAAA k" },
  });
  // Several tags: shown and written as PVE keeps them, `;`-separated, the spec's added last.
  const several = matching();
  guestOf(several).tags = ["other", "ops"];
  expect(plan(spec, several).actions[0]!.changes).toStrictEqual([
    { field: "tags", before: "other;ops", after: "other;ops;txbox-lab" },
  ]);
  const bare = matching();
  guestOf(bare).tags = [];
  expect(plan(spec, bare).actions[0]!.changes).toStrictEqual([
    { field: "tags", before: undefined, after: "txbox-lab" },
  ]);
  // A tagged guest whose config differs gets the config only, not its keys again.
  const tagged = matching();
  guestOf(tagged).config.memory = 256;
  expect(plan(spec, tagged).actions[0]!.step).toStrictEqual({
    type: "guest-update",
    guest: { node: "pve1", vmid: 301, type: "lxc" },
    config: { memory: 512 },
  });
});

test("a NIC is compared on the keys txbox sets; a missing one is added as desired", () => {
  const extra = matching();
  guestOf(extra).config.net0 += ",rate=10,mtu=1400";
  expect(plan(spec, extra).actions).toEqual([]);
  const none = matching();
  delete guestOf(none).config.net0;
  expect(plan(spec, none).actions[0]!.step).toMatchObject({
    config: { net0: "name=eth0,bridge=agentsa,ip=10.11.0.11/24,gw=10.11.0.1,firewall=1" },
  });
  // The first key of an LXC NIC is its name, not a model: another name is a change.
  const renamed = matching();
  guestOf(renamed).config.net0 =
    "name=eth1,bridge=agentsa,firewall=1,gw=10.11.0.1,hwaddr=BC:24:11:AA:BB:CC,ip=10.11.0.11/24,type=veth";
  expect(plan(spec, renamed).actions[0]!.step).toMatchObject({
    config: {
      net0: "name=eth0,bridge=agentsa,ip=10.11.0.11/24,gw=10.11.0.1,firewall=1,hwaddr=BC:24:11:AA:BB:CC",
    },
  });
  const noMac = matching();
  guestOf(noMac).config.net0 = "name=eth0,bridge=old,ip=10.11.0.11/24";
  expect(plan(spec, noMac).actions[0]!.step).toMatchObject({
    config: { net0: "name=eth0,bridge=agentsa,ip=10.11.0.11/24,gw=10.11.0.1,firewall=1" },
  });
});

const qemuSpec = parseNetSpec(specText.replace("vmid: 301,", "vmid: 301, type: qemu,"), "lab.yaml");
function qemuGuest(net0: string): Observed {
  const obs = matching();
  const g: ObservedGuest = {
    ...guestOf(obs),
    type: "qemu",
    config: {
      name: "a1",
      cores: 1,
      memory: 512,
      description: "txbox:lab policy=default",
      tags: "txbox-lab",
      ciuser: "root",
      ipconfig0: "ip=10.11.0.11/24,gw=10.11.0.1",
      net0,
    },
  };
  obs.guests = [g, { ...obs.guests[1]!, type: "qemu" }];
  return obs;
}

test("a qemu NIC keeps its MAC, which PVE writes into the model token", () => {
  expect(
    plan(qemuSpec, qemuGuest("virtio=BC:24:11:00:00:01,bridge=agentsa,firewall=1")).actions,
  ).toEqual([]);
  const moved = plan(qemuSpec, qemuGuest("virtio=BC:24:11:00:00:01,bridge=old,firewall=1"));
  expect(moved.actions[0]!.step).toMatchObject({
    config: { net0: "virtio=BC:24:11:00:00:01,bridge=agentsa,firewall=1" },
  });
  // Another model: the NIC is replaced as desired (no MAC of that model to keep).
  const e1000 = plan(qemuSpec, qemuGuest("e1000=BC:24:11:00:00:01,bridge=agentsa,firewall=1"));
  expect(e1000.actions[0]!.step).toMatchObject({
    config: { net0: "virtio,bridge=agentsa,firewall=1" },
  });
});

test("a stopped guest is started, a running one is not", () => {
  const obs = matching();
  guestOf(obs).status = "stopped";
  const p = plan(spec, obs);
  expect(line(p)).toEqual(["start guest a1 (301@pve1)"]);
  expect(p.summary).toEqual({ create: 0, change: 1, delete: 0 });
});

const managed = parseNetSpec(
  specText
    .replace(
      "guests:",
      "management: { bridge: vmbr9, cidr: 10.250.9.0/24, orchestrator: 10.250.9.1 }\nguests:",
    )
    .replace("ip: 10.11.0.11/24,", "ip: 10.11.0.11/24, management: { ip: 10.250.9.11/24 },"),
  "lab.yaml",
);

test("a guest with a management NIC gets its own firewall: created with it, changed later", () => {
  const fresh = plan(managed, structuredClone(empty));
  const fw = fresh.actions.find((a) => a.kind === "guest-firewall")!;
  expect(fw.op).toBe("create");
  expect(fw.step).toMatchObject({
    type: "guest-firewall",
    guest: { node: "pve1", vmid: 301, type: "lxc" },
    marker: "txbox:lab",
  });
  expect(line(fresh).slice(-3)).toEqual([
    "create guest a1 (301@pve1)",
    "create guest-firewall a1 (301@pve1)",
    "start guest a1 (301@pve1)",
  ]);
  // A fresh clone has no firewall yet, whatever a former guest of that vmid left behind.
  const stale = structuredClone(empty);
  const state = (fw.step as { state: Observed["guestFirewalls"][string] }).state;
  stale.guestFirewalls["301"] = structuredClone(state);
  expect(plan(managed, stale).actions.find((a) => a.kind === "guest-firewall")?.op).toBe("create");
  // An existing guest without it: a change of that guest.
  const existing = matching();
  guestOf(existing).config.net1 = "name=eth1,bridge=vmbr9,ip=10.250.9.11/24,firewall=1";
  const later = plan(managed, existing);
  expect(line(later)).toEqual(["change guest-firewall a1 (301@pve1)"]);
  existing.guestFirewalls["301"] = structuredClone(state);
  expect(plan(managed, existing).actions).toEqual([]);
});
