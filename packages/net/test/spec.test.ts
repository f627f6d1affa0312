import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadNetSpec, netSpecJsonSchema, parseNetSpec, SpecError } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");

const base = `version: 1
name: t1
zones:
  - id: labz
    type: vxlan
    peers: [10.250.0.1]
vnets:
  - id: agents
    zone: labz
    tag: 100
    subnets:
      - cidr: 10.10.0.0/24
        gateway: 10.10.0.1
`;

function specError(text: string): SpecError {
  try {
    parseNetSpec(text, "lab.yaml");
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error("expected a SpecError");
}

describe("example specs in infra/", () => {
  test.each(["lab-single-node.yaml", "lab-evpn-3node.yaml"])("%s validates", (file) => {
    const spec = loadNetSpec(resolve(repo, "infra", file));
    expect(spec.version).toBe(1);
    expect(spec.guests.length).toBeGreaterThanOrEqual(2);
    // Key files are resolved against the spec's directory.
    for (const g of spec.guests)
      expect(g.ssh.publicKeyFile).toBe(resolve(repo, ".txbox/keys/agent.pub"));
  });

  test("the evpn example has a controller, two evpn zones and a vnet per tenant", () => {
    const spec = loadNetSpec(resolve(repo, "infra/lab-evpn-3node.yaml"));
    expect(spec.controller?.peers).toHaveLength(3);
    expect(spec.zones.map((z) => [z.id, z.type])).toEqual([
      ["tenanta", "evpn"],
      ["tenantb", "evpn"],
    ]);
    expect(spec.vnets.map((v) => v.zone)).toEqual(["tenanta", "tenantb"]);
    expect(new Set(spec.guests.map((g) => g.node))).toEqual(new Set(["pve1", "pve2", "pve3"]));
  });
});

describe("spec errors name file, line and field", () => {
  test("a gateway outside its subnet", () => {
    const err = specError(base.replace("gateway: 10.10.0.1", "gateway: 10.9.0.1"));
    expect(err.code).toBe("E_NET_SPEC");
    expect(err.message).toBe(
      "lab.yaml:13:18: vnets[0].subnets[0].gateway: 10.9.0.1 is not in subnet 10.10.0.0/24",
    );
    expect(err.details).toMatchObject({
      file: "lab.yaml",
      issues: [{ line: 13, key: "vnets[0].subnets[0].gateway" }],
    });
  });

  test("a vnet in an undeclared zone", () => {
    expect(specError(base.replace("zone: labz", "zone: other")).message).toBe(
      "lab.yaml:9:11: vnets[0].zone: zone other is not declared (zones: labz)",
    );
  });

  test("a duplicate VNI, including a zone's VRF VNI", () => {
    const text = `${base}  - id: more
    zone: labz
    tag: 100
`;
    expect(specError(text).message).toBe(
      "lab.yaml:16:10: vnets[1].tag: duplicate VNI 100 (first at vnets[0].tag)",
    );
  });

  test("an id PVE would reject (schema error, with line)", () => {
    const err = specError(base.replace("id: agents", "id: agents-long-name"));
    expect(err.code).toBe("E_NET_SPEC");
    expect(err.message).toMatch(
      /^lab\.yaml:8:9: vnets\[0\]\.id: must be 2-8 characters \(got "agents-long-name"\)/m,
    );
    expect(specError(base.replace("id: agents", "id: 9agents")).message).toMatch(
      /^lab\.yaml:8:9: vnets\[0\]\.id: must match \[a-zA-Z\]/m,
    );
  });

  test("an evpn zone without a controller, a guest outside its vnet", () => {
    const text =
      base.replace("type: vxlan\n    peers: [10.250.0.1]", "type: evpn\n    vrfVxlan: 5000") +
      `guests:
  - { name: g1, vmid: 200, template: 9000, node: pve1, vnet: agents, ip: 10.11.0.5/24, ssh: { publicKey: "ssh-ed25519 AAAA" } }
`;
    expect(specError(text).message.split("\n")).toEqual([
      "lab.yaml:5:11: zones[0].type: evpn zone labz needs a controller",
      "lab.yaml:15:74: guests[0].ip: 10.11.0.5/24 is not in any subnet of vnet agents (10.10.0.0/24)",
    ]);
  });

  test("a missing file", () => {
    expect(() => loadNetSpec("/nonexistent/spec.yaml")).toThrow(SpecError);
  });
});

test("the published JSON Schema is the one the zod schema generates", () => {
  const file = resolve(here, "../schema/net-spec.schema.json");
  // Regenerate with `pnpm --filter @txbox/net schema`.
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(netSpecJsonSchema());
});
