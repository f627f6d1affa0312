import { z } from "zod";

/** Fault injection: set at start (config `faults`) and at run time (`PUT /testbed/faults`). */
export const faultsSchema = z
  .object({
    /** Added latency before answering, optionally only for paths matching `path` (a regex). */
    latency: z
      .array(z.object({ ms: z.number().int().nonnegative(), path: z.string().optional() }).strict())
      .default([]),
    /** A fraction of requests answered with an error status (500 or 503). */
    errors: z
      .array(
        z
          .object({
            fraction: z.number().min(0).max(1),
            status: z.union([z.literal(500), z.literal(503)]).default(503),
            path: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    /** A fraction of requests whose socket is destroyed without an answer. */
    drops: z
      .array(z.object({ fraction: z.number().min(0).max(1), path: z.string().optional() }).strict())
      .default([]),
    /** The next `count` tasks of `type` fail with `error`. */
    taskFailures: z
      .array(
        z
          .object({ type: z.string(), error: z.string(), count: z.number().int().positive() })
          .strict(),
      )
      .default([]),
    /** Every task waits this long before doing its work (makes running states observable). */
    taskDelayMs: z.number().int().nonnegative().default(0),
    /** Every Realiser call (volume, snapshot, start/stop) takes this much longer: slow storage. */
    realiseLatencyMs: z.number().int().nonnegative().default(0),
    /** Guests given a config `lock` for `ms` (applied when set). */
    guestLocks: z
      .array(
        z
          .object({
            vmid: z.number().int(),
            lock: z.string().default("backup"),
            ms: z.number().int().positive(),
          })
          .strict(),
      )
      .default([]),
    /** Config-file locks held by "another operation" for `ms` (applied when set). */
    configLockHolds: z
      .array(z.object({ vmid: z.number().int(), ms: z.number().int().positive() }).strict())
      .default([]),
    /**
     * The next `count` tasks of `type` meet a config-file lock held by another operation for `ms`
     * when they reach their late phase (after the volumes changed, before the config is written).
     */
    lateLockHolds: z
      .array(
        z
          .object({
            type: z.string(),
            ms: z.number().int().positive(),
            count: z.number().int().positive().default(1),
          })
          .strict(),
      )
      .default([]),
    /** Nodes whose network reload fails in `PUT /cluster/sdn` (the `reloadnetworkall` task warns). */
    sdnReloadFailures: z.array(z.string()).default([]),
    /** The next N SDN config writes fail to take the cluster-wide SDN lock (`got lock request timeout`). */
    sdnLockTimeouts: z.number().int().nonnegative().default(0),
  })
  .strict();

export type Faults = z.infer<typeof faultsSchema>;

/**
 * A storage definition (`/etc/pve/storage.cfg`). Every type is realised on btrfs; the API layer
 * keeps each type's rules: which are shared, which can snapshot, which roll back only to the
 * newest snapshot (api/storage.ts).
 */
const storageSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i),
    type: z.enum(["btrfs", "zfspool", "zfs", "dir", "nfs", "cifs", "lvm", "lvmthin", "rbd"]),
    content: z.array(z.enum(["images", "rootdir", "vztmpl", "iso", "backup", "snippets"])),
    sizeBytes: z.number().int().positive().optional(),
    /** storage.cfg `shared`: the same volumes on every node (always on for nfs/cifs/rbd/zfs). */
    shared: z.boolean().optional(),
    /** PVE 9: snapshots as qcow2 volume chains (dir, nfs, cifs, thick lvm). */
    "snapshot-as-volume-chain": z.boolean().optional(),
    /** Nodes the storage is available on (default: all). */
    nodes: z.array(z.string()).optional(),
  })
  .strict();

const guestSchema = z
  .object({
    vmid: z.number().int().min(100).max(999999999),
    type: z.enum(["qemu", "lxc"]),
    name: z.string().optional(),
    node: z.string().optional(),
    storage: z.string().default("local-btrfs"),
    /** Template vmid to linked-clone from; absent = a fresh volume. */
    from: z.number().int().optional(),
    start: z.boolean().default(true),
    memory: z.number().int().positive().default(512),
    cores: z.number().int().positive().default(1),
    bridge: z.string().default("vmbr0"),
  })
  .strict();

/** The testbed's configuration file (YAML). Every key has a default: an empty file is valid. */
export const testbedConfigSchema = z
  .object({
    /** Cluster node names; the first is the default node. */
    nodes: z
      .array(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i))
      .min(1)
      .default(["pve1"]),
    clusterName: z.string().default("txbox-testbed"),
    storages: z.array(storageSchema).default([
      { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
      { id: "tank", type: "zfspool", content: ["images", "rootdir"] },
      { id: "local", type: "dir", content: ["images", "rootdir", "vztmpl", "iso", "backup"] },
    ]),
    users: z
      .array(
        z
          .object({
            userid: z.string().regex(/^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/),
            password: z.string().optional(),
            tokens: z
              .array(
                z
                  .object({
                    id: z.string().regex(/^[A-Za-z][A-Za-z0-9.\-_]+$/),
                    secret: z
                      .string()
                      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
                      .optional(),
                    /**
                     * Privilege separation: the token's privileges are its own ACLs intersected
                     * with its user's. PVE creates tokens with privsep=1; the testbed's default
                     * is 0 so that a configured token acts as its user, as it always did here.
                     */
                    privsep: z.boolean().default(false),
                    /** Expiry, seconds since the epoch; 0 = never (PVE's token-expire). */
                    expire: z.number().int().nonnegative().default(0),
                  })
                  .strict(),
              )
              .default([]),
          })
          .strict(),
      )
      .default([{ userid: "root@pam", tokens: [{ id: "txbox", privsep: false, expire: 0 }] }]),
    /**
     * Access control list entries (PVE's user.cfg `acl:` lines): `ugid` is a user (`u@realm`) or
     * an API token (`u@realm!id`); roles are PVE's built-in ones or those under `roles`.
     */
    acl: z
      .array(
        z
          .object({
            path: z.string().regex(/^\//),
            ugid: z
              .string()
              .regex(/^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+(![A-Za-z][A-Za-z0-9.\-_]+)?$/),
            roles: z.array(z.string()).min(1),
            propagate: z.boolean().default(true),
          })
          .strict(),
      )
      .default([]),
    /** Custom roles: name → privileges (PVE's `role:` lines). */
    roles: z.record(z.string(), z.array(z.string())).default({}),
    api: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8006),
        /** PVE delays every 401 by about 3 s against password guessing. */
        authFailDelayMs: z.number().int().nonnegative().default(3000),
        /** How long a config-file lock waiter waits before `got timeout` (PVE: 10 s). */
        lockTimeoutMs: z.number().int().positive().default(10000),
        /** Ticket lifetime (PVE: 2 h). */
        ticketLifetimeS: z.number().int().positive().default(7200),
        /** The HA manager's round (PVE's CRM/LRM loop: about 10 s); 0 = no HA manager. */
        haIntervalMs: z.number().int().nonnegative().default(10000),
      })
      .strict()
      .default({
        host: "127.0.0.1",
        port: 8006,
        authFailDelayMs: 3000,
        lockTimeoutMs: 10000,
        ticketLifetimeS: 7200,
        haIntervalMs: 10000,
      }),
    realiser: z.enum(["host", "memory"]).default("host"),
    /** Host realiser networks: the management range and each node's underlay address (SDN). */
    network: z
      .object({
        mgmtCidr: z.string().default("10.251.0.0/24"),
        /** Underlay address per node, in node order; default `10.250.0.<11+i>/24`. */
        underlay: z.array(z.string()).optional(),
        /** Realise SDN (vnets, VXLAN, FRR) on apply. */
        sdn: z.boolean().default(true),
      })
      .strict()
      .default({ mgmtCidr: "10.251.0.0/24", sdn: true }),
    lab: z
      .object({
        templates: z.array(guestSchema).default([]),
        guests: z.array(guestSchema).default([]),
      })
      .strict()
      .default({
        templates: [
          {
            vmid: 9000,
            type: "lxc",
            name: "tpl-debian",
            storage: "local-btrfs",
            start: false,
            memory: 512,
            cores: 1,
            bridge: "vmbr0",
          },
        ],
        guests: [
          {
            vmid: 101,
            type: "qemu",
            name: "agent1",
            storage: "local-btrfs",
            from: 9000,
            start: true,
            memory: 512,
            cores: 1,
            bridge: "vmbr0",
          },
          {
            vmid: 102,
            type: "qemu",
            name: "agent2",
            storage: "local-btrfs",
            from: 9000,
            start: true,
            memory: 512,
            cores: 1,
            bridge: "vmbr0",
          },
          {
            vmid: 201,
            type: "lxc",
            name: "ct1",
            storage: "local-btrfs",
            from: 9000,
            start: true,
            memory: 512,
            cores: 1,
            bridge: "vmbr0",
          },
        ],
      }),
    faults: faultsSchema.default(faultsSchema.parse({})),
  })
  .strict();

export type TestbedConfig = z.infer<typeof testbedConfigSchema>;
export type LabGuest = z.infer<typeof guestSchema>;

/** Parse a configuration object (defaults applied); throws zod errors. */
export function parseTestbedConfig(raw: unknown): TestbedConfig {
  return testbedConfigSchema.parse(raw ?? {});
}
