import { z } from "zod";

/** PVE's SDN object id rule (zones, vnets, controllers): a letter, then letters/digits, 2–8 chars. */
export const SDN_ID = /^[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]$/;

const sdnId = z
  .string()
  .min(2, "must be 2-8 characters")
  .max(8, "must be 2-8 characters")
  .regex(
    SDN_ID,
    "must match [a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9] (letters and digits, starting with a letter)",
  );

const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "must be an IPv4 address like 10.0.0.1");
const cidr = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR like 10.0.0.0/24");
const nodeName = z
  .string()
  .regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/, "must be a cluster node name like pve1");
const vni = z.number().int().min(1).max(16777215);
const portSpec = z
  .union([z.number().int().min(1).max(65535), z.string().regex(/^\d+(:\d+)?(,\d+(:\d+)?)*$/)])
  .transform(String);

export const controllerSchema = z
  .object({
    id: sdnId.describe("Controller id (PVE `controller`)"),
    type: z.literal("evpn").default("evpn"),
    asn: z.number().int().min(1).max(4294967295).describe("BGP autonomous system number"),
    peers: z.array(ipv4).min(1).describe("Underlay addresses of the BGP peers (every EVPN node)"),
  })
  .strict();

const zoneCommon = {
  id: sdnId.describe("Zone id (PVE `zone`)"),
  mtu: z.number().int().min(576).max(65520).optional().describe("MTU of the vnet bridges"),
  nodes: z.array(nodeName).optional().describe("Nodes the zone is deployed on (default: all)"),
};

export const evpnZoneSchema = z
  .object({
    ...zoneCommon,
    type: z.literal("evpn"),
    vrfVxlan: vni.describe("VNI of the zone's VRF (PVE `vrf-vxlan`)"),
    exitNodes: z.array(nodeName).optional().describe("Nodes that route the zone to the outside"),
    advertiseSubnets: z.boolean().optional(),
  })
  .strict();

export const vxlanZoneSchema = z
  .object({
    ...zoneCommon,
    type: z.literal("vxlan"),
    peers: z.array(ipv4).min(1).describe("Underlay addresses of every node in the zone"),
  })
  .strict();

export const zoneSchema = z.discriminatedUnion("type", [evpnZoneSchema, vxlanZoneSchema]);

export const subnetSchema = z
  .object({
    cidr: cidr.describe("Network, e.g. 10.10.1.0/24"),
    gateway: ipv4.optional().describe("Gateway address (must be inside cidr)"),
    snat: z.boolean().default(false).describe("Masquerade traffic leaving the subnet"),
  })
  .strict();

export const egressRuleSchema = z
  .object({
    dest: z.union([cidr, ipv4]).describe("Destination network or address"),
    proto: z.enum(["tcp", "udp", "icmp"]).optional(),
    dport: portSpec.optional().describe("Destination port(s), e.g. 443 or 80,443 or 8000:8100"),
    comment: z.string().max(60).optional(),
  })
  .strict();

export const vnetFirewallSchema = z
  .object({
    isolate: z
      .boolean()
      .default(true)
      .describe("Default-deny forwarded traffic to and from other vnets"),
    egress: z.array(egressRuleSchema).default([]).describe("Allowed destinations outside the vnet"),
    allowFrom: z.array(sdnId).default([]).describe("Vnets whose guests may reach this vnet"),
  })
  .strict();

export const vnetSchema = z
  .object({
    id: sdnId.describe("VNet id (PVE `vnet`), also the bridge name on every node"),
    zone: sdnId.describe("Zone the vnet belongs to"),
    tag: vni.describe("VXLAN VNI"),
    subnets: z.array(subnetSchema).default([]),
    firewall: vnetFirewallSchema.default({ isolate: true, egress: [], allowFrom: [] }),
  })
  .strict();

export const managementSchema = z
  .object({
    bridge: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/)
      .describe("Management bridge on every node"),
    cidr: cidr.describe("Management network"),
    orchestrator: ipv4.describe("The only address allowed to reach guests (SSH, tcp/22)"),
  })
  .strict();

export const sshSchema = z
  .object({
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*$/)
      .default("root"),
    publicKey: z
      .string()
      .regex(/^(ssh-|ecdsa-)/, "must be an OpenSSH public key")
      .optional(),
    publicKeyFile: z
      .string()
      .optional()
      .describe("Path to a public key, relative to the spec file"),
  })
  .strict();

export const guestSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, "must be a DNS label (lowercase letters, digits, -)")
      .describe("Guest name (PVE `name`/`hostname`)"),
    vmid: z.number().int().min(100).max(999999999).describe("Stable VM/CT id of the guest"),
    type: z.enum(["lxc", "qemu"]).default("lxc"),
    template: z.number().int().min(100).describe("VM/CT id of the template to clone"),
    linked: z.boolean().default(true).describe("Linked clone (copy-on-write) instead of full copy"),
    full: z
      .boolean()
      .optional()
      .describe(
        "Full copy instead of a linked clone (PVE's `full`; `full: true` = `linked: false`)",
      ),
    storage: z
      .string()
      .regex(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i)
      .optional()
      .describe(
        "Storage of a full clone; across nodes from local storage the clone is made on the template's node and migrated (PVE clones across nodes only from or onto shared storage)",
      ),
    node: nodeName,
    vnet: sdnId.describe("Vnet of the guest's first NIC"),
    ip: cidr.describe("Address of the guest on its vnet, e.g. 10.10.1.10/24"),
    management: z
      .object({ ip: cidr.describe("Address on the management network") })
      .strict()
      .optional(),
    cores: z.number().int().min(1).max(128).default(1),
    memory: z.number().int().min(16).describe("MiB").default(512),
    ssh: sshSchema.default({ user: "root" }),
    policy: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .default("default")
      .describe(
        "Name of the guest's policy pack, recorded in its description for operators; the packs that gate it are txbox.yaml's guests[].policy",
      ),
  })
  .strict();

/** The whole spec file. */
export const netSpecSchema = z
  .object({
    version: z.literal(1),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,20}$/, "must be lowercase letters, digits and -, at most 21 chars")
      .describe("Deployment name; marks every object txbox manages for this spec"),
    controller: controllerSchema.optional(),
    zones: z.array(zoneSchema).min(1),
    vnets: z.array(vnetSchema).min(1),
    management: managementSchema.optional(),
    guests: z.array(guestSchema).default([]),
  })
  .strict();

export type NetSpec = z.infer<typeof netSpecSchema>;
export type ControllerSpec = z.infer<typeof controllerSchema>;
export type ZoneSpec = z.infer<typeof zoneSchema>;
export type VnetSpec = z.infer<typeof vnetSchema>;
export type SubnetSpec = z.infer<typeof subnetSchema>;
export type GuestSpec = z.infer<typeof guestSchema>;
export type EgressRuleSpec = z.infer<typeof egressRuleSchema>;
export type ManagementSpec = z.infer<typeof managementSchema>;

/** The JSON Schema of a spec file (published as schema/net-spec.schema.json). */
export function netSpecJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://txbox.dev/schema/net-spec.schema.json",
    title: "txbox network spec",
    ...(z.toJSONSchema(netSpecSchema, { io: "input" }) as Record<string, unknown>),
  };
}
