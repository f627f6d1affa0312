/**
 * What txbox's MCP tools tell a client before any call: descriptions (the three decisions spelled
 * out, since the model chooses its commands from them), annotations (MCP 2025-06-18 "Tool
 * annotations": hints a client may use to decide on confirmation prompts) and output schemas
 * (the `structuredContent` each tool returns). Data only.
 */
import { DECISIONS, OUTCOMES } from "@txbox/core";
import { z } from "zod";

export const RUN_COMMAND_DESCRIPTION = [
  "Run one shell command in the sandbox guest, through txbox's policy gate. The gate decides:",
  "allow — the command only reads non-secret data: it runs directly;",
  "transact — the command changes state: txbox snapshots the guest, runs it, checks it, and keeps the change (committed) or rolls the whole guest back to the snapshot if it fails (rolled-back: nothing it did remains);",
  "deny — the command could do what a rollback cannot undo, or attacks the sandbox: it does not run, and the result names the rule, the reason and a safer alternative.",
  "Use this tool for every shell command. Do not retry a denied command or a variant of it; after a rollback, fix the cause first.",
].join(" ");

export const RUN_COMMAND_ANNOTATIONS = {
  title: "Run a shell command through txbox",
  readOnlyHint: false,
  // A committed command changes the guest; only failures are undone.
  destructiveHint: true,
  idempotentHint: false,
  // Commands may reach whatever the guest's network allows.
  openWorldHint: true,
};

export const LIST_TRANSACTIONS_ANNOTATIONS = {
  title: "List recent txbox transactions",
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

export const ROLLBACK_ANNOTATIONS = {
  title: "Roll back a txbox transaction",
  readOnlyHint: false,
  // It discards everything done in the guest since the transaction's snapshot.
  destructiveHint: true,
  // Rolling back to the same snapshot again leaves the guest as the first call did.
  idempotentHint: true,
  openWorldHint: false,
};

export const runCommandOutput = {
  command: z.string().describe("The command as run"),
  guest: z.string().describe("The guest it ran on"),
  decision: z.enum(DECISIONS).describe("The gate's tier: allow, transact or deny"),
  outcome: z.enum(OUTCOMES).describe("What happened"),
  exitCode: z.number().int().nullable().describe("Null when the command did not run"),
  stdout: z.string(),
  stderr: z.string(),
  txid: z.string().optional().describe("The transaction, when it ran in one"),
  rules: z.array(z.string()).describe("Ids of the policy rules that matched"),
  reason: z.string().describe("Why it was denied, rolled back or failed"),
  alternative: z.string().optional().describe("A safer command, for a denial"),
  stopRetrying: z.boolean().describe("True when this command was refused repeatedly"),
  timings: z.record(z.string(), z.number()).optional().describe("Milliseconds per phase"),
};

/** A journal row as the tools return it: the fields named here, and the journal's others. */
const transaction = z
  .object({
    txid: z.string(),
    command: z.string().optional(),
    state: z.string().optional().describe("e.g. COMMITTED, ROLLED_BACK"),
    exitCode: z.number().int().nullable().optional(),
  })
  .catchall(z.json());

export const listTransactionsOutput = {
  transactions: z.array(transaction).describe("Newest first"),
};

export const rollbackOutput = {
  txid: z.string(),
  result: transaction.nullable().describe("The transaction after the rollback"),
};
