import { execFileSync } from "node:child_process";
import {
  formatVerify,
  judge,
  parseNetSpec,
  parseProbeOutput,
  planProbes,
  probeScript,
  type Probe,
} from "../src/index.js";

const spec = (blueFirewall: string) =>
  parseNetSpec(
    `version: 1
name: lab
zones: [{ id: zz, type: vxlan, peers: [10.250.0.11] }]
vnets:
  - { id: red, zone: zz, tag: 1, subnets: [{ cidr: 10.1.0.0/24, gateway: 10.1.0.1 }], firewall: { egress: [{ dest: 10.3.0.7, proto: tcp, dport: 8080 }] } }
  - { id: blue, zone: zz, tag: 2, subnets: [{ cidr: 10.2.0.0/24, gateway: 10.2.0.1 }], firewall: ${blueFirewall} }
  - { id: green, zone: zz, tag: 3, subnets: [{ cidr: 10.3.0.0/24, gateway: 10.3.0.1 }] }
guests:
  - { name: r1, vmid: 301, template: 9000, node: pve1, vnet: red, ip: 10.1.0.11/24, ssh: { publicKey: "ssh-ed25519 AAAA k" } }
  - { name: r2, vmid: 302, template: 9000, node: pve2, vnet: red, ip: 10.1.0.12/24, ssh: { publicKey: "ssh-ed25519 AAAA k" } }
  - { name: b1, vmid: 303, template: 9000, node: pve1, vnet: blue, ip: 10.2.0.11/24, ssh: { publicKey: "ssh-ed25519 AAAA k" } }
  - { name: g1, vmid: 304, template: 9000, node: pve2, vnet: green, ip: 10.3.0.7/24, ssh: { publicKey: "ssh-ed25519 AAAA k" } }
`,
    "lab.yaml",
  );

const expectations = (probes: Probe[], from: string) =>
  probes
    .filter((p) => p.from === from)
    .map((p) => `${p.to} ${p.kind}${p.port ? `/${p.port}` : ""} ${p.expect}`);

test("each guest: its vnet reached, other vnets only where allowed, egress ports, management blocked", () => {
  const probes = planProbes(spec("{ allowFrom: [red] }"));
  expect(expectations(probes, "r1")).toEqual([
    "r2 icmp reach",
    "r2 tcp/22 reach",
    "b1 icmp reach",
    "b1 tcp/22 reach",
    "g1 icmp blocked",
    "g1 tcp/22 blocked",
    "g1 tcp/8080 reach",
    "management icmp blocked",
    "management tcp/22 blocked",
    "management tcp/8006 blocked",
  ]);
  expect(expectations(probes, "b1").slice(0, 4)).toEqual([
    "r1 icmp blocked",
    "r1 tcp/22 blocked",
    "r2 icmp blocked",
    "r2 tcp/22 blocked",
  ]);
  // Without the allowFrom, red no longer reaches blue.
  const closed = planProbes(spec("{}"));
  expect(expectations(closed, "r1").slice(2, 4)).toEqual(["b1 icmp blocked", "b1 tcp/22 blocked"]);
  expect(new Set(probes.map((p) => `${p.from}/${p.id}`)).size).toBe(probes.length);
});

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot("the probe script classifies real answers: echo and RST reach, no route is blocked", () => {
  const probes: Probe[] = [
    { id: "p1", from: "x", to: "lo", address: "127.0.0.1", kind: "icmp", expect: "reach", why: "" },
    {
      id: "p2",
      from: "x",
      to: "lo",
      address: "127.0.0.1",
      kind: "tcp",
      port: 9,
      expect: "reach",
      why: "",
    },
    {
      id: "p3",
      from: "x",
      to: "far",
      address: "10.255.1.1",
      kind: "tcp",
      port: 22,
      expect: "blocked",
      why: "",
    },
    {
      id: "p4",
      from: "x",
      to: "far",
      address: "10.255.1.1",
      kind: "icmp",
      expect: "blocked",
      why: "",
    },
    {
      id: "p5",
      from: "x",
      to: "management",
      address: "$MGMT",
      kind: "tcp",
      port: 22,
      expect: "blocked",
      why: "",
    },
  ];
  // A network namespace of its own: only loopback, no route anywhere.
  const out = execFileSync("unshare", ["-n", "sh", "-c", "ip link set lo up && bash -s"], {
    input: probeScript(probes),
    env: { ...process.env, SSH_CLIENT: "10.255.2.2 50000 22" },
    timeout: 30_000,
  }).toString();
  const results = parseProbeOutput(out);
  expect(Object.fromEntries(results)).toEqual({
    p1: "reach",
    p2: "reach",
    p3: "blocked",
    p4: "blocked",
    p5: "blocked",
  });
  const report = judge("t", probes, new Map([["x", results]]), []);
  expect(report.ok).toBe(true);
});

test("a wrong outcome, a missing result or an unreachable guest fails, and the matrix says where", () => {
  const probes = planProbes(spec("{}")).filter((p) => p.from === "r1" || p.from === "b1");
  const r1 = new Map(probes.filter((p) => p.from === "r1").map((p) => [p.id, p.expect as string]));
  const wrong = probes.find((p) => p.from === "r1" && p.to === "b1" && p.kind === "icmp")!;
  r1.set(wrong.id, "reach");
  const report = judge("lab", probes, new Map([["r1", r1]]), [
    { guest: "b1", error: "connect timed out" },
  ]);
  expect(report.ok).toBe(false);
  const text = formatVerify(report);
  expect(text).toContain("+icmp!");
  expect(text).toContain("! b1: probes did not run: connect timed out");
  expect(text).toContain(
    "! r1 -> b1 icmp (10.2.0.11): expected blocked, got reach (blue isolates red)",
  );
  expect(text).toMatch(/Verification of "lab" FAILED: \d+ of \d+ probes not as the spec says\./);
  const good = judge(
    "lab",
    probes.filter((p) => p.from === "r1" && p.id !== wrong.id),
    new Map([["r1", r1]]),
    [],
  );
  expect(good.ok).toBe(true);
  expect(formatVerify(good)).toMatch(/Verified "lab": \d+ probes, all as the spec says\./);
});
