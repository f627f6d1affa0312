import { z } from "zod";

/**
 * The `txbox.yaml` schema: one zod schema, from which the JSON Schema is generated
 * (`txbox config schema`, `packages/core/schema/txbox.schema.json`).
 * Sections are optional so that a file may configure only what it needs; later stages
 * (proxmox, tx, agent) read their own section and apply their defaults.
 */

const duration = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/)])
  .describe("A duration: a number of milliseconds, or a string such as 500ms, 30s, 5m, 1h, 7d");

const logSchema = z
  .object({
    level: z.enum(["error", "warn", "info", "debug", "silly"]).default("info"),
    format: z.enum(["json", "pretty"]).default("pretty"),
    file: z.string().optional().describe("Also write JSON logs to this file"),
  })
  .strict();

const policySchema = z
  .object({
    packs: z
      .array(z.string())
      .default([])
      .describe("Extra rule pack files (YAML), loaded after the default pack"),
    defaultPack: z.boolean().default(true).describe("Load the shipped default pack"),
    headless: z
      .boolean()
      .default(true)
      .describe("Nobody approves anything: commands the gate cannot understand are denied"),
    projectPaths: z
      .array(z.string())
      .default(["/workspace", "/root/project", "/home/agent"])
      .describe("Project trees where the agent may delete and rewrite freely"),
    protectedPaths: z
      .array(z.string())
      .default([])
      .describe("Extra paths any write to which is denied"),
    disable: z.array(z.string()).default([]).describe("Rule ids to switch off"),
    overrides: z
      .array(
        z
          .object({
            id: z.string(),
            decision: z.enum(["allow", "transact", "deny"]),
          })
          .strict(),
      )
      .default([])
      .describe("Change the decision of a rule by id"),
  })
  .strict();

const proxmoxSchema = z
  .object({
    url: z.url().describe("https://host:8006"),
    node: z.string().optional().describe("Default node; the first node when absent"),
    tokenId: z
      .string()
      .regex(/^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$/)
      .optional()
      .describe("USER@REALM!TOKENID"),
    secretFile: z.string().optional().describe("File holding the token secret"),
    secretEnv: z.string().optional().describe("Environment variable holding the token secret"),
    username: z.string().optional().describe("Ticket login user (USER@REALM)"),
    passwordEnv: z.string().optional(),
    fingerprint: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/)
      .optional()
      .describe("SHA-256 fingerprint of the API certificate to pin"),
    caFile: z.string().optional().describe("CA bundle, instead of a pinned fingerprint"),
    timeout: duration.default("30s").describe("HTTP request timeout"),
    taskTimeout: duration.default("10m").describe("Budget for waiting on a task"),
  })
  .strict();

const guestSchema = z
  .object({
    vmid: z.number().int().min(100).max(999999999),
    host: z
      .string()
      .optional()
      .describe(
        "SSH address, or a Host name of the ssh config (its HostName, Port, User, IdentityFile, ProxyJump apply); from the testbed state when absent",
      ),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("SSH port; over the ssh config's Port; 22 when neither says"),
    user: z
      .string()
      .optional()
      .describe("SSH user; over the ssh config's User; root when neither says"),
    keyFile: z
      .string()
      .optional()
      .describe("Private key (OpenSSH, PEM or PKCS#8), tried after ssh-agent's keys"),
    hostKey: z
      .string()
      .optional()
      .describe(
        "Pinned host key fingerprint (SHA256:…); without it the host must be in known_hosts",
      ),
    proxyJump: z
      .string()
      .optional()
      .describe(
        "Jump hosts as ssh's ProxyJump ([user@]host[:port],…, or none); over the ssh config's",
      ),
    vmstate: z
      .boolean()
      .default(false)
      .describe("qemu only: save the running VM's RAM in each transaction's snapshot"),
    verify: z.array(z.string()).default([]).describe("Checks run after each transaction"),
    policy: z
      .array(z.string())
      .default([])
      .describe("Extra rule packs for this guest's commands, on top of policy.packs"),
  })
  .strict();

const sshSchema = z
  .object({
    config: z
      .string()
      .default("~/.ssh/config")
      .describe("OpenSSH client config read for guests and jump hosts (none: read none)"),
    knownHosts: z
      .array(z.string())
      .optional()
      .describe(
        "known_hosts files; default: the ssh config's UserKnownHostsFile, else ~/.ssh/known_hosts and known_hosts2, plus /etc/ssh/ssh_known_hosts",
      ),
    agent: z
      .boolean()
      .default(true)
      .describe("Use ssh-agent ($SSH_AUTH_SOCK): its keys are tried first"),
    passphraseEnv: z
      .string()
      .default("TXBOX_SSH_PASSPHRASE")
      .describe(
        "Environment variable holding the passphrase of encrypted key files (when no terminal)",
      ),
    passphraseFile: z
      .string()
      .optional()
      .describe("File holding the passphrase of encrypted key files (when no terminal)"),
  })
  .strict();

const txSchema = z
  .object({
    journal: z.string().default(".txbox/journal.db"),
    retention: z
      .enum(["delete", "keep"])
      .default("keep")
      .describe(
        "What to do with a committed transaction's snapshot: keep it in the guest's rolling window (keepLast, keepFor) so `txbox tx rollback` can undo the commit, or delete it at once",
      ),
    keepLast: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe("Committed snapshots kept per guest; older ones are pruned at each commit"),
    keepFor: duration
      .default("7d")
      .describe("Committed snapshots older than this are pruned at each commit (0: no age limit)"),
    execTimeout: duration.default("10m"),
    leaseTtl: duration
      .default("60s")
      .describe(
        "How long a guest's cluster lease lasts unless renewed (renewed every third of it while a transaction runs)",
      ),
    leaseIdle: duration
      .default("5s")
      .describe(
        "How long a session keeps a guest's cluster lease after its last transaction, so that the next one need not take it again (0: release right after it); other orchestrators wait meanwhile",
      ),
    maxClockSkew: duration
      .default("5s")
      .describe(
        "How far apart orchestrators' clocks may be: a lease counts as expired only this long after its end",
      ),
    verifyTimeout: duration.default("2m"),
    protectedPaths: z
      .array(z.string())
      .default(["/etc/passwd", "/etc/shadow", "/etc/ssh/sshd_config", "/root/.ssh/authorized_keys"])
      .describe("Files whose digest must not change in a transaction"),
  })
  .strict();

const agentSchema = z
  .object({
    baseUrl: z.url().optional(),
    model: z.string().optional(),
    apiKeyEnv: z.string().default("OPENAI_API_KEY"),
    maxSteps: z.number().int().min(1).default(30),
    timeout: duration.default("30m"),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    log: logSchema.default(logSchema.parse({})),
    policy: policySchema.default(policySchema.parse({})),
    proxmox: proxmoxSchema.optional(),
    guests: z.array(guestSchema).default([]),
    ssh: sshSchema.default(sshSchema.parse({})),
    tx: txSchema.default(txSchema.parse({})),
    agent: agentSchema.default(agentSchema.parse({})),
  })
  .strict();

export type TxboxConfig = z.infer<typeof configSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type ProxmoxConfig = z.infer<typeof proxmoxSchema>;
export type GuestConfig = z.infer<typeof guestSchema>;
export type SshConfigSection = z.infer<typeof sshSchema>;
export type TxConfig = z.infer<typeof txSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type LogConfig = z.infer<typeof logSchema>;

/** The JSON Schema of `txbox.yaml`, for editors and for validating files outside txbox. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input" }) as Record<string, unknown>;
}

/** Milliseconds of a {@link duration} value. */
export function durationMs(value: number | string): number {
  if (typeof value === "number") return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
  if (!m) throw new RangeError(`not a duration: ${value}`);
  const n = Number(m[1]);
  const unit = m[2] as "ms" | "s" | "m" | "h" | "d";
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
}
