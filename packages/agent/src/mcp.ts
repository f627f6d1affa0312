/**
 * txbox as an MCP server, so that Claude Code, Codex, Gemini CLI and other MCP clients use it as
 * their shell: every command they run passes the policy gate and runs in a transaction. Refusals
 * and rollbacks come back as the same instructive text the headless loop feeds its model, and
 * repeated refusals of one command are flagged (the client, not us, decides whether to stop).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { errorMessage, isTxboxError } from "@txbox/core";
import { z } from "zod";
import { clip, formatOutcome } from "./feedback.js";
import {
  LIST_TRANSACTIONS_ANNOTATIONS,
  listTransactionsOutput,
  ROLLBACK_ANNOTATIONS,
  rollbackOutput,
  RUN_COMMAND_ANNOTATIONS,
  RUN_COMMAND_DESCRIPTION,
  runCommandOutput,
} from "./mcp-tools.js";
import type { CommandOutcome, TxboxPort } from "./outcome.js";
import {
  DEFAULT_STUBBORNNESS_THRESHOLD,
  initialStubbornness,
  observeCommand,
} from "./stubbornness.js";

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  /** Server name announced to clients. Default `txbox`. */
  name?: string;
  version?: string;
  /** Refusals of one command after which the message says the client should stop. Default 3. */
  stubbornThreshold?: number;
  /**
   * How often a running command reports progress to a client that asked for it (sent a
   * `progressToken`). Default 2000 ms.
   */
  progressIntervalMs?: number;
}

type TextResult = {
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/**
 * Absolute paths of this machine (a journal, a config file, a key) say nothing to the model and
 * more than it needs about the orchestrator: keep only their last part. URLs are left alone.
 */
export function withoutLocalPaths(text: string): string {
  return text.replace(/(?<![\w.:/-])~?\/(?:[^\s/'"`:;,()<>]+\/)+([^\s/'"`:;,()<>]*)/g, "…/$1");
}

function errorResult(error: unknown): TextResult {
  const e = isTxboxError(error) ? error : undefined;
  // `details` may carry paths and hosts: the client gets the code, the message and the hint.
  // No structuredContent: a client validates it against the tool's output schema even on errors.
  const lines = [`error [${e?.code ?? "E_INTERNAL"}]: ${withoutLocalPaths(errorMessage(error))}`];
  if (e?.hint !== undefined) lines.push(`hint: ${withoutLocalPaths(e.hint)}`);
  if (e?.retryable) lines.push("retryable: the same call may succeed later");
  return { content: [{ type: "text", text: lines.join("\n") }], isError: true };
}

/** What `extra` of a tool call offers for progress (the SDK's RequestHandlerExtra, narrowed). */
interface ProgressExtra {
  _meta?: { progressToken?: string | number };
  sendNotification: (n: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
}

/**
 * Report progress while `work` runs, when the client asked for it: a first notification at once,
 * then one per interval with the seconds elapsed (the port reports no phases, so progress is time;
 * no `total` is claimed).
 */
async function withProgress<T>(
  extra: ProgressExtra,
  label: string,
  intervalMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return work();
  const started = Date.now();
  let n = 0;
  const send = () => {
    const s = Math.round((Date.now() - started) / 1000);
    n += 1;
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: n, message: `${label}: ${s} s` },
      })
      .catch(() => {});
  };
  send();
  const timer = setInterval(send, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** An MCP server exposing `run_command`, `list_transactions` and `rollback` over a {@link TxboxPort}. */
export function createMcpServer(port: TxboxPort, options: McpServerOptions = {}): McpServer {
  const server = new McpServer({
    name: options.name ?? "txbox",
    version: options.version ?? "0.1.0",
  });
  const interval = options.progressIntervalMs ?? 2000;
  registerRunCommand(
    server,
    port,
    options.stubbornThreshold ?? DEFAULT_STUBBORNNESS_THRESHOLD,
    interval,
  );
  registerJournalTools(server, port, interval);
  return server;
}

/** `run_command`: one command through the gate, with the stubbornness detector's memory. */
function registerRunCommand(
  server: McpServer,
  port: TxboxPort,
  threshold: number,
  interval: number,
): void {
  let stubbornness = initialStubbornness();
  server.registerTool(
    "run_command",
    {
      title: RUN_COMMAND_ANNOTATIONS.title,
      description: RUN_COMMAND_DESCRIPTION,
      inputSchema: {
        command: z.string().min(1).describe("The shell command line"),
        cwd: z.string().optional().describe("Working directory in the guest"),
        verify: z
          .array(z.string())
          .optional()
          .describe("Checks (commands that must exit 0) before the change is committed"),
      },
      outputSchema: runCommandOutput,
      annotations: RUN_COMMAND_ANNOTATIONS,
    },
    async ({ command, cwd, verify }, extra): Promise<TextResult> => {
      try {
        const outcome = await withProgress(
          extra,
          `running \`${clip(command, 80)}\``,
          interval,
          () =>
            port.run(command, {
              ...(cwd === undefined ? {} : { cwd }),
              ...(verify === undefined ? {} : { verify }),
            }),
        );
        const observed = observeCommand(stubbornness, command, outcome.outcome === "denied", {
          threshold,
        });
        stubbornness = observed.state;
        let text = formatOutcome(command, outcome, observed.verdict);
        if (observed.verdict.stubborn) {
          text += "\nStop trying this command: it will be refused every time.";
        }
        return {
          content: [{ type: "text", text }],
          structuredContent: structured(command, outcome, observed.verdict.stubborn),
          isError:
            outcome.outcome === "denied" ||
            outcome.outcome === "failed" ||
            outcome.outcome === "rolled-back" ||
            outcome.outcome === "timed-out",
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );
}

/** `list_transactions` and `rollback`: the guest's journal. */
function registerJournalTools(server: McpServer, port: TxboxPort, interval: number): void {
  server.registerTool(
    "list_transactions",
    {
      title: LIST_TRANSACTIONS_ANNOTATIONS.title,
      description: "The most recent transactions (newest first): id, command, state, outcome.",
      inputSchema: { limit: z.number().int().min(1).max(1000).optional() },
      outputSchema: listTransactionsOutput,
      annotations: LIST_TRANSACTIONS_ANNOTATIONS,
    },
    async ({ limit }): Promise<TextResult> => {
      try {
        const transactions = await port.listTransactions(limit === undefined ? {} : { limit });
        return {
          content: [{ type: "text", text: JSON.stringify(transactions, null, 2) }],
          structuredContent: plain({ transactions }),
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );

  server.registerTool(
    "rollback",
    {
      title: ROLLBACK_ANNOTATIONS.title,
      description:
        "Restore the guest to the snapshot taken before transaction `txid`: everything done in the guest since then is discarded.",
      inputSchema: { txid: z.string().min(1).describe("The transaction id") },
      outputSchema: rollbackOutput,
      annotations: ROLLBACK_ANNOTATIONS,
    },
    async ({ txid }, extra): Promise<TextResult> => {
      try {
        const result = await withProgress(extra, `rolling back ${txid}`, interval, () =>
          port.rollback(txid),
        );
        return {
          content: [
            {
              type: "text",
              text: `rolled back ${txid}\n${JSON.stringify(result ?? null, null, 2)}`,
            },
          ],
          structuredContent: plain({ txid, result: result ?? null }),
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );
}

/** Journal rows as JSON carries them (no undefined members), so the output schemas hold. */
function plain(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** The `structuredContent` of one `run_command` result (see `runCommandOutput`). */
function structured(
  command: string,
  o: CommandOutcome,
  stopRetrying: boolean,
): Record<string, unknown> {
  return {
    command,
    guest: o.guest,
    decision: o.decision,
    outcome: o.outcome,
    exitCode: o.exitCode,
    stdout: o.stdout,
    stderr: o.stderr,
    ...(o.txid === undefined ? {} : { txid: o.txid }),
    rules: o.rules,
    reason: o.reason,
    ...(o.alternative === undefined ? {} : { alternative: o.alternative }),
    stopRetrying,
    // Phases that did not run may be present as undefined; JSON and the schema want numbers.
    timings: Object.fromEntries(
      Object.entries(o.timings).filter(([, ms]) => typeof ms === "number"),
    ),
  };
}

/**
 * Serve {@link createMcpServer} on stdin/stdout until the client disconnects. Logs must go to
 * stderr: stdout carries the protocol. Resolves when the transport closes.
 */
export async function serveStdio(
  port: TxboxPort,
  options: McpServerOptions = {},
  streams: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream } = process,
): Promise<void> {
  const server = createMcpServer(port, options);
  // Streams other than the process's own: the daemon serves MCP over its client's connection.
  const transport = new StdioServerTransport(streams.stdin as Readable, streams.stdout as Writable);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  // The SDK's stdio transport does not notice end of input by itself.
  streams.stdin.once("end", () => void server.close());
  await closed;
}
