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
import { formatOutcome } from "./feedback.js";
import type { TxboxPort } from "./outcome.js";
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
}

type TextResult = {
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

function errorResult(error: unknown): TextResult {
  const body = isTxboxError(error) ? error.toJSON() : { message: errorMessage(error) };
  return {
    content: [{ type: "text", text: `error: ${errorMessage(error)}` }],
    structuredContent: body,
    isError: true,
  };
}

/** An MCP server exposing `run_command`, `list_transactions` and `rollback` over a {@link TxboxPort}. */
export function createMcpServer(port: TxboxPort, options: McpServerOptions = {}): McpServer {
  const server = new McpServer({
    name: options.name ?? "txbox",
    version: options.version ?? "0.1.0",
  });
  const threshold = options.stubbornThreshold ?? DEFAULT_STUBBORNNESS_THRESHOLD;
  let stubbornness = initialStubbornness();

  server.registerTool(
    "run_command",
    {
      title: "Run a shell command through txbox",
      description:
        "Run one shell command in the sandbox guest. Read-only commands run directly; commands that change state run in a transaction that is rolled back if they fail; destructive commands are refused with the rule and a safer alternative. Do not retry a refused command.",
      inputSchema: {
        command: z.string().min(1).describe("The shell command line"),
        cwd: z.string().optional().describe("Working directory in the guest"),
        verify: z
          .array(z.string())
          .optional()
          .describe("Checks (commands that must exit 0) before the change is committed"),
      },
    },
    async ({ command, cwd, verify }): Promise<TextResult> => {
      try {
        const outcome = await port.run(command, {
          ...(cwd === undefined ? {} : { cwd }),
          ...(verify === undefined ? {} : { verify }),
        });
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
          structuredContent: { ...outcome },
          isError:
            outcome.outcome === "denied" ||
            outcome.outcome === "failed" ||
            outcome.outcome === "rolled-back",
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );

  server.registerTool(
    "list_transactions",
    {
      title: "List recent txbox transactions",
      description: "The most recent transactions (newest first): id, command, state, outcome.",
      inputSchema: { limit: z.number().int().min(1).max(1000).optional() },
    },
    async ({ limit }): Promise<TextResult> => {
      try {
        const transactions = await port.listTransactions(limit === undefined ? {} : { limit });
        return {
          content: [{ type: "text", text: JSON.stringify(transactions, null, 2) }],
          structuredContent: { transactions },
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );

  server.registerTool(
    "rollback",
    {
      title: "Roll back a txbox transaction",
      description: "Restore the guest to the snapshot taken before transaction `txid`.",
      inputSchema: { txid: z.string().min(1).describe("The transaction id") },
    },
    async ({ txid }): Promise<TextResult> => {
      try {
        const result = await port.rollback(txid);
        return {
          content: [
            {
              type: "text",
              text: `rolled back ${txid}\n${JSON.stringify(result ?? null, null, 2)}`,
            },
          ],
          structuredContent: { txid, result: result ?? null },
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );
  return server;
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
